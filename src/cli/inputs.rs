//! Where a command's facilities, population and areas come from: the files named on the
//! command line, else the store. Every analysis command resolves its inputs here, so a
//! file and the store give the same records the same way.

use super::{read_areas_file, read_file, record_errors};
use crate::coverage::analysis::Sites;
use crate::import::areas::AreaOptions;
use crate::import::population::{AreaCodes, read_population_points_with_codes};
use crate::import::settlements::read_csv as read_settlements;
use crate::import::sites::read_sites_any;
use crate::model::{Area, PopulationPoint, Settlement, Status};
use crate::registry::Registry;
use anyhow::{Result, bail};
use std::path::Path;

/// The inputs of one command: the store when it was opened (absent when every input is
/// a file, so that file-only runs never touch a database).
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    registry: Option<&'a Registry>,
}

impl<'a> Inputs<'a> {
    /// Inputs resolved against `registry`, or files only.
    pub fn new(registry: Option<&'a Registry>) -> Self {
        Self { registry }
    }

    /// The facilities of the analysis whose status is one of `statuses` (the command's
    /// `--status`, default active): the file's, else the store's.
    pub fn sites(&self, file: Option<&Path>, statuses: &[Status]) -> Result<Sites> {
        match (file, self.registry) {
            (Some(path), _) => {
                let records =
                    read_sites_any(&read_file(path)?).map_err(|e| record_errors(path, e))?;
                Ok(Sites::from_records_with_status(&records, statuses))
            }
            (None, Some(r)) => Ok(Sites::from_facilities_with_status(
                r.index().facilities(),
                statuses,
            )),
            (None, None) => bail!("give --facilities or use the store"),
        }
    }

    /// Settlements with names and ids (site planning): the file's, else the store's.
    pub fn settlements(&self, file: Option<&Path>) -> Result<Vec<Settlement>> {
        match (file, self.registry) {
            (Some(path), _) => {
                read_settlements(&read_file(path)?).map_err(|e| record_errors(path, e))
            }
            (None, Some(r)) => Ok(r.places().settlements.clone()),
            (None, None) => bail!("give --population or use the store"),
        }
    }

    /// Population points for coverage, with each point's area code when `area_column`
    /// names one: the file's, else the store's settlements.
    pub fn population_points(
        &self,
        file: Option<&Path>,
        area_column: Option<&str>,
    ) -> Result<(Vec<PopulationPoint>, Option<AreaCodes>)> {
        match (file, self.registry) {
            (Some(path), _) => read_population_points_with_codes(&read_file(path)?, area_column)
                .map_err(|e| record_errors(path, e)),
            (None, Some(r)) => Ok((
                r.places()
                    .settlements
                    .iter()
                    .map(PopulationPoint::from)
                    .collect(),
                None,
            )),
            (None, None) => bail!("give --population or use the store"),
        }
    }

    /// The areas to report on: the file's (GeoJSON, a shapefile or a zipped one; at
    /// `level`, default 2), else the store's at `level` (default its finest).
    pub fn areas(
        &self,
        file: Option<&Path>,
        level: Option<u8>,
        code_field: Option<&str>,
    ) -> Result<Vec<Area>> {
        match (file, self.registry) {
            (Some(path), _) => {
                let options = AreaOptions {
                    level: Some(level.unwrap_or(2)),
                    code_field: code_field.map(str::to_string),
                    name_field: None,
                };
                Ok(read_areas_file(path, &options)?
                    .map_err(|e| record_errors(path, e))?
                    .areas)
            }
            (None, Some(r)) => {
                let places = r.places();
                let level = level
                    .or_else(|| places.areas.iter().map(|a| a.level).max())
                    .unwrap_or(0);
                Ok(places
                    .areas
                    .iter()
                    .filter(|a| a.level == level)
                    .cloned()
                    .collect())
            }
            (None, None) => bail!("give --areas or use the store"),
        }
    }
}
