//! Problem reports: what anyone may tell an organisation about one of its public
//! listings ("wrong phone", "closed", "moved", or something else, in a short text).
//! Nobody is asked who they are, and a report is never shown to the public. No I/O here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest report text, in characters.
pub const MAX_REPORT_CHARS: usize = 500;

/// What is wrong with the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The phone number does not work or is someone else's.
    WrongPhone,
    /// The service has closed.
    Closed,
    /// The service has moved.
    Moved,
    /// Something else (say what in the text).
    Other,
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting for the organisation or a coordinator.
    Open,
    /// Acted upon (the record was corrected, or found right).
    Resolved,
    /// Not acted upon (spam, not about this listing).
    Dismissed,
}

impl ProblemKind {
    /// The code, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::WrongPhone => "wrong_phone",
            ProblemKind::Closed => "closed",
            ProblemKind::Moved => "moved",
            ProblemKind::Other => "other",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::WrongPhone, Self::Closed, Self::Moved, Self::Other]
            .into_iter()
            .find(|k| k.as_str() == code)
    }
}

impl ReportStatus {
    /// The code, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Resolved => "resolved",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Open, Self::Resolved, Self::Dismissed]
            .into_iter()
            .find(|s| s.as_str() == code)
    }
}

/// A problem report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Increasing number.
    pub id: i64,
    /// The facility it is about.
    pub facility_id: String,
    /// The facility's organisation when it was reported (whose editors see it).
    pub organisation_id: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
    /// The reporter's words (at most [`MAX_REPORT_CHARS`]).
    pub text: String,
    /// Open, resolved or dismissed.
    pub status: ReportStatus,
    /// The resolver's note.
    pub note: Option<String>,
    /// Who resolved or dismissed it.
    pub decided_by: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// When it was resolved or dismissed.
    pub decided_at: Option<DateTime<Utc>>,
}
