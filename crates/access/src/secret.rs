//! Secrets: passwords hashed with argon2id, and random tokens kept only as digests.
//!
//! A password is low-entropy, so it gets a slow, salted hash. A token or session id is 256
//! random bits, so a fast SHA-256 digest is enough to make a stolen database useless for
//! logging in, and lets a request's token be looked up by its digest.

use crate::AccessError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The argon2id hash (PHC string) of `password`.
pub fn hash_password(password: &str) -> Result<String, AccessError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccessError::Invalid {
            field: "password",
            message: format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    let salt = SaltString::encode_b64(&rand::rng().random::<[u8; 16]>())
        .map_err(|e| AccessError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccessError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`; `None` for a user without a password, checked
/// against a hash of nothing in particular so that the answer takes the same time.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let (hash, real) = match hash {
        Some(hash) => (hash, true),
        None => (decoy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// A hash with the default parameters of a password nobody knows, made once.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(&new_token()).expect("hashing a 64-character random password")
    })
}

/// 256 random bits as 64 hex digits, from the operating system's generator (reseeded).
pub fn new_token() -> String {
    hex(&rand::rng().random::<[u8; 32]>())
}

/// A generated password: 20 characters from an alphabet without look-alikes.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The SHA-256 digest of a token, in hex: what the store keeps.
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(Some(&hash), "correct horse battery"));
        assert!(!verify_password(Some(&hash), "correct horse batterY"));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_as_digests() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        // SHA-256 of "abc", from FIPS 180-2.
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(new_password().len(), 20);
    }
}
