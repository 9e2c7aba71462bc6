//! Accounts: who may sign in, with which role, and the credentials they hold. The
//! secrets themselves never live here: passwords are argon2id hashes and sessions and
//! API tokens are kept as SHA-256 digests (see `crate::auth`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// What a caller may do. Ordered: each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Anyone, signed in or not: public data and aggregates only.
    Public,
    /// Refers survivors: sees confidential facilities' exact locations and contacts.
    Caseworker,
    /// An agency editor: sees what a caseworker sees, and proposes creations, edits and
    /// closures of its own organisation's facilities (see `crate::coordination`).
    Editor,
    /// Also keeps the registry: writes facilities, imports geography and population.
    Planner,
    /// Also manages accounts and reads the audit log.
    Admin,
}

impl Role {
    /// The roles an account can have (everyone is public without one).
    pub const ACCOUNT_ROLES: [Role; 4] =
        [Role::Caseworker, Role::Editor, Role::Planner, Role::Admin];

    /// The code, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Caseworker => "caseworker",
            Role::Editor => "editor",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role code that is not one of caseworker, editor, planner, admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected caseworker, editor, planner or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    /// Parses an account role (`public` is not one).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ACCOUNT_ROLES
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// A person who may sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Sign-in name: 1–64 of `a-z 0-9 . _ -`.
    pub username: String,
    /// What they may do.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The password is a one-time password: it only lets them choose a new one.
    pub must_change: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// The organisation the account works for (required for editors): an editor
    /// writes only its facilities.
    pub organisation: Option<String>,
}

impl Account {
    /// Whether `name` is a valid user name.
    pub fn valid_username(name: &str) -> bool {
        (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    }
}

/// Browser session or API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A signed-in browser (cookie); expires.
    Session,
    /// A script's bearer token; lasts until revoked.
    Token,
}

impl CredentialKind {
    /// The code, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::Token => "token",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "session" => Some(CredentialKind::Session),
            "token" => Some(CredentialKind::Token),
            _ => None,
        }
    }
}

/// A session or token: the digest of its secret and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// Session or token.
    pub kind: CredentialKind,
    /// The account.
    pub username: String,
    /// What it is for (tokens) or the empty string.
    pub label: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working; `None` until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parse() {
        assert!(Role::Public < Role::Caseworker && Role::Caseworker < Role::Editor);
        assert!(Role::Editor < Role::Planner);
        assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
        assert!(Role::Planner < Role::Admin);
        assert_eq!("planner".parse::<Role>(), Ok(Role::Planner));
        assert!("public".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err());
    }

    #[test]
    fn user_names() {
        assert!(Account::valid_username("a.kim-2"));
        assert!(!Account::valid_username(""));
        assert!(!Account::valid_username("Aigul"));
        assert!(!Account::valid_username("x y"));
        assert!(!Account::valid_username(&"a".repeat(65)));
    }
}
