//! `tirek org …`: the organisations (agencies) that run facilities, their editors'
//! proposals and the public's problem reports, on the command line; the command line
//! decides with a planner's rights, and its writes are audited as `cli:<login>`.

use super::args::{OrgCommand, OrgFields};
use super::cli_actor;
use crate::coordination::{Coordination, CoordinationError, Steward};
use crate::model::{
    Language, Organisation, Proposal, ProposalStatus, Report, ReportStatus, Role, Sector,
    format_timestamp, parse_list,
};
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
        OrgCommand::Proposals { status } => {
            let status = status
                .map(|s| s.trim().parse::<ProposalStatus>())
                .transpose()
                .map_err(anyhow::Error::msg)?;
            for p in coordination
                .proposals(&steward(&actor), status)
                .await
                .map_err(explain)?
            {
                println!("{}", proposal_line(&p));
            }
        }
        OrgCommand::Approve { id, reason } => {
            let p = coordination
                .approve(&steward(&actor), id, reason.as_deref())
                .await
                .map_err(explain)?;
            println!("{}", proposal_line(&p));
        }
        OrgCommand::Reject { id, reason } => {
            let p = coordination
                .reject(&steward(&actor), id, &reason)
                .await
                .map_err(explain)?;
            println!("{}", proposal_line(&p));
        }
        OrgCommand::Reports { status } => {
            let status = status
                .map(|s| {
                    ReportStatus::parse(s.trim()).with_context(|| {
                        format!("--status {s:?}: expected open, resolved or dismissed")
                    })
                })
                .transpose()?;
            for r in coordination
                .reports(&steward(&actor), status)
                .await
                .map_err(explain)?
            {
                println!("{}", report_line(&r));
            }
        }
        OrgCommand::Decide { id, to, note } => {
            let to = ReportStatus::parse(to.trim())
                .filter(|s| *s != ReportStatus::Open)
                .with_context(|| format!("--to {to:?}: expected resolved or dismissed"))?;
            let r = coordination
                .decide_report(&steward(&actor), id, to, note.as_deref())
                .await
                .map_err(explain)?;
            println!("{}", report_line(&r));
        }
    }
    Ok(())
}

/// The command line reviews as a planner of no organisation, named as its actor.
fn steward(actor: &str) -> Steward<'_> {
    Steward {
        username: actor,
        role: Role::Planner,
        organisation: None,
    }
}

/// A proposal as one tab-separated line.
fn proposal_line(p: &Proposal) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}{}",
        p.id,
        p.status,
        p.kind,
        p.facility_id,
        p.organisation_id,
        p.proposer,
        format_timestamp(&p.created_at),
        p.reason
            .as_deref()
            .map(|r| format!("\t{r}"))
            .unwrap_or_default()
    )
}

/// A problem report as one tab-separated line (its text on one line).
fn report_line(r: &Report) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
        r.id,
        r.status.as_str(),
        r.kind.as_str(),
        r.facility_id,
        r.organisation_id.as_deref().unwrap_or("-"),
        format_timestamp(&r.created_at),
        r.text.replace(['\n', '\r', '\t'], " ")
    )
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
