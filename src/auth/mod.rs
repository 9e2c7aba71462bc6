//! Who is calling and what they may do: accounts with roles, argon2id password sign-in
//! giving a session, API tokens for scripts, one-time passwords for new accounts and
//! resets, and sign-in rate limiting. No HTTP here: the API turns a cookie or bearer
//! token into a [`Signed`] caller through [`Accounts::resolve`].

pub mod limiter;
pub mod password;
pub mod proxies;
pub mod secret;

use crate::model::{Account, Credential, CredentialKind, Role};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use limiter::LoginLimiter;
use std::sync::Arc;
use std::time::Instant;

/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;

/// An account operation that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong user name or password (deliberately not saying which).
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed sign-ins.
    #[error("too many failed sign-ins; try again in {0} s")]
    RateLimited(u64),
    /// The user name is not valid.
    #[error("user name {0:?} is not valid: use 1–64 of a-z, 0-9, '.', '_', '-'")]
    InvalidUsername(String),
    /// The account exists already.
    #[error("account {0:?} exists already")]
    Exists(String),
    /// No such account.
    #[error("no account {0:?}")]
    NoAccount(String),
    /// The new password is too weak.
    #[error("{0}")]
    WeakPassword(String),
    /// The account must still replace its one-time password: no API token for it.
    #[error(
        "account {0:?} still has a one-time password: it must sign in and choose its own before an API token can be issued"
    )]
    OneTimePasswordPending(String),
    /// An editor account needs an organisation.
    #[error("an editor works for an organisation: give one (--organisation ORG)")]
    EditorWithoutOrganisation,
    /// No organisation with that id.
    #[error("no organisation with id {0:?} (see `tirek org list`)")]
    NoOrganisation(String),
    /// A trusted-proxy network that does not parse.
    #[error("trusted proxy {0:?}: expected an address or CIDR network such as 10.0.0.0/8")]
    TrustedProxy(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoAccount(name) => AuthError::NoAccount(name),
            other => AuthError::Store(other),
        }
    }
}

/// A caller who presented a valid session or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Their account name.
    pub username: String,
    /// Their role.
    pub role: Role,
    /// They signed in with a one-time password and must choose a new one first.
    pub must_change: bool,
    /// Session (cookie) or token (bearer).
    pub kind: CredentialKind,
    /// The organisation the account works for.
    pub organisation: Option<String>,
}

/// Accounts and credentials over the store, with sign-in rate limiting.
pub struct Accounts {
    store: Arc<dyn Store>,
    limiter: LoginLimiter,
}

impl Accounts {
    /// Accounts kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            limiter: LoginLimiter::default(),
        }
    }

    /// At set-up, when there is no account at all: creates `admin` with a one-time
    /// password and returns it (to be shown once). `None` when accounts exist.
    pub async fn ensure_first_admin(&self) -> Result<Option<String>, AuthError> {
        if !self.store.accounts().await?.is_empty() {
            return Ok(None);
        }
        self.add("admin", Role::Admin, "system").await.map(Some)
    }

    /// Creates an account with a one-time password, returned to be handed over.
    pub async fn add(&self, username: &str, role: Role, actor: &str) -> Result<String, AuthError> {
        self.add_in(username, role, None, actor).await
    }

    /// Creates an account working for `organisation` (required for an editor, and it
    /// must exist) with a one-time password, returned to be handed over.
    pub async fn add_in(
        &self,
        username: &str,
        role: Role,
        organisation: Option<&str>,
        actor: &str,
    ) -> Result<String, AuthError> {
        if !Account::valid_username(username) {
            return Err(AuthError::InvalidUsername(username.to_string()));
        }
        self.check_organisation(role, organisation).await?;
        if self.store.account(username).await?.is_some() {
            return Err(AuthError::Exists(username.to_string()));
        }
        let one_time = secret::one_time_password();
        let account = Account {
            username: username.to_string(),
            role,
            password_hash: hash_blocking(one_time.clone()).await,
            must_change: true,
            created_at: Utc::now(),
            organisation: organisation.map(str::to_string),
        };
        self.store.put_account(&account, "user.add", actor).await?;
        Ok(one_time)
    }

    /// Gives an account a new one-time password (ending its sessions and revoking its
    /// tokens) and returns it.
    pub async fn reset(&self, username: &str, actor: &str) -> Result<String, AuthError> {
        let mut account = self.account(username).await?;
        let one_time = secret::one_time_password();
        account.password_hash = hash_blocking(one_time.clone()).await;
        account.must_change = true;
        self.store
            .put_account(&account, "user.reset", actor)
            .await?;
        Ok(one_time)
    }

    /// Changes an account's role (ending its sessions and revoking its tokens).
    pub async fn set_role(&self, username: &str, role: Role, actor: &str) -> Result<(), AuthError> {
        let mut account = self.account(username).await?;
        self.check_organisation(role, account.organisation.as_deref())
            .await?;
        account.role = role;
        Ok(self.store.put_account(&account, "user.role", actor).await?)
    }

    /// Sets (or clears) the organisation an account works for, ending its sessions and
    /// revoking its tokens (what they may write changes).
    pub async fn set_organisation(
        &self,
        username: &str,
        organisation: Option<&str>,
        actor: &str,
    ) -> Result<(), AuthError> {
        let mut account = self.account(username).await?;
        self.check_organisation(account.role, organisation).await?;
        account.organisation = organisation.map(str::to_string);
        Ok(self
            .store
            .put_account(&account, "user.organisation", actor)
            .await?)
    }

    /// An editor must belong to an organisation, and any organisation named must exist.
    async fn check_organisation(
        &self,
        role: Role,
        organisation: Option<&str>,
    ) -> Result<(), AuthError> {
        match organisation {
            None if role == Role::Editor => Err(AuthError::EditorWithoutOrganisation),
            None => Ok(()),
            Some(id) => match self.store.organisation(id).await? {
                Some(_) => Ok(()),
                None => Err(AuthError::NoOrganisation(id.to_string())),
            },
        }
    }

    /// Removes an account with its sessions and tokens.
    pub async fn remove(&self, username: &str, actor: &str) -> Result<(), AuthError> {
        Ok(self.store.remove_account(username, actor).await?)
    }

    /// Every account.
    pub async fn list(&self) -> Result<Vec<Account>, AuthError> {
        Ok(self.store.accounts().await?)
    }

    async fn account(&self, username: &str) -> Result<Account, AuthError> {
        self.store
            .account(username)
            .await?
            .ok_or_else(|| AuthError::NoAccount(username.to_string()))
    }

    /// Checks a password and opens a session: returns the session secret (for the
    /// cookie) and the caller. `client` is the caller's address, for rate limiting.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<(String, Signed), AuthError> {
        if let Some(wait) = self.limiter.blocked(username, client, Instant::now()) {
            return Err(AuthError::RateLimited(wait.as_secs().max(1)));
        }
        let account = self.store.account(username).await?;
        let phc = account.as_ref().map_or_else(
            || password::decoy().to_string(),
            |a| a.password_hash.clone(),
        );
        let matches = verify_blocking(password.to_string(), phc).await;
        let Some(account) = account.filter(|_| matches) else {
            self.limiter.failed(username, client, Instant::now());
            return Err(AuthError::BadCredentials);
        };
        self.limiter.succeeded(username, client, Instant::now());
        self.open_session(&account).await
    }

    /// A new session for `account`: the secret (for the cookie) and the caller.
    async fn open_session(&self, account: &Account) -> Result<(String, Signed), AuthError> {
        let secret = secret::new_secret();
        let now = Utc::now();
        self.store
            .add_credential(
                &Credential {
                    secret_hash: secret::digest(&secret),
                    kind: CredentialKind::Session,
                    username: account.username.clone(),
                    label: String::new(),
                    created_at: now,
                    expires_at: Some(now + Duration::hours(SESSION_HOURS)),
                },
                &account.username,
            )
            .await?;
        Ok((secret, signed(account, CredentialKind::Session)))
    }

    /// Ends a session (or revokes a token) given its secret.
    pub async fn sign_out(&self, secret: &str) -> Result<(), AuthError> {
        Ok(self
            .store
            .remove_credential(&secret::digest(secret))
            .await?)
    }

    /// Replaces a password after checking the current one. Ends every session of the
    /// account and opens a new one (returned as by [`Accounts::sign_in`]).
    ///
    /// A wrong current password counts as a failed sign-in (same limits, same keys), so
    /// a session left open cannot be used to guess the password at leisure.
    pub async fn change_password(
        &self,
        username: &str,
        current: &str,
        new: &str,
        client: Option<&str>,
    ) -> Result<(String, Signed), AuthError> {
        if let Some(wait) = self.limiter.blocked(username, client, Instant::now()) {
            return Err(AuthError::RateLimited(wait.as_secs().max(1)));
        }
        let mut account = self.account(username).await?;
        if !verify_blocking(current.to_string(), account.password_hash.clone()).await {
            self.limiter.failed(username, client, Instant::now());
            return Err(AuthError::BadCredentials);
        }
        self.limiter.succeeded(username, client, Instant::now());
        if let Some(why) = password::weakness(new, username) {
            return Err(AuthError::WeakPassword(why));
        }
        if current == new {
            return Err(AuthError::WeakPassword(
                "the new password must differ from the current one".into(),
            ));
        }
        account.password_hash = hash_blocking(new.to_string()).await;
        account.must_change = false;
        self.store
            .put_account(&account, "user.password", username)
            .await?;
        self.open_session(&account).await
    }

    /// Issues an API token for `username`; the secret is returned once, only its digest
    /// is kept. Refused while the account has a one-time password (whoever holds it has
    /// not proven to be the account's owner yet). The token lasts until revoked, the
    /// account's password or role changes, or the account is removed.
    pub async fn issue_token(
        &self,
        username: &str,
        label: &str,
        actor: &str,
    ) -> Result<String, AuthError> {
        let account = self.account(username).await?;
        if account.must_change {
            return Err(AuthError::OneTimePasswordPending(account.username));
        }
        let secret = secret::new_secret();
        self.store
            .add_credential(
                &Credential {
                    secret_hash: secret::digest(&secret),
                    kind: CredentialKind::Token,
                    username: account.username,
                    label: label.to_string(),
                    created_at: Utc::now(),
                    expires_at: None,
                },
                actor,
            )
            .await?;
        Ok(secret)
    }

    /// Revokes every token of `username`.
    pub async fn revoke_tokens(&self, username: &str, actor: &str) -> Result<u64, AuthError> {
        self.account(username).await?;
        Ok(self.store.revoke_tokens(username, actor).await?)
    }

    /// The caller holding `secret` as a credential of `kind`, if it is valid now.
    pub async fn resolve(
        &self,
        secret: &str,
        kind: CredentialKind,
    ) -> Result<Option<Signed>, AuthError> {
        let Some(credential) = self.store.credential(&secret::digest(secret)).await? else {
            return Ok(None);
        };
        if credential.kind != kind || expired(credential.expires_at, Utc::now()) {
            return Ok(None);
        }
        Ok(self
            .store
            .account(&credential.username)
            .await?
            .map(|a| signed(&a, kind)))
    }
}

/// A pending one-time password limits the account, whatever the credential: a session
/// may only choose a new password, and a token (none is issued while the password is
/// pending, and a reset revokes them all) acts as the public.
fn signed(account: &Account, kind: CredentialKind) -> Signed {
    Signed {
        username: account.username.clone(),
        role: account.role,
        must_change: account.must_change,
        kind,
        organisation: account.organisation.clone(),
    }
}

fn expired(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|t| t <= now)
}

/// argon2 takes tens of milliseconds of CPU: off the async threads.
async fn hash_blocking(text: String) -> String {
    let copy = text.clone();
    tokio::task::spawn_blocking(move || password::hash(&text))
        .await
        .unwrap_or_else(|_| password::hash(&copy))
}

async fn verify_blocking(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .unwrap_or(false)
}
