//! Import and export: the CLI (the real binary) and the web pages (the real server).

mod common;

use std::path::{Path, PathBuf};

use common::{minicrm, stderr, stdout, Client, TestServer, ADMIN_PASSWORD};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn count(db: &Path, table: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// (name, business_id, city, phone, tags joined, notes) of a customer by number.
fn customer(
    db: &Path,
    number: &str,
) -> Option<(String, Option<String>, String, String, String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT c.name, c.business_id, c.city, c.phone, \
           coalesce((SELECT group_concat(t.name, ', ') FROM (SELECT t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE ct.customer_id = c.id ORDER BY t.name) t), ''), c.notes \
         FROM customers c WHERE c.number = ?1",
        [number],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
    )
    .ok()
}

fn run(db: &Path, args: &[&str]) -> std::process::Output {
    minicrm(db).args(args).output().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

fn failed(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn cli_imports_a_finnish_excel_file_and_a_second_import_updates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let file = fixture("asiakkaat_excel.csv");
    let out = run(&db, &["import", "customers", file.to_str().unwrap()]);
    ok(&out);
    assert!(
        stdout(&out).contains("created 4, updated 0"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("Lisätieto"),
        "the unknown column is reported: {}",
        stderr(&out)
    );
    assert_eq!(count(&db, "customers"), 4);
    let (name, bid, city, phone, tags, notes) = customer(&db, "1001").unwrap();
    assert_eq!(
        (name.as_str(), bid.as_deref(), city.as_str(), phone.as_str()),
        (
            "Kahvila Äijälä Oy",
            Some("0112038-9"),
            "Jyväskylä",
            "040 123 4567"
        )
    );
    assert_eq!(tags, "Jyväskylä, VIP");
    assert_eq!(notes, "Tilaa kahvit; maksaa ajallaan");
    assert_eq!(
        customer(&db, "1002").unwrap().5,
        "Rivi yksi\nRivi \"kaksi\""
    );
    assert_eq!(
        customer(&db, "5001").unwrap().0,
        "Tmi Testinen",
        "an imported number is kept"
    );

    // The same file again: matched by business ID or number, nothing duplicated.
    let out = run(&db, &["import", "customers", file.to_str().unwrap()]);
    ok(&out);
    assert!(
        stdout(&out).contains("created 0, updated 0, unchanged 4"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(&db, "customers"), 4);

    // Changed cells update; empty cells and missing columns change nothing.
    let changed = "\u{feff}Y-tunnus;Puhelin;Nimi\r\n0112038-9;040 999 9999;\r\n;;\r\n";
    let changed_file = write(dir.path(), "muutos.csv", changed.as_bytes());
    let numbered = write(
        dir.path(),
        "numero.csv",
        b"asiakasnumero,kaupunki\n5001,Kemi\n",
    );
    let out = run(
        &db,
        &["import", "customers", changed_file.to_str().unwrap()],
    );
    ok(&out);
    assert!(
        stdout(&out).contains("created 0, updated 1"),
        "{}",
        stdout(&out)
    );
    let out = run(&db, &["import", "customers", numbered.to_str().unwrap()]);
    ok(&out);
    assert!(
        stdout(&out).contains("created 0, updated 1"),
        "{}",
        stdout(&out)
    );
    let (name, _, _, phone, tags, _) = customer(&db, "1001").unwrap();
    assert_eq!(
        (name.as_str(), phone.as_str(), tags.as_str()),
        ("Kahvila Äijälä Oy", "040 999 9999", "Jyväskylä, VIP")
    );
    assert_eq!(customer(&db, "5001").unwrap().2, "Kemi");
    assert_eq!(count(&db, "customers"), 4);
    // Every change was logged like a form's.
    let updates: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'customer.updated'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(updates, 2);
}

#[test]
fn cli_dry_run_reports_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let file = fixture("asiakkaat_excel.csv");
    let out = run(
        &db,
        &["import", "customers", file.to_str().unwrap(), "--dry-run"],
    );
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("row 2: would create Kahvila Äijälä Oy"),
        "{text}"
    );
    assert!(text.contains("would create 4, update 0"), "{text}");
    assert_eq!(count(&db, "customers"), 0);
    assert_eq!(count(&db, "events"), 0);
    ok(&run(&db, &["import", "customers", file.to_str().unwrap()]));
    let out = run(
        &db,
        &["import", "customers", file.to_str().unwrap(), "--dry-run"],
    );
    assert!(
        stdout(&out).contains("would create 0, update 0, leave 4 unchanged"),
        "{}",
        stdout(&out)
    );
}

const BAD_ROW_3: &str = "nimi;y-tunnus;kaupunki\nAlfa Oy;0737546-2;Espoo\nBeeta Oy;1234567-8;Vantaa\nGamma Oy;1572860-0;Turku\n";

#[test]
fn cli_a_bad_row_aborts_with_its_row_number_and_skip_invalid_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let file = write(dir.path(), "asiakkaat.csv", BAD_ROW_3.as_bytes());
    let err = failed(&run(&db, &["import", "customers", file.to_str().unwrap()]));
    assert!(err.contains("Row 3"), "{err}");
    assert!(err.contains("Business ID \"1234567-8\""), "{err}");
    assert!(err.contains("check digit"), "{err}");
    assert!(err.contains("Nothing was imported"), "{err}");
    assert_eq!(count(&db, "customers"), 0);

    let out = run(
        &db,
        &[
            "import",
            "customers",
            file.to_str().unwrap(),
            "--skip-invalid",
        ],
    );
    ok(&out);
    assert!(
        stdout(&out).contains("created 2, updated 0, unchanged 0, skipped 1"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("skipped Row 3"), "{err}");
    let rejected = dir.path().join("asiakkaat.rejected.csv");
    assert!(err.contains("asiakkaat.rejected.csv"), "{err}");
    let report = std::fs::read_to_string(&rejected).unwrap();
    assert!(
        report.starts_with("\u{feff}nimi;y-tunnus;kaupunki;error\r\n"),
        "{report}"
    );
    assert!(
        report.contains("Beeta Oy;1234567-8;Vantaa;\"Row 3: Business ID \"\"1234567-8\"\": "),
        "{report}"
    );
    assert_eq!(report.lines().count(), 2);
    assert_eq!(count(&db, "customers"), 2);
}

#[test]
fn cli_broken_quotes_and_latin1_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let broken = write(
        dir.path(),
        "lainaus.csv",
        b"nimi;muistiinpanot\nAlfa Oy;ok\nBeeta Oy;\"ei loppua\nGamma Oy;x\n",
    );
    let err = failed(&run(
        &db,
        &["import", "customers", broken.to_str().unwrap()],
    ));
    assert!(err.contains("Row 3") && err.contains("quote"), "{err}");
    let junk = write(
        dir.path(),
        "roska.csv",
        b"nimi;muistiinpanot\n\"Alfa\" Oy;ok\n",
    );
    let err = failed(&run(&db, &["import", "customers", junk.to_str().unwrap()]));
    assert!(err.contains("Row 2") && err.contains("quote"), "{err}");
    let err = failed(&run(
        &db,
        &[
            "import",
            "customers",
            dir.path().join("missing.csv").to_str().unwrap(),
        ],
    ));
    assert!(err.contains("cannot read"), "{err}");
    assert!(
        !db.exists(),
        "a file that cannot be read does not even create the database"
    );
    // "Jyväskylä" as Finnish Excel's "CSV (luetteloerotin)" saves it, in Windows-1252: read
    // as it is (the dry run shows the name right).
    let latin1 = write(
        dir.path(),
        "latin1.csv",
        b"nimi;kaupunki\r\nAlfa Oy;Espoo\r\nBeeta Oy;Jyv\xE4skyl\xE4\r\n",
    );
    let out = run(
        &db,
        &["import", "customers", "--dry-run", latin1.to_str().unwrap()],
    );
    ok(&out);
    assert!(
        stdout(&out).contains("would create Beeta Oy"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn cli_csv_export_has_bom_and_semicolons_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&run(
        &db,
        &[
            "import",
            "customers",
            fixture("asiakkaat_excel.csv").to_str().unwrap(),
        ],
    ));
    let contacts = "Etunimi;Sukunimi;Sähköposti;Asiakas;Rooli;Tunnisteet\nMatti;Meikäläinen;matti@aijala.fi;0112038-9;Toimitusjohtaja;Päättäjä, VIP\nLiisa;Virtanen;liisa@virtanen.fi;1002 | 1001;Omistaja | Hallitus;\n";
    ok(&run(
        &db,
        &[
            "import",
            "contacts",
            write(dir.path(), "k.csv", contacts.as_bytes())
                .to_str()
                .unwrap(),
        ],
    ));

    for lang in ["en", "fi"] {
        let out = run(&db, &["export", "customers", "--lang", lang]);
        ok(&out);
        let csv = out.stdout.clone();
        assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM first");
        let text = String::from_utf8(csv.clone()).unwrap();
        let header = text.lines().next().unwrap();
        assert_eq!(header.matches(';').count(), 14, "{header}");
        assert!(!header.contains(','), "{header}");
        assert!(
            header.contains(if lang == "en" {
                "business_id"
            } else {
                "Y-tunnus"
            }),
            "{header}"
        );
        assert!(text.contains(";Jyväskylä, VIP;"), "{text}");
        assert!(text.contains("\r\n"), "CRLF rows");

        // Into a new register and out again: the same file.
        let other = dir.path().join(format!("other-{lang}.db"));
        let exported = write(dir.path(), &format!("export-{lang}.csv"), &csv);
        let out = run(&other, &["import", "customers", exported.to_str().unwrap()]);
        ok(&out);
        assert!(stdout(&out).contains("created 4"), "{}", stdout(&out));
        assert!(
            stderr(&out).is_empty(),
            "every exported column imports back: {}",
            stderr(&out)
        );
        let again = run(&other, &["export", "customers", "--lang", lang]);
        assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
        // And into the same register: nothing changes.
        let out = run(&db, &["import", "customers", exported.to_str().unwrap()]);
        assert!(
            stdout(&out).contains("created 0, updated 0, unchanged 4"),
            "{}",
            stdout(&out)
        );
    }

    let out_file = dir.path().join("kontaktit.csv");
    ok(&run(
        &db,
        &["export", "contacts", "--out", out_file.to_str().unwrap()],
    ));
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.starts_with("\u{feff}first_name;last_name;email;phone;title;organisation;tags;notes;customer;role\r\n"), "{text}");
    assert!(text.contains("Liisa;Virtanen;liisa@virtanen.fi;;;Kahvila Äijälä Oy;;;1001 | 1002;Hallitus | Omistaja\r\n"), "{text}");
    let out = run(&db, &["import", "contacts", out_file.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("created 0, updated 0, unchanged 2"),
        "{}",
        stdout(&out)
    );

    let out = run(&db, &["export", "customers", "--format", "json"]);
    ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(json[0]["business_id"], "0112038-9");

    for (args, says) in [
        (&["export", "tasks"][..], "use --format ics"),
        (&["export", "log", "--format", "json"][..], "csv only"),
        (
            &["export", "customers", "--from", "2026-01-01"][..],
            "`export log` only",
        ),
        (
            &["export", "customers", "--format", "vcard"][..],
            "only for contacts",
        ),
        (
            &["export", "contacts", "--format", "ics"][..],
            "only for tasks",
        ),
    ] {
        let err = failed(&run(&db, args));
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// Unfolds vCard text (RFC 6350 3.2) into logical lines.
fn unfold(text: &str) -> Vec<String> {
    text.replace("\r\n ", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn cli_vcard_export_folds_long_lines_and_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&run(
        &db,
        &[
            "import",
            "customers",
            fixture("asiakkaat_excel.csv").to_str().unwrap(),
        ],
    ));
    let long_note = "Pitkä muistiinpano, jossa on ääkkösiä: äöå ÄÖÅ; puolipisteitä ja pilkkuja, joka ei mahdu yhdelle 75 tavun riville ja joka jatkuu vielä pitkään ja hartaasti.";
    let contacts = format!(
        "etunimi,sukunimi,sähköposti,puhelin,titteli,asiakas,muistiinpanot,tunnisteet\n\
         Matti,Meikäläinen,matti@aijala.fi,+358 40 123 4567,\"Toimitusjohtaja, omistaja\",1001,\"{long_note}\",\"VIP, Päättäjä\"\n\
         Liisa,Öhman,,,,,,\n"
    );
    ok(&run(
        &db,
        &[
            "import",
            "contacts",
            write(dir.path(), "k.csv", contacts.as_bytes())
                .to_str()
                .unwrap(),
        ],
    ));
    let out = run(&db, &["export", "contacts", "--format", "vcard"]);
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("BEGIN:VCARD\r\nVERSION:4.0\r\n").count(),
        2,
        "{text}"
    );
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "only CRLF line ends"
    );
    assert!(
        text.lines().all(|l| l.trim_end_matches('\r').len() <= 75),
        "{text}"
    );
    assert!(text.contains("\r\n "), "the long note is folded: {text}");
    let lines = unfold(&text);
    let expected_note = format!("NOTE:{}", long_note.replace(',', "\\,").replace(';', "\\;"));
    assert!(lines.contains(&expected_note), "{lines:#?}");
    assert!(
        lines.contains(&"ORG:Kahvila Äijälä Oy".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"TITLE:Toimitusjohtaja\\, omistaja".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"N:Meikäläinen;Matti;;;".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("UID:urn:uuid:")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("CATEGORIES:Päättäjä,VIP")),
        "{lines:#?}"
    );

    // The importer reads the export back: a new register gets the same contacts, linked by ORG
    // to the customer of that name.
    let vcf = write(dir.path(), "kaikki.vcf", text.as_bytes());
    let other = dir.path().join("other.db");
    ok(&run(
        &other,
        &[
            "import",
            "customers",
            fixture("asiakkaat_excel.csv").to_str().unwrap(),
        ],
    ));
    let out = run(&other, &["import", "contacts", vcf.to_str().unwrap()]);
    ok(&out);
    assert!(stdout(&out).contains("created 2"), "{}", stdout(&out));
    let again = String::from_utf8(run(&other, &["export", "contacts", "--format", "vcard"]).stdout)
        .unwrap();
    let strip = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| !l.starts_with("UID:") && !l.starts_with("REV:"))
            .collect()
    };
    assert_eq!(strip(unfold(&again)), strip(lines));
    // Again: matched by e-mail; the card without one is a new contact each time.
    let out = run(&other, &["import", "contacts", vcf.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("created 1, updated 0, unchanged 1"),
        "{}",
        stdout(&out)
    );

    let err = failed(&run(&db, &["import", "customers", vcf.to_str().unwrap()]));
    assert!(err.contains("import contacts"), "{err}");
}

#[test]
fn cli_imports_iphone_and_outlook_vcards() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&run(
        &db,
        &[
            "import",
            "customers",
            fixture("asiakkaat_excel.csv").to_str().unwrap(),
        ],
    ));
    let out = run(
        &db,
        &[
            "import",
            "contacts",
            fixture("iphone.vcf").to_str().unwrap(),
        ],
    );
    ok(&out);
    assert!(stdout(&out).contains("created 2"), "{}", stdout(&out));
    let out = run(
        &db,
        &[
            "import",
            "contacts",
            fixture("outlook.vcf").to_str().unwrap(),
        ],
    );
    ok(&out);
    assert!(stdout(&out).contains("created 1"), "{}", stdout(&out));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let person = |email: &str| -> (String, String, String, String, String) {
        conn.query_row(
            "SELECT first_name, last_name, phone, title, notes FROM contacts WHERE email = ?1",
            [email],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let liisa = person("liisa@virtanen.fi");
    assert_eq!(
        (
            liisa.0.as_str(),
            liisa.1.as_str(),
            liisa.2.as_str(),
            liisa.3.as_str()
        ),
        (
            "Liisa Maria",
            "Virtanen",
            "+358 50 765 4321",
            "Projektipäällikkö"
        )
    );
    assert_eq!(liisa.4, "Tapasimme Rakennusmessuilla, syksyllä. Pitkä muistiinpano, joka jatkuu seuraavalle riville\nja uudelle riville.");
    let antti = person("antti@aijala.fi");
    assert_eq!((antti.0.as_str(), antti.1.as_str()), ("Antti", "Äijälä"));
    let pekka = person("pekka.jarvinen@jarvisenkone.fi");
    assert_eq!(
        (
            pekka.0.as_str(),
            pekka.1.as_str(),
            pekka.2.as_str(),
            pekka.3.as_str()
        ),
        ("Pekka", "Järvinen", "+358 40 111 2222", "Myyntipäällikkö")
    );
    assert_eq!(pekka.4, "Soita aamupäivällä.\nEi perjantaisin.");
    // ORG linked the phone's contacts to the customers of those names.
    let linked: i64 = conn
        .query_row("SELECT count(*) FROM customer_contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(linked, 2, "Liisa to Rakennus Virtanen Ky and Antti to Kahvila Äijälä Oy; Järvisen Kone Oy is no customer");
    // The same cards again update by e-mail instead of duplicating.
    let out = run(
        &db,
        &[
            "import",
            "contacts",
            fixture("iphone.vcf").to_str().unwrap(),
        ],
    );
    assert!(
        stdout(&out).contains("created 0, updated 0, unchanged 2"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(&db, "contacts"), 3);
}

// ---------------------------------------------------------------------------------------------
// The web

/// A `multipart/form-data` body: text fields and an optional file part named `file`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----minicrmTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart body with the client's cookies; (status, body).
fn post_multipart(
    server: &TestServer,
    client: &Client,
    path: &str,
    body: (String, Vec<u8>),
) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let cookies = client
        .cookies
        .borrow()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut resp = agent
        .post(server.url(path))
        .header("Cookie", cookies)
        .header("Content-Type", body.0.as_str())
        .send(&body.1[..])
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(100 * 1024 * 1024)
        .read_to_string()
        .unwrap();
    (status, text)
}

/// The value of a hidden input, unescaped as a browser would.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    let raw = &page[at..at + page[at..].find('"').unwrap()];
    raw.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn web_import_previews_maps_dry_runs_and_imports() {
    let (server, admin) = TestServer::with_admin();
    let page = admin.get("/settings/import");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let file = std::fs::read(fixture("asiakkaat_excel.csv")).unwrap();

    // Step 1: upload → the mapping and a preview.
    let (status, preview) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[("csrf", &csrf), ("kind", "customers"), ("step", "preview")],
            Some(("asiakkaat.csv", &file)),
        ),
    );
    assert_eq!(status, 200, "{preview}");
    assert!(preview.contains("Kahvila Äijälä Oy"), "{preview}");
    assert!(preview.contains("name=\"map_2\""), "{preview}");
    assert!(
        preview.contains("<option value=\"business_id\" selected>"),
        "Y-tunnus is recognised: {preview}"
    );
    assert!(
        preview.contains("Lisätieto"),
        "the unknown column is shown: {preview}"
    );
    assert!(preview.contains("4 riviä"), "{preview}");
    // The file stays on the server: the form names it by a token and does not carry it.
    let upload = hidden(&preview, "upload");
    assert_eq!(upload.len(), 32, "{upload}");
    assert!(!preview.contains("name=\"data\""), "{preview}");
    assert_eq!(count(&server.db, "customers"), 0);

    // The mapping as the selects were left, but the phone column (5th) not imported.
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("kind".into(), "customers".into()),
        ("upload".into(), upload.clone()),
    ];
    let headers = [
        "number",
        "name",
        "business_id",
        "email",
        "",
        "street",
        "postal_code",
        "city",
        "country",
        "einvoice_address",
        "einvoice_operator",
        "tags",
        "notes",
        "",
    ];
    for (i, h) in headers.iter().enumerate() {
        fields.push((format!("map_{i}"), h.to_string()));
    }
    let with = |step: &str| -> Vec<(String, String)> {
        let mut f = fields.clone();
        f.push(("step".into(), step.into()));
        f
    };
    let send = |f: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        post_multipart(&server, &admin, "/settings/import", multipart(&pairs, None))
    };

    // Step 2: a dry run reports and writes nothing.
    let (status, dry) = send(with("dry_run"));
    assert_eq!(status, 200, "{dry}");
    assert!(dry.contains("Tuonti lisäisi 4, päivittäisi 0"), "{dry}");
    assert!(dry.contains("Mitään ei tallennettu"), "{dry}");
    assert_eq!(count(&server.db, "customers"), 0);

    // Step 3: the import.
    let (status, done) = send(with("import"));
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("Tuonti valmis: 4 lisätty, 0 päivitetty, 0 ennallaan"),
        "{done}"
    );
    assert_eq!(count(&server.db, "customers"), 4);
    let (_, _, _, phone, _, _) = customer(&server.db, "1001").unwrap();
    assert_eq!(phone, "", "the column mapped to nothing was not imported");
    let by: Option<i64> = rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row(
            "SELECT user_id FROM events WHERE kind = 'customer.created' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(by.is_some(), "the log names the admin who imported");

    // A bad row: the page again, the row and the reason in Finnish, nothing written.
    let (status, bad) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[("csrf", &csrf), ("kind", "customers"), ("step", "import")],
            Some(("huono.csv", BAD_ROW_3.as_bytes())),
        ),
    );
    assert_eq!(status, 422, "{bad}");
    let bad = bad.replace("&quot;", "\"");
    assert!(bad.contains("Rivi 3: Y-tunnus \"1234567-8\""), "{bad}");
    assert!(bad.contains("Mitään ei tuotu"), "{bad}");
    assert!(
        bad.contains("name=\"upload\""),
        "the form stays to fix the choice: {bad}"
    );
    assert_eq!(count(&server.db, "customers"), 4);
    let (status, skipped) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[
                ("csrf", &csrf),
                ("kind", "customers"),
                ("step", "import"),
                ("skip_invalid", "1"),
            ],
            Some(("huono.csv", BAD_ROW_3.as_bytes())),
        ),
    );
    assert_eq!(status, 200, "{skipped}");
    assert!(skipped.contains("1 riviä ohitettiin"), "{skipped}");
    assert_eq!(count(&server.db, "customers"), 6);

    // Unreadable files re-render the upload page with the reason.
    let (status, latin1) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[("csrf", &csrf), ("kind", "customers"), ("step", "preview")],
            Some(("vanha.csv", b"nimi\nJyv\xE4skyl\xE4n Kone Oy\n")),
        ),
    );
    // A Windows-1252 file (Finnish Excel's plain CSV) is read, no error.
    assert_eq!(status, 200, "{latin1}");
    assert!(
        latin1.contains("Jyväskylän Kone Oy") && latin1.contains("Windows-1252"),
        "{latin1}"
    );
    let (status, none) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(&[("csrf", &csrf), ("kind", "customers")], None),
    );
    assert_eq!(status, 422, "{none}");
    assert!(none.contains("Valitse tuotava tiedosto"), "{none}");

    // vCards: contacts straight from the upload.
    let vcf = std::fs::read(fixture("iphone.vcf")).unwrap();
    let (status, cards) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[("csrf", &csrf), ("kind", "contacts"), ("step", "import")],
            Some(("kontaktit.vcf", &vcf)),
        ),
    );
    assert_eq!(status, 200, "{cards}");
    assert!(cards.contains("2 lisätty"), "{cards}");
    assert_eq!(count(&server.db, "contacts"), 2);

    // Without the CSRF token: refused, nothing written.
    let (status, _) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[("csrf", "wrong"), ("kind", "contacts"), ("step", "import")],
            Some(("kontaktit.vcf", &vcf)),
        ),
    );
    assert_eq!(status, 403);
    assert_eq!(count(&server.db, "contacts"), 2);
}

#[test]
fn web_downloads_honour_the_list_filter() {
    let (server, admin) = TestServer::with_admin();
    ok(&run(
        &server.db,
        &[
            "import",
            "customers",
            fixture("asiakkaat_excel.csv").to_str().unwrap(),
        ],
    ));
    let archive = write(
        server.dir.path(),
        "arkisto.csv",
        b"asiakasnumero;arkistoitu\n5001;kyll\xC3\xA4\n",
    );
    ok(&run(
        &server.db,
        &["import", "customers", archive.to_str().unwrap()],
    ));
    ok(&run(
        &server.db,
        &[
            "import",
            "contacts",
            fixture("iphone.vcf").to_str().unwrap(),
        ],
    ));

    let all = admin.get("/customers.csv");
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.bytes.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(all.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = all.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"asiakkaat-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(
        all.body.contains("Asiakasnumero;Nimi;Y-tunnus"),
        "Finnish headers for a Finnish user: {}",
        all.body
    );
    assert_eq!(
        all.body.lines().count(),
        1 + 4,
        "three active customers, one over two lines: {}",
        all.body
    );
    assert!(
        !all.body.contains("Tmi Testinen"),
        "archived ones only when asked"
    );

    let rows = |path: &str| -> Vec<String> {
        let resp = admin.get(path);
        assert_eq!(resp.status, 200, "{path}: {}", resp.body);
        resp.body
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split(';').nth(1))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(rows("/customers.csv?q=aijala"), ["Kahvila Äijälä Oy"]);
    assert_eq!(
        rows("/customers.csv?tag=VIP&sort=-name"),
        ["Öljy-Öhman Oy", "Kahvila Äijälä Oy"]
    );
    assert_eq!(rows("/customers.csv?archived=true"), ["Tmi Testinen"]);
    assert_eq!(rows("/customers.csv?archived=all&sort=number").len(), 4);
    assert_eq!(admin.get("/customers.csv?archived=maybe").status, 400);

    let contacts = admin.get("/contacts.csv?q=liisa");
    assert_eq!(contacts.status, 200);
    assert!(
        contacts
            .body
            .contains("Liisa Maria;Virtanen;liisa@virtanen.fi"),
        "{}",
        contacts.body
    );
    assert!(!contacts.body.contains("Antti"), "{}", contacts.body);

    let vcards = admin.get("/contacts.vcf");
    assert_eq!(vcards.status, 200);
    assert_eq!(
        vcards.header("content-type"),
        Some("text/vcard; charset=utf-8")
    );
    assert_eq!(vcards.body.matches("BEGIN:VCARD").count(), 2);
    let virtanen: i64 = rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row("SELECT id FROM customers WHERE number = '1002'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let theirs = admin.get(&format!("/contacts.vcf?customer_id={virtanen}"));
    assert_eq!(
        theirs.body.matches("BEGIN:VCARD").count(),
        1,
        "{}",
        theirs.body
    );
    assert!(
        theirs.body.contains("FN:Liisa Maria Virtanen\r\n"),
        "{}",
        theirs.body
    );
    let liisa: i64 = rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row(
            "SELECT id FROM contacts WHERE email = 'liisa@virtanen.fi'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let one = admin.get(&format!("/contacts/{liisa}.vcf"));
    assert_eq!(one.status, 200);
    assert!(
        one.body.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"),
        "{}",
        one.body
    );
    assert!(
        one.body.contains("ORG:Rakennus Virtanen Ky\r\n"),
        "{}",
        one.body
    );
    assert_eq!(
        one.header("content-disposition"),
        Some("attachment; filename=\"Liisa-Maria-Virtanen.vcf\"")
    );
    assert_eq!(admin.get("/contacts/999999.vcf").status, 404);

    // The same under the API, with a token.
    let out = run(&server.db, &["token", "create", "--user", "admin"]);
    ok(&out);
    let token = stdout(&out).lines().last().unwrap().trim().to_string();
    let api = admin.api(
        "GET",
        &format!("/api/v1/contacts/{liisa}.vcf"),
        Some(&token),
        None,
    );
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(
        api.header("content-type"),
        Some("text/vcard; charset=utf-8")
    );
    assert_eq!(api.body, one.body);
    let api = admin.api(
        "GET",
        &format!("/api/v1/contacts.vcf?customer_id={virtanen}"),
        Some(&token),
        None,
    );
    assert_eq!(api.body, theirs.body);
    assert_eq!(
        admin.api("GET", "/api/v1/contacts.vcf", None, None).status,
        401
    );
    assert_eq!(
        admin
            .api(
                "GET",
                "/api/v1/contacts.vcf?customer_id=x",
                Some(&token),
                None
            )
            .status,
        400
    );
}

#[test]
fn readonly_users_may_download_but_not_import() {
    let (server, admin) = TestServer::with_admin();
    common::add_user(&admin, "lukija", "readonly", ADMIN_PASSWORD);
    common::add_user(&admin, "myyja", "user", ADMIN_PASSWORD);
    for who in ["lukija", "myyja"] {
        let client = server.client();
        assert_eq!(client.login(who, ADMIN_PASSWORD).status, 303);
        assert_eq!(client.get("/settings/import").status, 403, "{who}");
        let csrf = client.get("/").csrf();
        let (status, _) = post_multipart(
            &server,
            &client,
            "/settings/import",
            multipart(
                &[("csrf", &csrf), ("kind", "customers"), ("step", "import")],
                Some(("a.csv", b"nimi\nAlfa Oy\n")),
            ),
        );
        assert_eq!(status, 403, "{who}");
        assert_eq!(
            client.get("/customers.csv").status,
            200,
            "{who} may download"
        );
    }
    assert_eq!(count(&server.db, "customers"), 0);
}

/// Rows that only look like a stored customer (the same name, nothing to be sure by) are listed
/// in the preview with a choice each: update that one, add a new one, or leave the row out.
#[test]
fn web_import_asks_about_rows_that_only_look_like_stored_ones() {
    let (server, admin) = TestServer::with_admin();
    let csrf = admin.get("/settings/import").csrf();
    let first = "Nimi;Puhelin\nAlfa Oy;040 1\nBeta Oy;040 2\n";
    let upload = |file: &str| {
        post_multipart(
            &server,
            &admin,
            "/settings/import",
            multipart(
                &[("csrf", &csrf), ("kind", "customers"), ("step", "preview")],
                Some(("asiakkaat.csv", file.as_bytes())),
            ),
        )
    };
    let (status, preview) = upload(first);
    assert_eq!(status, 200, "{preview}");
    assert!(
        !preview.contains("name=\"choice\""),
        "nothing to ask: {preview}"
    );
    let token = hidden(&preview, "upload");
    let (status, done) = post_multipart(
        &server,
        &admin,
        "/settings/import",
        multipart(
            &[
                ("csrf", &csrf),
                ("kind", "customers"),
                ("upload", &token),
                ("step", "import"),
            ],
            None,
        ),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(count(&server.db, "customers"), 2);

    // The same names written otherwise, and a new one.
    let (status, preview) = upload("Nimi;Puhelin\nALFA OY;040 9\nbeta;050 9\nGamma Oy;\n");
    assert_eq!(status, 200, "{preview}");
    assert!(preview.contains("Samannäköiset rivit"), "{preview}");
    for option in [
        "2:update\" selected",
        "2:add\"",
        "2:skip\"",
        "3:update\" selected",
    ] {
        assert!(preview.contains(option), "{option}: {preview}");
    }
    assert!(
        !preview.contains("4:update"),
        "a new one is not asked about"
    );
    let token = hidden(&preview, "upload");
    let send = |step: &str| {
        post_multipart(
            &server,
            &admin,
            "/settings/import",
            multipart(
                &[
                    ("csrf", &csrf),
                    ("kind", "customers"),
                    ("upload", &token),
                    ("choice", "2:add"),
                    ("choice", "3:skip"),
                    ("choice", "99:bogus"),
                    ("step", step),
                ],
                None,
            ),
        )
    };
    let (status, dry) = send("dry_run");
    assert_eq!(status, 200, "{dry}");
    assert!(
        dry.contains("2:add\" selected"),
        "the choice is kept: {dry}"
    );
    assert_eq!(count(&server.db, "customers"), 2);
    let (status, done) = send("import");
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Ohitettu"), "{done}");
    // Alfa twice now, Beta untouched, Gamma added.
    assert_eq!(count(&server.db, "customers"), 4);
    // Each import is in the log as such, besides its records' own events; a dry run is not.
    let imports: Vec<(String, Option<i64>)> = rusqlite::Connection::open(&server.db)
        .unwrap()
        .prepare("SELECT summary, user_id FROM events WHERE kind = 'import' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(imports.len(), 2, "{imports:?}");
    assert_eq!(
        imports[1].0,
        "Asiakkaita tuotiin tiedostosta asiakkaat.csv: 2 lisätty, 0 päivitetty."
    );
    assert!(imports[1].1.is_some(), "the admin who imported");
    let (name, _, _, phone, _, _) = customer(&server.db, "1002").unwrap();
    assert_eq!((name.as_str(), phone.as_str()), ("Beta Oy", "040 2"));
}
