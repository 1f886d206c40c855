//! The importer's unit tests: matching, all-or-nothing, dry runs, the two passes.

use super::*;
use crate::exchange::table::read_csv;

fn import(
    conn: &mut Connection,
    kind: Kind,
    csv: &str,
    options: &Options,
) -> Result<Report, ImportError> {
    let table = read_csv(csv.as_bytes()).unwrap();
    let mapping = Mapping::detect(kind, &table.headers);
    run(conn, kind, &table, &mapping, options, &mut |_, _| {})
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

const CUSTOMERS: &str = "Nimi;Y-tunnus;Puhelin;Tunnisteet;Lempiväri\nKahvila Äijälä Oy;0112038-9;040 1;VIP, Tampere;sininen\nMuu Oy;;;;\n";

#[test]
fn creates_then_matches_by_business_id_and_number() {
    let (_d, mut conn) = crate::db::temporary();
    let r = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (2, 0, 0));
    let c = customers::by_number(&conn, "1001").unwrap().unwrap();
    assert_eq!(c.tags, ["Tampere", "VIP"]);
    let r = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap();
    // "Muu Oy" has no business ID nor number: it is the one of the same name.
    assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 2));
    let r = import(
        &mut conn,
        Kind::Customers,
        "number;phone;name\n1001;040 2;\n1002;;Muu Yritys Oy\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (0, 2, 0));
    let c = customers::by_number(&conn, "1001").unwrap().unwrap();
    assert_eq!(
        (c.phone.as_str(), c.name.as_str()),
        ("040 2", "Kahvila Äijälä Oy")
    );
    assert_eq!(
        c.tags,
        ["Tampere", "VIP"],
        "an empty cell or a missing column changes nothing"
    );
    assert_eq!(count(&conn, "customers"), 2);
}

#[test]
fn rows_without_ids_match_by_name_within_the_file_and_in_the_register() {
    let (_d, mut conn) = crate::db::temporary();
    // The same company twice in one file: created once, then updated (dry run and import
    // agree).
    let csv = "name;phone;email\nAlfa Oy;040 1;\nALFA;+358 40 1;a@alfa.fi\nAlfa Oy;;b@other.fi\n";
    let dry = import(
        &mut conn,
        Kind::Customers,
        csv,
        &Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .unwrap();
    let r = import(&mut conn, Kind::Customers, csv, &Options::default()).unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (2, 1, 0));
    assert_eq!((dry.created, dry.updated, dry.unchanged), (2, 1, 0));
    // Row 3 only adds the e-mail: the phone is the same number written otherwise.
    assert_eq!(
        r.outcomes[1].changes,
        [Change {
            field: Field::Email,
            old: String::new(),
            new: "a@alfa.fi".into()
        }]
    );
    let r = import(&mut conn, Kind::Customers, csv, &Options::default()).unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 3));
    assert_eq!(count(&conn, "customers"), 2);
}

#[test]
fn normalised_values_compare_spellings() {
    assert_eq!(normalised(Field::Phone, "+358 50 555 1234"), "0505551234");
    assert_eq!(normalised(Field::Phone, "050-555 1234"), "0505551234");
    assert_eq!(
        normalised(Field::Website, "https://www.Example.fi/"),
        "example.fi"
    );
    assert_eq!(normalised(Field::Email, " A@B.fi"), "a@b.fi");
    assert_eq!(normalised(Field::City, "Ylä  Ii"), "Ylä Ii");
}

#[test]
fn dry_run_writes_nothing_and_a_bad_row_stops_everything() {
    let (_d, mut conn) = crate::db::temporary();
    let r = import(
        &mut conn,
        Kind::Customers,
        CUSTOMERS,
        &Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!((r.created, r.dry_run), (2, true));
    assert_eq!(count(&conn, "customers"), 0);
    assert_eq!(count(&conn, "events"), 0);
    let bad = "nimi;ytunnus\nA Oy;0112038-9\nB Oy;1234567-8\nC Oy;\n";
    let err = import(&mut conn, Kind::Customers, bad, &Options::default()).unwrap_err();
    let ImportError::Row(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.line, 3);
    let text = err.message(Kind::Customers, Lang::En);
    assert!(
        text.starts_with("Row 3: Business ID \"1234567-8\": "),
        "{text}"
    );
    assert!(
        err.message(Kind::Customers, Lang::Fi)
            .starts_with("Rivi 3: Y-tunnus"),
        "{}",
        err.message(Kind::Customers, Lang::Fi)
    );
    assert_eq!(count(&conn, "customers"), 0);
    let r = import(
        &mut conn,
        Kind::Customers,
        bad,
        &Options {
            skip_invalid: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!((r.created, r.skipped.len(), r.skipped[0].line), (2, 1, 3));
    assert_eq!(count(&conn, "customers"), 2);
}

#[test]
fn contacts_update_by_email_and_link_to_customers() {
    let (_d, mut conn) = crate::db::temporary();
    import(
        &mut conn,
        Kind::Customers,
        "name;business_id\nAlfa Oy;0112038-9\nBeta Oy;\n",
        &Options::default(),
    )
    .unwrap();
    let csv = "Etunimi;Sukunimi;Sähköposti;Asiakas;Rooli\nMatti;Meikäläinen;matti@alfa.fi;0112038-9;Toimitusjohtaja\nLiisa;;liisa@beta.fi;1001 | 1002;Hallitus | Myynti\n";
    let r = import(&mut conn, Kind::Contacts, csv, &Options::default()).unwrap();
    assert_eq!(r.created, 2);
    let m = contacts::by_email(&conn, "MATTI@alfa.fi").unwrap().unwrap();
    assert_eq!(m.customers[0].role, "Toimitusjohtaja");
    let l = contacts::by_email(&conn, "liisa@beta.fi").unwrap().unwrap();
    assert_eq!(
        l.customers
            .iter()
            .map(|c| c.role.as_str())
            .collect::<Vec<_>>(),
        ["Hallitus", "Myynti"]
    );
    let r = import(&mut conn, Kind::Contacts, csv, &Options::default()).unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 2));
    let r = import(
        &mut conn,
        Kind::Contacts,
        "email;title;customer;role\nmatti@alfa.fi;CEO;1002;\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(r.updated, 1);
    let m = contacts::by_email(&conn, "matti@alfa.fi").unwrap().unwrap();
    assert_eq!(
        (
            m.title.as_str(),
            m.customers.len(),
            m.customers[0].role.as_str()
        ),
        ("CEO", 2, "Toimitusjohtaja")
    );
    assert_eq!(count(&conn, "contacts"), 2);
    let err = import(
        &mut conn,
        Kind::Contacts,
        "nimi;asiakas\nPekka Puu;9999\n",
        &Options::default(),
    )
    .unwrap_err();
    let ImportError::Row(err) = err else { panic!() };
    assert!(
        err.message(Kind::Contacts, Lang::En).contains("9999"),
        "{}",
        err.message(Kind::Contacts, Lang::En)
    );
    let r = import(
        &mut conn,
        Kind::Contacts,
        "nimi;yritys;rooli\nPekka Puu;BETA;Hallitus\nSaara Sarvi;Gamma Oy;\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!((r.created, r.outcomes[0].label.as_str()), (2, "Pekka Puu"));
    let beta = customers::by_number(&conn, "1002").unwrap().unwrap().id;
    let linked = contacts::of_customer(&conn, beta).unwrap();
    assert!(
        linked
            .iter()
            .any(|(c, role)| c.last_name == "Puu" && role == "Hallitus"),
        "{linked:?}"
    );
}

/// What a report says, to compare a dry run with the import itself.
fn summary(r: &Report) -> (usize, usize, usize, Vec<String>, Vec<usize>) {
    let rows = r
        .outcomes
        .iter()
        .map(|o| format!("{} {:?} {}", o.line, o.action, o.label))
        .collect();
    let skipped = r.skipped.iter().map(|e| e.line).collect();
    (r.created, r.updated, r.unchanged, rows, skipped)
}

#[test]
fn a_dry_run_foretells_the_import_row_by_row() {
    let (_d, mut conn) = crate::db::temporary();
    import(
        &mut conn,
        Kind::Customers,
        "number;name;business_id\n5001;Alfa Oy;0112038-9\n5002;Beta Oy;\n",
        &Options::default(),
    )
    .unwrap();
    // A business ID repeated in the file (the second row updates the first), a number
    // and business ID of two customers (the business ID wins), a number given twice, a bad
    // row between good ones.
    let customers_csv = "number;name;business_id;phone\n\
        ;Gamma Oy;1572860-0;040 1\n\
        ;Gamma Oy;1572860-0;040 2\n\
        5002;;0112038-9;\n\
        6001;Delta Oy;;\n\
        6001;Delta Oy;;050 3\n\
        ;;;040 9\n\
        5001;Alfa Oy;0112038-9;\n";
    // Contacts: one created and then updated by e-mail, a link with a too long role (the
    // created contact must be undone with its row), links by number and business ID.
    let long_role = "x".repeat(200);
    let contacts_csv = format!(
        "first_name;last_name;email;customer;role\n\
         Matti;Meikäläinen;matti@alfa.fi;5001;Johtaja\n\
         Matti;Meikäläinen;MATTI@alfa.fi;5002;Myynti\n\
         Liisa;Virta;liisa@beta.fi;5002;{long_role}\n\
         Liisa;Virta;liisa@beta.fi;0112038-9;\n\
         Pekka;Puu;;9999;\n"
    );
    for (kind, csv, bad_rows) in [
        (Kind::Customers, customers_csv.to_string(), vec![7]),
        (Kind::Contacts, contacts_csv, vec![4, 6]),
    ] {
        let options = Options {
            skip_invalid: true,
            ..Options::default()
        };
        let dry = Options {
            dry_run: true,
            ..options.clone()
        };
        let foretold = import(&mut conn, kind, &csv, &dry).unwrap();
        let done = import(&mut conn, kind, &csv, &options).unwrap();
        assert_eq!(summary(&foretold), summary(&done), "{kind:?}");
        assert_eq!(summary(&done).4, bad_rows, "{kind:?}");
    }
    let liisa = contacts::by_email(&conn, "liisa@beta.fi").unwrap().unwrap();
    assert_eq!(liisa.customers.len(), 1);
}

#[test]
fn a_dry_run_takes_no_write_lock_and_a_bad_file_stops_before_taking_it() {
    let (dir, mut conn) = crate::db::temporary();
    let path = dir.path().join("minicrm.db");
    let mut other = crate::db::connect(&path, std::time::Duration::ZERO).unwrap();
    let held = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    held.execute("INSERT INTO settings(key, value) VALUES ('held', '1')", [])
        .unwrap();
    // Nothing here may wait for the lock: any wait would fail at once.
    conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let r = import(&mut conn, Kind::Customers, CUSTOMERS, &dry).unwrap();
    assert_eq!(r.created, 2);
    let bad = "nimi;ytunnus\nA Oy;0112038-9\nB Oy;1234567-8\n";
    let err = import(&mut conn, Kind::Customers, bad, &Options::default()).unwrap_err();
    assert!(
        matches!(err, ImportError::Row(RowError { line: 3, .. })),
        "{err:?}"
    );
    // A good file needs the lock: busy, said so, nothing written.
    let err = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap_err();
    assert!(matches!(err, ImportError::Db(Error::Busy)), "{err:?}");
    held.rollback().unwrap();
    let r = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap();
    assert_eq!(r.created, 2);
}

#[test]
fn yes_and_no_in_both_languages() {
    assert_eq!(parse_yes_no("Kyllä"), Some(true));
    assert_eq!(parse_yes_no("no"), Some(false));
    assert_eq!(parse_yes_no("ehkä"), None);
}

#[test]
fn a_report_keeps_the_rows_it_is_asked_to_and_counts_the_rest() {
    let (_d, mut conn) = crate::db::temporary();
    let mut csv = String::from("name;business_id\n");
    for i in 0..30 {
        csv.push_str(&format!("Yritys {i} Oy;\n"));
    }
    csv.push_str("Huono Oy;1234567-0\nHuonompi Oy;7654321-0\n");
    let options = Options {
        dry_run: true,
        skip_invalid: true,
        detail: 10,
        ..Options::default()
    };
    let r = import(&mut conn, Kind::Customers, &csv, &options).unwrap();
    assert_eq!((r.created, r.done(), r.outcomes.len()), (30, 30, 10));
    assert_eq!((r.skipped_count, r.skipped.len()), (2, 2));
    let few = Options {
        detail: 1,
        ..options
    };
    let r = import(&mut conn, Kind::Customers, &csv, &few).unwrap();
    assert_eq!(
        (r.outcomes.len(), r.skipped_count, r.skipped.len()),
        (1, 2, 1)
    );
    assert_eq!(count(&conn, "customers"), 0, "a dry run writes nothing");
}

#[test]
fn the_check_pass_leaves_no_temporary_tables_behind() {
    let (_d, mut conn) = crate::db::temporary();
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    for _ in 0..2 {
        // A second run on the same connection makes its tables again from nothing.
        let r = import(&mut conn, Kind::Customers, CUSTOMERS, &dry).unwrap();
        assert_eq!(r.created, 2);
    }
    let left: i64 = conn
        .query_row("SELECT count(*) FROM temp.sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn contacts_without_email_are_the_same_by_name_at_their_customer() {
    let (_d, mut conn) = crate::db::temporary();
    import(
        &mut conn,
        Kind::Customers,
        "name\nAlfa Oy\nBeta Oy\n",
        &Options::default(),
    )
    .unwrap();
    // Matti twice in one file (the second time with a phone), Maija at each customer: the
    // same name at another customer is another person.
    let csv = "Etunimi;Sukunimi;Puhelin;Asiakas;Rooli\nMatti;Meikäläinen;;1001;Toimitusjohtaja\nMatti;Meikäläinen;040 1;1001;\nMaija;Mäki;;1001;\nMaija;Mäki;;1002;\n";
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let foretold = import(&mut conn, Kind::Contacts, csv, &dry).unwrap();
    let r = import(&mut conn, Kind::Contacts, csv, &Options::default()).unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (3, 1, 0));
    assert_eq!(
        (foretold.created, foretold.updated, foretold.unchanged),
        (3, 1, 0),
        "the dry run foretells it"
    );
    assert_eq!(count(&conn, "contacts"), 3);
    // The same file again changes nothing and adds no one.
    let r = import(&mut conn, Kind::Contacts, csv, &Options::default()).unwrap();
    assert_eq!((r.created, r.updated), (0, 0), "{:?}", r.outcomes);
    assert_eq!(count(&conn, "contacts"), 3);
    // An address given later goes to the one stored without it.
    let r = import(
        &mut conn,
        Kind::Contacts,
        "first_name;last_name;email;customer\nMatti;Meikäläinen;matti@alfa.fi;1001\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!((r.created, r.updated), (0, 1));
    let m = contacts::by_email(&conn, "matti@alfa.fi").unwrap().unwrap();
    assert_eq!(
        (m.phone.as_str(), m.customers[0].role.as_str()),
        ("040 1", "Toimitusjohtaja")
    );
}
