//! Finnish e-invoice operators by their operator ID (välittäjätunnus), so that a card shows
//! "Maventa" for 003721291126 and the form offers the common ones to pick from. Banks use their
//! BIC as the ID. Only IDs from the operators' and banks' own published lists are here; any
//! other ID is still accepted and shown as it is. The names are company names, the same in
//! both languages.

/// (operator ID, name), in the order the form offers them.
pub(crate) const OPERATORS: &[(&str, &str)] = &[
    ("003721291126", "Maventa"),
    ("BAWCFI22", "Basware"),
    ("003703575029", "CGI"),
    ("E204503", "OpusCapita (Pagero)"),
    ("003723327487", "Apix Messaging"),
    ("003701011385", "Tietoevry"),
    ("003708599126", "OpenText (Liaison)"),
    ("003714377140", "Ropo Capital"),
    ("003726044706", "Netbox Finland"),
    ("NDEAFIHH", "Nordea"),
    ("OKOYFIHH", "OP"),
    ("DABAFIHH", "Danske Bank"),
    ("HANDFIHH", "Handelsbanken"),
    ("SBANFIHH", "S-Pankki"),
    ("HELSFIHH", "Aktia"),
    ("POPFFI22", "POP Pankki"),
    ("ITELFIHH", "Säästöpankki, Oma Säästöpankki"),
    ("AABAFI22", "Ålandsbanken"),
];

/// The operator's name for `id` (case and spaces as typed do not matter).
pub(crate) fn name(id: &str) -> Option<&'static str> {
    let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    OPERATORS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(&id))
        .map(|(_, name)| *name)
}

/// The operator as a card shows it: "Maventa (003721291126)", or the ID alone.
pub(crate) fn shown(id: &str) -> String {
    match name(id) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_operator_ids_have_names_and_others_show_as_they_are() {
        assert_eq!(name("003721291126"), Some("Maventa"));
        assert_eq!(name("bawcfi22"), Some("Basware"));
        assert_eq!(shown("NDEAFIHH"), "Nordea (NDEAFIHH)");
        assert_eq!(shown("003799999999"), "003799999999");
        let mut ids: Vec<&str> = OPERATORS.iter().map(|o| o.0).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), OPERATORS.len(), "an ID listed twice");
    }
}
