//! Finnish data in and out: Excel's encodings and workbooks, re-imports that update, and the
//! YTJ look-up (against a loopback stand-in of the register's API).

mod common;

use std::path::Path;

use common::{minicrm, stderr, stdout, Client, TestServer};

fn run(db: &Path, args: &[&str]) -> std::process::Output {
    let out = minicrm(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

/// (name, city, phone) of every customer, by name.
fn customers(db: &Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, city, phone FROM customers ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

#[test]
fn windows_1252_and_utf16_files_import_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("minicrm.db");
    // Finnish Excel's "CSV (luetteloerotin)": Windows-1252 with `;`.
    let latin = dir.path().join("asiakkaat.csv");
    std::fs::write(
        &latin,
        b"Nimi;Kaupunki;Puhelin\r\nKahvila \xC4ij\xE4l\xE4 Oy;Jyv\xE4skyl\xE4;040 123\r\n",
    )
    .unwrap();
    run(&db, &["import", "customers", latin.to_str().unwrap()]);
    // Excel's "Unicode text": UTF-16 with tabs.
    let unicode = dir.path().join("asiakkaat.txt");
    std::fs::write(
        &unicode,
        utf16le("Nimi\tKaupunki\r\nÖljy-Öhman Ky\tÄänekoski\r\n"),
    )
    .unwrap();
    run(&db, &["import", "customers", unicode.to_str().unwrap()]);
    assert_eq!(
        customers(&db),
        [
            (
                "Kahvila Äijälä Oy".to_string(),
                "Jyväskylä".to_string(),
                "040 123".to_string()
            ),
            ("Öljy-Öhman Ky".into(), "Äänekoski".into(), "".into()),
        ]
    );
}

#[test]
fn xlsx_imports_and_the_export_opens_back() {
    use calamine::Reader;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("minicrm.db");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Nimi", "Y-tunnus", "Postinumero", "Kaupunki"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "Kahvila Äijälä Oy").unwrap();
    sheet.write_string(1, 1, "0112038-9").unwrap();
    sheet.write_number(1, 2, 33100.0).unwrap();
    sheet.write_string(1, 3, "Tampere").unwrap();
    let input = dir.path().join("asiakkaat.xlsx");
    book.save(&input).unwrap();
    let out = run(&db, &["import", "customers", input.to_str().unwrap()]);
    assert!(stdout(&out).contains("created 1"), "{}", stdout(&out));

    let exported = dir.path().join("vienti.xlsx");
    run(
        &db,
        &[
            "export",
            "customers",
            "--format",
            "xlsx",
            "--lang",
            "fi",
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&exported).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let header = &rows[0];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[1][at("Nimi")], "Kahvila Äijälä Oy");
    assert_eq!(rows[1][at("Y-tunnus")], "0112038-9");
    assert_eq!(rows[1][at("Postinumero")], "33100");
    // And it imports back as it is.
    let out = run(&db, &["import", "customers", exported.to_str().unwrap()]);
    assert!(stdout(&out).contains("unchanged 1"), "{}", stdout(&out));
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----minicrmFinnishBoundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

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
    (status, resp.body_mut().read_to_string().unwrap())
}

/// Uploads a file to the import page and goes to `step`; (status, page).
fn import_step(
    server: &TestServer,
    admin: &Client,
    csrf: &str,
    name: &str,
    bytes: &[u8],
    step: &str,
) -> (u16, String) {
    post_multipart(
        server,
        admin,
        "/settings/import",
        multipart(
            &[("csrf", csrf), ("kind", "customers"), ("step", step)],
            Some((name, bytes)),
        ),
    )
}

#[test]
fn importing_the_same_file_again_updates_and_never_duplicates() {
    let (server, admin) = TestServer::with_admin();
    let csrf = admin.get("/settings/import").csrf();
    // No business IDs, no customer numbers.
    let first = "Nimi;Puhelin;Kaupunki;Sähköposti\r\n\
                 Kahvila Äijälä Oy;050 555 1234;Tampere;\r\n\
                 Rakennus Virtanen Ky;;Espoo;info@virtanen.fi\r\n";
    let (status, preview) =
        import_step(&server, &admin, &csrf, "a.csv", first.as_bytes(), "preview");
    assert_eq!(status, 200, "{preview}");
    assert!(preview.contains("Lisätään"), "{preview}");
    let (status, done) = import_step(&server, &admin, &csrf, "a.csv", first.as_bytes(), "import");
    assert_eq!(status, 200, "{done}");
    // The report says what was done, not what will be.
    assert!(
        done.contains("Lisätty") && !done.contains("Lisätään"),
        "{done}"
    );
    assert_eq!(customers(&server.db).len(), 2);

    // The same file again: the preview shows no changes, the import adds nothing.
    let (_, preview) = import_step(&server, &admin, &csrf, "a.csv", first.as_bytes(), "preview");
    assert!(
        preview.contains("Ei muutoksia")
            && !preview.contains("Lisätään")
            && !preview.contains("Päivitetään"),
        "{preview}"
    );
    import_step(&server, &admin, &csrf, "a.csv", first.as_bytes(), "import");
    assert_eq!(customers(&server.db).len(), 2);

    // Another spelling of the same values is no change; a real change shows old → new.
    let second = "Nimi;Puhelin;Kaupunki\r\n\
                  KAHVILA AIJALA;+358 50 555 1234;Tampere\r\n\
                  Rakennus Virtanen Ky;;Vantaa\r\n";
    let (_, preview) = import_step(
        &server,
        &admin,
        &csrf,
        "b.csv",
        second.as_bytes(),
        "preview",
    );
    assert!(preview.contains("Ei muutoksia"), "{preview}");
    assert!(
        preview.contains("<del>Espoo</del> → <ins>Vantaa</ins>"),
        "{preview}"
    );
    assert!(!preview.contains("<del>050 555 1234"), "{preview}");
    let (_, done) = import_step(&server, &admin, &csrf, "b.csv", second.as_bytes(), "import");
    assert!(done.contains("Päivitetty"), "{done}");
    let now = customers(&server.db);
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[0].0, "Kahvila Äijälä Oy");
    assert_eq!(now[0].2, "050 555 1234");
    assert_eq!(now[1].1, "Vantaa");

    // A same-named row whose e-mail says it is another company is added.
    let other = "Nimi;Sähköposti\r\nRakennus Virtanen Ky;toinen@example.fi\r\n";
    import_step(&server, &admin, &csrf, "c.csv", other.as_bytes(), "import");
    assert_eq!(customers(&server.db).len(), 3);
}
