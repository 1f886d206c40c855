//! Who is asking: the user, their role and session as every layer sees them, and the token
//! helpers. The users feature stores them; the core only reads these types.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::i18n::Lang;

keyed_enum! {
    /// What a user may do: everything, work with the register, or only read.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "lowercase")]
    pub(crate) enum Role {
        Admin = "admin",
        User = "user",
        Readonly = "readonly",
    }
}

impl Role {
    pub(crate) fn label(self, lang: Lang) -> &'static str {
        lang.t(self.key())
    }

    /// The text key of the role's name.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Role::Admin => "role.admin",
            Role::User => "role.user",
            Role::Readonly => "role.readonly",
        }
    }

    pub(crate) fn can_write(self) -> bool {
        self != Role::Readonly
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A user as the pages and the API see it (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct User {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    #[serde(skip)]
    pub language: Option<Lang>,
}

#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub token_hash: Vec<u8>,
    pub csrf_token: String,
    pub remember: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// Random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    hex(&buf)
}

/// Bytes as lowercase hex (tokens, hashes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
