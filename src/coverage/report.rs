//! Coverage results as files: one CSV row or GeoJSON feature per area.

use super::{AreaCoverage, CoverageTable};
use crate::model::Sector;
use serde::Serialize;
use std::collections::BTreeMap;

/// An area as the report names it.
#[derive(Debug, Clone)]
pub struct AreaLabel {
    /// The area's code (P-code or ISO), as the input names it.
    pub code: String,
    /// The area's name, as shown in reports.
    pub name: String,
}

/// Row order: by code, numerically when every code is a number.
pub fn row_order(labels: &[AreaLabel]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    let numeric: Option<Vec<i64>> = labels.iter().map(|l| l.code.parse::<i64>().ok()).collect();
    match numeric {
        Some(n) => order.sort_by_key(|&i| (n[i], i)),
        None => order.sort_by(|&a, &b| labels[a].code.cmp(&labels[b].code).then(a.cmp(&b))),
    }
    order
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.6}")
    }
}

/// CSV: `<id_column>,name,pop_total,pop_<sector>…,pop_all,share_<sector>…,share_all,
/// uncovered,rank_uncovered,rank_share,facilities_<sector>…[,mean_km_<sector>…,median_km_<sector>…]`.
pub fn csv(
    table: &CoverageTable,
    labels: &[AreaLabel],
    sectors: &[Sector],
    id_column: &str,
) -> String {
    let with_distances = !table.nearest.is_empty();
    let mut header = vec![id_column.to_string(), "name".into(), "pop_total".into()];
    header.extend(sectors.iter().map(|s| format!("pop_{s}")));
    header.push("pop_all".into());
    header.extend(sectors.iter().map(|s| format!("share_{s}")));
    header.extend(["share_all", "uncovered", "rank_uncovered", "rank_share"].map(String::from));
    header.extend(sectors.iter().map(|s| format!("facilities_{s}")));
    if with_distances {
        header.extend(sectors.iter().map(|s| format!("mean_km_{s}")));
        header.extend(sectors.iter().map(|s| format!("median_km_{s}")));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&header);
    for i in row_order(labels) {
        let a: &AreaCoverage = &table.areas[i];
        let mut row = vec![
            labels[i].code.clone(),
            labels[i].name.clone(),
            number(a.pop_total),
        ];
        row.extend(a.sectors.iter().map(|s| number(s.pop_covered)));
        row.push(number(a.pop_all));
        row.extend(a.sectors.iter().map(|s| format!("{:.4}", s.share)));
        row.extend([
            format!("{:.4}", a.share_all),
            number(a.uncovered),
            a.rank_uncovered.to_string(),
            a.rank_share.to_string(),
        ]);
        row.extend(a.sectors.iter().map(|s| s.facilities.to_string()));
        if with_distances {
            let km = |v: Option<f64>| v.map_or(String::new(), |m| format!("{:.3}", m / 1000.0));
            row.extend(a.sectors.iter().map(|s| km(s.mean_distance_m)));
            row.extend(a.sectors.iter().map(|s| km(s.median_distance_m)));
        }
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One area's coverage figures, as `GET /api/coverage` answers them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AreaFigures {
    /// The area's code.
    pub code: String,
    /// The area's name.
    pub name: String,
    /// People in the area.
    pub pop_total: f64,
    /// People within reach of every sector of the minimum package.
    pub pop_all: f64,
    /// `pop_all / pop_total` (0 when nobody lives there).
    pub share_all: f64,
    /// People out of reach of at least one sector of the package.
    pub uncovered: f64,
    /// Rank by `uncovered`, 1 = most people uncovered.
    pub rank_uncovered: usize,
    /// Rank by `share_all`, 1 = lowest share.
    pub rank_share: usize,
    /// Per sector analysed.
    pub sectors: BTreeMap<Sector, SectorFigures>,
}

/// One sector's figures in an area.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SectorFigures {
    /// People within the sector's threshold.
    pub pop_covered: f64,
    /// `pop_covered / pop_total`.
    pub share: f64,
    /// Active facilities of the sector in the area; null where suppressed for the public.
    pub facilities: Option<usize>,
    /// True where the public's count was suppressed (too small to show safely).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facilities_suppressed: Option<bool>,
    /// Population-weighted mean distance to the nearest facility, metres; null where
    /// withheld or not computed.
    pub mean_distance_m: Option<f64>,
    /// Population-weighted median distance, metres; null where withheld or not computed.
    pub median_distance_m: Option<f64>,
}

/// One area's figures, labelled.
pub fn figures(a: &AreaCoverage, label: &AreaLabel) -> AreaFigures {
    AreaFigures {
        code: label.code.clone(),
        name: label.name.clone(),
        pop_total: a.pop_total,
        pop_all: a.pop_all,
        share_all: a.share_all,
        uncovered: a.uncovered,
        rank_uncovered: a.rank_uncovered,
        rank_share: a.rank_share,
        sectors: a
            .sectors
            .iter()
            .map(|s| {
                (
                    s.sector,
                    SectorFigures {
                        pop_covered: s.pop_covered,
                        share: s.share,
                        facilities: Some(s.facilities),
                        facilities_suppressed: None,
                        mean_distance_m: s.mean_distance_m,
                        median_distance_m: s.median_distance_m,
                    },
                )
            })
            .collect(),
    }
}
