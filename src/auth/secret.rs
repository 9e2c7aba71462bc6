//! Random secrets (session cookies, API tokens, one-time passwords) and their digests.
//! Only digests are stored: a leaked database does not let anyone sign in.

use base64::Engine;
use sha2::{Digest, Sha256};

/// The prefix of every API token and session secret, so a leaked one is recognisable.
const PREFIX: &str = "tirek_";

/// A new random secret: 32 bytes from the operating system, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is not recoverable: no secret is better than a weak one.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a secret: hex SHA-256. Lookups by digest take the same time
/// whatever the secret, so no constant-time comparison is needed on top.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-time password: 20 characters from an alphabet without look-alikes
/// (≈ 110 bits), grouped for reading aloud: `xxxxx-xxxxx-xxxxx-xxxxx`.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let mut out = String::with_capacity(23);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        // 256 is not a multiple of 31; the bias (≤ 1/8 of a bit per character) is harmless.
        out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_digests_stable() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43);
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), digest(&b));
        // Known SHA-256 test vector.
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn one_time_passwords_have_the_documented_shape() {
        let p = one_time_password();
        assert_eq!(p.len(), 23);
        assert_eq!(p.matches('-').count(), 3);
        assert_ne!(p, one_time_password());
    }
}
