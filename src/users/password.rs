//! Password hashing with argon2id. The hash string records its own parameters, so a hash made
//! with the cheap test parameters still verifies, and production hashes use the defaults.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub(crate) const MIN_LENGTH: usize = 10;
pub(crate) const MAX_LENGTH: usize = 1000;

static LOW_COST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes hashing cheap, for tests only: debug builds are slow at the real parameters and the
/// test suite logs in many times. The CLI reads `MINICRM_PASSWORD_COST=low` for the same.
pub fn use_low_cost_for_tests() {
    LOW_COST.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn hasher() -> Argon2<'static> {
    let low = LOW_COST.load(std::sync::atomic::Ordering::Relaxed)
        || std::env::var("MINICRM_PASSWORD_COST").is_ok_and(|v| v == "low");
    if low {
        let params = Params::new(256, 1, 1, None).expect("valid argon2 parameters");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    } else {
        Argon2::default()
    }
}

/// Checks the length rules; the i18n key of the reason on failure.
pub(crate) fn check_strength(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        Err("users.password_too_short")
    } else if chars > MAX_LENGTH {
        Err("users.password_too_long")
    } else {
        Ok(())
    }
}

pub(crate) fn hash(password: &str) -> Result<String, crate::Error> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| crate::Error::Internal(format!("password hashing failed: {e}")))
}

/// Password checks (argon2 verifications) made by this process.
static VERIFICATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many passwords this process has checked against a hash: the tests count the real checks
/// a burst of logins gets past the lockout.
pub fn verifications() -> u64 {
    VERIFICATIONS.load(std::sync::atomic::Ordering::SeqCst)
}

pub(crate) fn verify(password: &str, hash: &str) -> bool {
    VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    match PasswordHash::new(hash) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash that never verifies, checked against when the username is unknown so a login takes
/// as long whether or not the user exists.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no user has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert_eq!(check_strength("short"), Err("users.password_too_short"));
        assert_eq!(check_strength("123456789"), Err("users.password_too_short"));
        assert_eq!(check_strength("ääääääääää"), Ok(()));
        assert_eq!(
            check_strength(&"x".repeat(1001)),
            Err("users.password_too_long")
        );
    }
}
