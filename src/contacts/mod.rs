//! Contacts: people at customers. A contact may belong to several customers with a role in
//! each (CEO of one, board member of another).

pub(crate) mod api;
pub mod list;
pub(crate) mod merge;
pub(crate) mod pages;
pub(crate) mod store;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(pub i64);

/// A contact's link to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub customer_id: i64,
    #[serde(default)]
    pub role: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub customers: Vec<Link>,
    /// The names of `customers`, in the same order, as the contact's row keeps them for its
    /// list row (not part of the API).
    #[serde(skip)]
    pub customer_names: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Contact {
    pub(crate) fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

/// Fields to create or change a contact; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ContactInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    /// On create: the customers to link to, with roles.
    pub customers: Option<Vec<Link>>,
}
