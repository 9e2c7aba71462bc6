//! `tirek org …`: the organisations (agencies) that run facilities, on the command
//! line; writes are audited as `cli:<login>`.

use super::args::{OrgCommand, OrgFields};
use super::cli_actor;
use crate::coordination::{Coordination, CoordinationError};
use crate::model::{Language, Organisation, Sector, parse_list};
use crate::registry::Registry;
use anyhow::{Context, Result};
use std::sync::Arc;

/// Runs one `tirek org` command.
pub async fn org(registry: Arc<Registry>, command: OrgCommand) -> Result<()> {
    let coordination = Coordination::new(registry);
    let actor = cli_actor();
    match command {
        OrgCommand::List => {
            for o in coordination.organisations().await.map_err(explain)? {
                let sectors: Vec<&str> = o.sectors.iter().map(|s| s.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.country,
                    sectors.join(","),
                    if o.trusted { "trusted" } else { "-" },
                    o.name(Language::En)
                );
            }
        }
        OrgCommand::Add { id, fields } => {
            let mut o = Organisation {
                id,
                names: Default::default(),
                sectors: Vec::new(),
                country: String::new(),
                contact: None,
                website: None,
                trusted: false,
                demo: false,
                created_at: None,
                updated_at: None,
            };
            apply(&mut o, fields)?;
            let o = coordination
                .create_organisation(o, &actor)
                .await
                .map_err(explain)?;
            println!("added organisation {}", o.id);
        }
        OrgCommand::Update { id, fields } => {
            let mut o = coordination.organisation(&id).await.map_err(explain)?;
            apply(&mut o, fields)?;
            coordination
                .update_organisation(o, &actor)
                .await
                .map_err(explain)?;
            println!("updated organisation {id}");
        }
        OrgCommand::Trust { id, off } => {
            coordination
                .set_trusted(&id, !off, &actor)
                .await
                .map_err(explain)?;
            if off {
                println!("{id}: its editors' writes wait for approval again");
            } else {
                println!(
                    "{id} is trusted: its editors' writes publish at once, for review after the fact"
                );
            }
        }
    }
    Ok(())
}

/// Sets the fields given on the command line.
fn apply(o: &mut Organisation, fields: OrgFields) -> Result<()> {
    for pair in &fields.names {
        let (language, text) = pair.split_once('=').with_context(|| {
            format!("--name {pair:?}: expected LANG=TEXT, e.g. en=Crisis centre")
        })?;
        let language: Language = language.trim().parse()?;
        o.names.insert(language, text.trim().to_string());
    }
    if let Some(sectors) = &fields.sectors {
        let sectors: Vec<Sector> = parse_list(sectors)?;
        o.sectors = sectors;
    }
    if let Some(country) = fields.country {
        o.country = country.trim().to_ascii_uppercase();
    }
    if let Some(contact) = fields.contact {
        o.contact = Some(contact).filter(|c| !c.trim().is_empty());
    }
    if let Some(website) = fields.website {
        o.website = Some(website).filter(|w| !w.trim().is_empty());
    }
    Ok(())
}

/// The error with every field problem spelled out.
fn explain(e: CoordinationError) -> anyhow::Error {
    match e {
        CoordinationError::Invalid(errors) => {
            for e in &errors {
                eprintln!("{}: {}", e.field, e.message);
            }
            anyhow::anyhow!("{} problem(s); nothing was written", errors.len())
        }
        other => anyhow::Error::new(other),
    }
}
