//! What an event says, kept as data: a text key and its arguments (names, numbers, the fields
//! that changed with their old and new values). The sentence is written out when it is shown,
//! in the reader's language, so an English user reads English about what a Finnish colleague
//! did. It is stored as JSON in `events.data`; events from before it (no data) show the summary
//! they were written with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// A value in a sentence: typed text (a name, a number) kept as it was, or a text key shown in
/// the reader's language (a role, "deactivated").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Value {
    Key { key: String },
    Text(String),
}

impl Value {
    fn render(&self, lang: Lang) -> String {
        match self {
            Value::Key { key } => lang.t(key).to_string(),
            Value::Text(text) => text.clone(),
        }
    }
}

/// One change an update made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    /// "Phone changed from A to B"; `field` is the field's text key.
    Value {
        field: String,
        from: Value,
        to: Value,
    },
    /// "Notes edited": a long text whose values the sentence leaves out.
    Edited { field: String },
    /// A change that is a text of its own ("deactivated", the name of a setting).
    Said { key: String },
}

impl Change {
    pub(crate) fn value(field: &str, from: &str, to: &str) -> Change {
        Change::Value {
            field: field.to_string(),
            from: Value::Text(from.to_string()),
            to: Value::Text(to.to_string()),
        }
    }

    /// A change between two text keys (a role's name), shown in the reader's language.
    pub(crate) fn keys(field: &str, from: &str, to: &str) -> Change {
        Change::Value {
            field: field.to_string(),
            from: Value::Key { key: from.into() },
            to: Value::Key { key: to.into() },
        }
    }

    pub(crate) fn edited(field: &str) -> Change {
        Change::Edited {
            field: field.to_string(),
        }
    }

    pub(crate) fn said(key: &str) -> Change {
        Change::Said {
            key: key.to_string(),
        }
    }

    fn render(&self, lang: Lang) -> String {
        let or_dash = |v: String| if v.is_empty() { "—".to_string() } else { v };
        match self {
            Change::Value { field, from, to } => lang.tf(
                "summary.changed",
                &[
                    ("field", lang.t(field)),
                    ("from", &or_dash(from.render(lang))),
                    ("to", &or_dash(to.render(lang))),
                ],
            ),
            Change::Edited { field } => {
                lang.tf("summary.field_edited", &[("field", lang.t(field))])
            }
            Change::Said { key } => lang.t(key).to_string(),
        }
    }
}

/// An argument of a sentence: a value, or the list of changes of an update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Arg {
    One(Value),
    Changes(Vec<Change>),
}

/// A sentence as data: its text key and its arguments by placeholder name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sentence {
    pub key: String,
    #[serde(default)]
    pub args: BTreeMap<String, Arg>,
}

impl Sentence {
    pub(crate) fn new(key: &str) -> Sentence {
        Sentence {
            key: key.to_string(),
            args: BTreeMap::new(),
        }
    }

    /// A typed value (a name, a number), shown as it is.
    pub(crate) fn text(mut self, name: &str, value: impl Into<String>) -> Sentence {
        self.args
            .insert(name.into(), Arg::One(Value::Text(value.into())));
        self
    }

    /// A text key, shown in the reader's language.
    pub(crate) fn key(mut self, name: &str, key: &str) -> Sentence {
        self.args
            .insert(name.into(), Arg::One(Value::Key { key: key.into() }));
        self
    }

    pub(crate) fn changes(mut self, name: &str, changes: Vec<Change>) -> Sentence {
        self.args.insert(name.into(), Arg::Changes(changes));
        self
    }

    /// The sentence in `lang`.
    pub(crate) fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(name, arg)| {
                let text = match arg {
                    Arg::One(v) => v.render(lang),
                    // Names alone (settings) read as a list; changes with values apart.
                    Arg::Changes(list) => list
                        .iter()
                        .map(|c| c.render(lang))
                        .collect::<Vec<_>>()
                        .join(if list.iter().all(|c| matches!(c, Change::Said { .. })) {
                            ", "
                        } else {
                            "; "
                        }),
                };
                (name.as_str(), text)
            })
            .collect();
        let borrowed: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        lang.tf(&self.key, &borrowed)
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The sentence stored in `events.data`; `None` for none or one this version cannot read.
    pub(crate) fn from_json(data: Option<&str>) -> Option<Sentence> {
        serde_json::from_str(data?).ok()
    }

    /// Every typed text of the sentence, each passed through `edit` (erasure replaces a
    /// person's name in them).
    pub(crate) fn edit_texts(&mut self, edit: &dyn Fn(&str) -> String) {
        let fix = |v: &mut Value| {
            if let Value::Text(t) = v {
                *t = edit(t);
            }
        };
        for arg in self.args.values_mut() {
            match arg {
                Arg::One(v) => fix(v),
                Arg::Changes(list) => {
                    for change in list {
                        if let Change::Value { from, to, .. } = change {
                            fix(from);
                            fix(to);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_reads_in_each_language_and_round_trips_through_json() {
        let s = Sentence::new("summary.customer_updated")
            .text("name", "Järvinen Oy")
            .changes(
                "changes",
                vec![
                    Change::value("customers.phone", "", "040 123"),
                    Change::edited("customers.notes"),
                ],
            );
        let en = s.render(Lang::En);
        assert!(en.contains("Järvinen Oy"), "{en}");
        assert!(en.contains("040 123") && en.contains("—"), "{en}");
        let fi = s.render(Lang::Fi);
        assert_ne!(en, fi);
        let back = Sentence::from_json(Some(&s.to_json())).unwrap();
        assert_eq!(back, s);
        assert_eq!(Sentence::from_json(Some("not json")), None);
    }

    #[test]
    fn keys_are_shown_in_the_readers_language() {
        let s = Sentence::new("summary.user_created")
            .text("username", "lasse")
            .text("name", "Lasse")
            .key("role", "role.readonly");
        assert_ne!(s.render(Lang::En), s.render(Lang::Fi));
        assert!(
            !s.render(Lang::En).contains("[?]"),
            "{}",
            s.render(Lang::En)
        );
    }
}
