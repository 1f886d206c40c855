//! Tasks: who of the company does what, for which customer (and maybe its contact), and when;
//! grouped in a hierarchy of groups (`Myynti/Puhelut`). A task due in the future gets reminders
//! (`schedule`), which the reminder job delivers once each (`reminders`).

pub(crate) mod api;
pub(crate) mod calendar;
pub(crate) mod email;
pub mod list;
pub(crate) mod pages;
pub mod reminders;
pub(crate) mod schedule;
pub(crate) mod store;

use serde::{Deserialize, Serialize};

use crate::customers::double_option;

/// One reminder of a task, as the task shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reminder {
    pub id: i64,
    /// `before` (days ahead) or `due` (on the day).
    pub kind: String,
    pub remind_at: String,
    pub delivered_at: Option<String>,
    pub dismissed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: i64,
    pub description: String,
    pub assignee_id: i64,
    /// The group's path (`Myynti/Puhelut`).
    pub group: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// `HH:MM`.
    pub due_time: Option<String>,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// `open` or `done`.
    pub status: &'static str,
    pub done_at: Option<String>,
    pub remind_days_before: Option<i64>,
    pub reminders: Vec<Reminder>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub assignee_name: String,
    #[serde(skip)]
    pub customer_name: Option<String>,
    #[serde(skip)]
    pub contact_name: Option<String>,
}

impl Task {
    pub(crate) fn is_done(&self) -> bool {
        self.status == "done"
    }
}

/// Fields to create or change a task; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TaskInput {
    pub description: Option<String>,
    pub assignee_id: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub group: Option<Option<String>>,
    pub due_date: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_time: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub customer_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contact_id: Option<Option<i64>>,
    /// Missing on create: the company's default; `null`: no advance reminder.
    #[serde(default, deserialize_with = "double_option")]
    pub remind_days_before: Option<Option<i64>>,
    /// `open` or `done` (the API's way to mark one done or reopen it).
    pub status: Option<String>,
}
