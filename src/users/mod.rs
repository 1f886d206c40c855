//! Users, roles, passwords, sessions, API tokens and login history.

pub mod api;
pub mod pages;
pub mod password;
pub mod store;

use serde::Serialize;

use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
    Readonly,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::User, Role::Readonly];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
            Role::Readonly => "readonly",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Admin => lang.t("role.admin"),
            Role::User => lang.t("role.user"),
            Role::Readonly => lang.t("role.readonly"),
        }
    }

    pub fn can_write(self) -> bool {
        self != Role::Readonly
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A user as the pages and the API see it (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    #[serde(skip)]
    pub language: Option<Lang>,
}
