//! Proposals: an agency editor's create, edit or close of a facility, waiting for a
//! coordinator's decision (or published at once for a trusted organisation and listed
//! for review after the fact). The record before and after travel with the proposal,
//! so the decision is taken on exactly what was proposed. No I/O here.

use super::Facility;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an editor asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProposalKind {
    /// A new facility.
    Create,
    /// A changed facility.
    Update,
    /// The facility no longer takes survivors: its status becomes `closed` (the record
    /// stays, so its history does).
    Close,
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProposalStatus {
    /// Waiting for a coordinator; the public sees the record as it was.
    Pending,
    /// Approved and written.
    Approved,
    /// Rejected, with a reason the editor sees; nothing written.
    Rejected,
    /// Written at once (trusted organisation), listed for review after the fact.
    Published,
}

macro_rules! codes {
    ($name:ident, $what:literal, { $($variant:ident => $text:literal),+ }) => {
        impl $name {
            /// The code, as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        concat!("unknown ", $what, " {:?}; expected one of {}"),
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

codes!(ProposalKind, "proposal kind", { Create => "create", Update => "update", Close => "close" });
codes!(ProposalStatus, "proposal status", {
    Pending => "pending", Approved => "approved", Rejected => "rejected", Published => "published"
});

/// A proposal as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Increasing number.
    pub id: i64,
    /// The facility it is about.
    pub facility_id: String,
    /// The organisation the proposer acts for.
    pub organisation_id: String,
    /// The editor's account name.
    pub proposer: String,
    /// Create, update or close.
    pub kind: ProposalKind,
    /// Pending, approved, rejected or published.
    pub status: ProposalStatus,
    /// The stored record when the proposal was made (none for a creation).
    pub before: Option<Facility>,
    /// The record as proposed.
    pub after: Facility,
    /// The coordinator's reason (always given for a rejection).
    pub reason: Option<String>,
    /// Who decided (none while pending, and for a published proposal not reviewed yet).
    pub decided_by: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// Longest reason a coordinator may give, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;
