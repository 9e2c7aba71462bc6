//! `tirek referrals export`: the coordination figures (public by default) or, for the
//! operator, the records of the referral and unmet-needs logs, as CSV.

use super::args::{ReferralExportArgs, ReferralsCommand};
use super::write_output;
use crate::coordination::Coordination;
use crate::coordination::figures::{self, Audience, Query};
use crate::registry::Registry;
use anyhow::{Result, bail};
use std::sync::Arc;

/// Runs one `tirek referrals` command.
pub async fn referrals(registry: Arc<Registry>, command: ReferralsCommand) -> Result<()> {
    match command {
        ReferralsCommand::Export(args) => export(registry, &args).await,
    }
}

async fn export(registry: Arc<Registry>, args: &ReferralExportArgs) -> Result<()> {
    let store = registry.store().clone();
    let text = if args.records && args.unmet_needs {
        figures::unmet_needs_csv(&store.unmet_needs(None).await?)
    } else if args.records {
        figures::referrals_csv(&store.referrals(None, None, None).await?)
    } else {
        if args.level > 2 || (args.level == 2 && !args.unsuppressed) {
            bail!(
                "--level {}: the public figures are by country (0) or region (1); districts (2) need --unsuppressed",
                args.level
            );
        }
        let coordination = Coordination::new(registry);
        let year = match args.year {
            Some(y) => y,
            None => {
                coordination
                    .latest_year(chrono::Utc::now().date_naive())
                    .await?
            }
        };
        let query = Query {
            year,
            level: args.level,
            area: args.area.clone(),
            audience: if args.unsuppressed {
                Audience::Planner
            } else {
                Audience::Public
            },
        };
        figures::csv(&coordination.figures(&query).await?)
    };
    write_output(args.out.as_deref(), &text.map_err(anyhow::Error::msg)?)
}
