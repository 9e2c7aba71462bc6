//! `tirek user …` and `tirek audit`: account management and the audit log export on
//! the command line (the operator's tools; their writes are audited as `cli:<login>`).

use super::args::{AuditArgs, UserCommand};
use super::{cli_actor, write_output};
use crate::auth::Accounts;
use crate::model::Role;
use crate::store::Store;
use anyhow::Result;
use std::sync::Arc;

fn role(text: &str) -> Result<Role> {
    Ok(text.parse::<Role>()?)
}

/// Runs one `tirek user` command.
pub async fn user(store: Arc<dyn Store>, command: UserCommand) -> Result<()> {
    let accounts = Accounts::new(store);
    let actor = cli_actor();
    match command {
        UserCommand::Add {
            username,
            role: r,
            organisation,
        } => {
            let password = accounts
                .add_in(&username, role(&r)?, organisation.as_deref(), &actor)
                .await?;
            let of = organisation.map_or_else(String::new, |o| format!(" of {o}"));
            println!(
                "added {username} ({r}{of}); one-time password (shown once, must be changed at first sign-in):\n{password}"
            );
        }
        UserCommand::Organisation {
            username,
            organisation,
        } => {
            accounts
                .set_organisation(&username, organisation.as_deref(), &actor)
                .await?;
            match organisation {
                Some(o) => println!("{username} now works for {o} (sessions and tokens ended)"),
                None => println!("{username} works for no organisation now"),
            }
        }
        UserCommand::Remove { username } => {
            accounts.remove(&username, &actor).await?;
            println!("removed {username}");
        }
        UserCommand::Reset { username } => {
            let password = accounts.reset(&username, &actor).await?;
            println!(
                "new one-time password for {username} (shown once; their sessions ended):\n{password}"
            );
        }
        UserCommand::Role { username, role: r } => {
            accounts.set_role(&username, role(&r)?, &actor).await?;
            println!("{username} is now {r}");
        }
        UserCommand::Token { username, label } => {
            let token = accounts.issue_token(&username, &label, &actor).await?;
            println!(
                "API token for {username} (shown once; send as `Authorization: Bearer …`):\n{token}"
            );
        }
        UserCommand::RevokeTokens { username } => {
            let n = accounts.revoke_tokens(&username, &actor).await?;
            println!("revoked {n} token(s) of {username}");
        }
        UserCommand::List => {
            for a in accounts.list().await? {
                let pending = if a.must_change {
                    " (one-time password pending)"
                } else {
                    ""
                };
                let org = a
                    .organisation
                    .as_deref()
                    .map_or_else(String::new, |o| format!("\torganisation {o}"));
                println!("{}\t{}{pending}{org}", a.username, a.role);
            }
        }
    }
    Ok(())
}

/// Writes the audit log after `args.after`, all of it, as CSV or JSON lines.
pub async fn audit(store: &dyn Store, args: &AuditArgs) -> Result<()> {
    let mut entries = Vec::new();
    let mut after = args.after;
    loop {
        let page = store.audit_log(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        entries.extend(page);
    }
    let text = match args.format.as_str() {
        "csv" => crate::export::audit_csv(&entries).map_err(anyhow::Error::msg)?,
        "json" => entries
            .iter()
            .map(|e| serde_json::to_string(e).map(|line| line + "\n"))
            .collect::<Result<String, _>>()?,
        other => anyhow::bail!("--format {other:?}: expected csv or json"),
    };
    write_output(args.out.as_deref(), &text)
}
