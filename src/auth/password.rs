//! Password hashing with argon2id (RustCrypto `argon2`, default parameters:
//! 19 MiB, 2 passes, 1 lane — the OWASP minimum), stored as PHC strings.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        // Only fails for parameters out of range; ours are the library's defaults.
        .expect("argon2 with default parameters")
        .to_string()
}

/// Whether `password` matches `phc` (constant time in the password).
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash nobody's password matches, verified against for unknown user names so a
/// failed sign-in takes as long whether or not the name exists.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&super::secret::new_secret()))
}

/// Why a new password is refused, if it is.
pub fn weakness(password: &str, username: &str) -> Option<String> {
    if password.chars().count() < MIN_LENGTH {
        return Some(format!("a password needs at least {MIN_LENGTH} characters"));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Some("a password must not contain the user name".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(h, hash("correct horse battery"), "salted");
        assert!(!verify("", decoy()));
    }

    #[test]
    fn weak_passwords() {
        assert!(weakness("short", "amina").is_some());
        assert!(weakness("amina-1234567890", "amina").is_some());
        assert!(weakness("a long enough phrase", "amina").is_none());
    }
}
