//! The task list: what tasks declare to the shared register list. Every filter and order has
//! its index (`schema.sql`, `tests/query_plans.rs`).

use chrono::{Datelike, Duration, NaiveDate};
use rusqlite::types::Value;
use rusqlite::Row;

use super::store::{from_row, COLUMNS};
use super::Task;
use crate::error::Result;
use crate::http::form::Form;
use crate::register::list::{self, id_param, unknown_value, Key, Register, SortSpec, ID};

/// The task register, as the list machinery sees it.
pub struct Tasks;

/// Open, done or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    All,
    Open,
    Done,
}

/// A window of dates relative to today (the company's today).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum When {
    #[default]
    Any,
    /// Open and dated before today.
    Overdue,
    Today,
    /// Monday to Sunday of this week.
    Week,
}

/// What a task list is narrowed to besides search.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub assignee_id: Option<i64>,
    pub status: Status,
    pub when: When,
    /// The company's today, which `when` counts from (the handlers fill it in).
    pub today: Option<NaiveDate>,
    /// A group's path; its subgroups count too.
    pub group: String,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
}

/// The orders a task list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Due,
    DueDesc,
}

pub type ListQuery = list::ListQuery<Tasks>;

fn date_param(q: &Form, name: &str) -> Result<Option<NaiveDate>> {
    match q.get(name).trim() {
        "" => Ok(None),
        v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| unknown_value(name)),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Register for Tasks {
    type Row = Task;
    type Filter = Filter;
    type Sort = Sort;
    const PATH: &'static str = "/tasks";
    const TABLE: &'static str = "tasks";
    const ALIAS: &'static str = "tk";
    const COLUMNS: &'static str = COLUMNS;
    const FTS: &'static str = "tasks_fts";
    const TAGS: (&'static str, &'static str) = ("task_tags", "task_id");
    #[rustfmt::skip]
    const SORTS: &'static [SortSpec<Sort>] = &[
        SortSpec { sort: Sort::Due, key: "due", label: "tasks.sort_due", keys: &[Key::plain("due_date"), Key::nullable("due_time"), ID], desc: false },
        SortSpec { sort: Sort::DueDesc, key: "-due", label: "tasks.sort_due_desc", keys: &[Key::plain("due_date"), Key::nullable("due_time"), ID], desc: true },
    ];

    fn from_row(row: &Row) -> rusqlite::Result<Task> {
        from_row(row)
    }

    fn filter_from(q: &Form) -> Result<Filter> {
        Ok(Filter {
            assignee_id: id_param(q, "assignee_id")?,
            status: match q.get("status") {
                "" | "all" => Status::All,
                "open" => Status::Open,
                "done" => Status::Done,
                _ => return Err(unknown_value("status")),
            },
            when: match q.get("when") {
                "" => When::Any,
                "overdue" => When::Overdue,
                "today" => When::Today,
                "week" => When::Week,
                _ => return Err(unknown_value("when")),
            },
            today: date_param(q, "today")?,
            group: super::store::normalise_path(q.get("group")),
            customer_id: id_param(q, "customer_id")?,
            contact_id: id_param(q, "contact_id")?,
            due_from: date_param(q, "due_from")?,
            due_to: date_param(q, "due_to")?,
        })
    }

    fn filter_sql(filter: &Filter, sql: &mut String, args: &mut Vec<Value>) {
        let date = |d: NaiveDate| Value::Text(d.format("%Y-%m-%d").to_string());
        if let Some(user) = filter.assignee_id {
            sql.push_str(" AND tk.assignee_id = ?");
            args.push(Value::Integer(user));
        }
        if let Some(customer) = filter.customer_id {
            sql.push_str(" AND tk.customer_id = ?");
            args.push(Value::Integer(customer));
        }
        if let Some(contact) = filter.contact_id {
            sql.push_str(" AND tk.contact_id = ?");
            args.push(Value::Integer(contact));
        }
        let status = match (filter.status, filter.when) {
            (_, When::Overdue) => Status::Open,
            (s, _) => s,
        };
        match status {
            Status::All => {}
            Status::Open => sql.push_str(" AND tk.done = 0"),
            Status::Done => sql.push_str(" AND tk.done = 1"),
        }
        let today = filter
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        match filter.when {
            When::Any => {}
            When::Overdue => {
                sql.push_str(" AND tk.due_date < ?");
                args.push(date(today));
            }
            When::Today => {
                sql.push_str(" AND tk.due_date = ?");
                args.push(date(today));
            }
            When::Week => {
                let monday =
                    today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                sql.push_str(" AND tk.due_date BETWEEN ? AND ?");
                args.push(date(monday));
                args.push(date(monday + Duration::days(6)));
            }
        }
        if let Some(from) = filter.due_from {
            sql.push_str(" AND tk.due_date >= ?");
            args.push(date(from));
        }
        if let Some(to) = filter.due_to {
            sql.push_str(" AND tk.due_date <= ?");
            args.push(date(to));
        }
        if !filter.group.is_empty() {
            sql.push_str(
                " AND tk.group_id IN (SELECT g.id FROM task_groups g WHERE g.path = ? OR g.path LIKE ? ESCAPE '\\')",
            );
            args.push(Value::Text(filter.group.clone()));
            args.push(Value::Text(format!("{}/%", like_escape(&filter.group))));
        }
    }
}
