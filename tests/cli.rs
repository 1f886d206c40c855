//! The command line: users, tokens, backups, check, refusal of foreign files, start-up errors
//! and shutdown, run as the real binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;

fn tempdb() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    (dir, db)
}

#[test]
fn version_prints_the_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_minicrm"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_minicrm"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn user_add_on_a_new_database_ends_setup_mode_and_lists_the_user() {
    let (_dir, db) = tempdb();
    let mut cmd = minicrm(&db);
    cmd.args([
        "user",
        "add",
        "--username",
        "pekka",
        "--name",
        "Pekka Pouta",
        "--email",
        "pekka@example.fi",
        "--role",
        "admin",
        "--password-stdin",
    ]);
    let out = run_with_stdin(cmd, "pekan-salasana-1\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let list = minicrm(&db).args(["user", "list"]).output().unwrap();
    let list = stdout(&list);
    assert!(
        list.contains("pekka\tPekka Pouta\tpekka@example.fi\tadmin\tactive"),
        "{list}"
    );
    // The server starts past the wizard, at the login.
    let mut server = TestServer::start_with(|c| c.db_path = db.clone());
    let c = server.client();
    assert_eq!(c.get("/").location(), "/login");
    assert_eq!(c.login("pekka", "pekan-salasana-1").status, 303);
    server.stop();
}

#[test]
fn user_add_rejects_bad_input_with_a_sentence_and_exit_1() {
    let (_dir, db) = tempdb();
    let mut cmd = minicrm(&db);
    cmd.args([
        "user",
        "add",
        "--username",
        "x y",
        "--name",
        "",
        "--password-stdin",
    ]);
    let out = run_with_stdin(cmd, "short\n");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("username") && err.contains("password"),
        "{err}"
    );
    let mut cmd = minicrm(&db);
    cmd.args([
        "user",
        "add",
        "--username",
        "anna",
        "--name",
        "Anna",
        "--password-stdin",
    ]);
    assert!(run_with_stdin(cmd, "annan-salasana\n").status.success());
    let mut cmd = minicrm(&db);
    cmd.args([
        "user",
        "add",
        "--username",
        "ANNA",
        "--name",
        "Anna 2",
        "--password-stdin",
    ]);
    let dup = run_with_stdin(cmd, "annan-salasana\n");
    assert_eq!(dup.status.code(), Some(1));
    assert!(stderr(&dup).contains("already taken"), "{}", stderr(&dup));
}

#[test]
fn user_passwd_and_token_create_work_while_the_server_runs() {
    let (server, _admin) = TestServer::with_admin();
    let mut cmd = minicrm(&server.db);
    cmd.args(["user", "passwd", "admin", "--password-stdin"]);
    let out = run_with_stdin(cmd, "vaihdettu-salasana\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        server.client().login("admin", "vaihdettu-salasana").status,
        303
    );
    let out = minicrm(&server.db)
        .args(["token", "create", "--user", "admin", "--name", "skripti"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).lines().last().unwrap().trim().to_string();
    let me = server.client().api("GET", "/api/v1/me", Some(&token), None);
    assert_eq!(me.json()["username"], "admin");
    let nobody = minicrm(&server.db)
        .args(["token", "create", "--user", "nobody"])
        .output()
        .unwrap();
    assert_eq!(nobody.status.code(), Some(1));
}

#[test]
fn backup_while_serving_gives_a_consistent_copy() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let dest = server.dir.path().join("copy.db");
    let out = minicrm(&server.db)
        .arg("backup")
        .arg(&dest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("copy.db"));
    assert_eq!(integrity(&dest), "ok");
    let conn = rusqlite::Connection::open(&dest).unwrap();
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 2);
    // An existing file is not overwritten without --force.
    let again = minicrm(&server.db)
        .arg("backup")
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--force"));
    let forced = minicrm(&server.db)
        .arg("backup")
        .arg(&dest)
        .arg("--force")
        .output()
        .unwrap();
    assert!(forced.status.success());
    assert_eq!(integrity(&dest), "ok");
    // The database itself is never a backup's destination, not even with --force.
    let onto_itself = minicrm(&server.db)
        .arg("backup")
        .arg(&server.db)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(onto_itself.status.code(), Some(1));
    assert!(
        stderr(&onto_itself).contains("the database itself"),
        "{}",
        stderr(&onto_itself)
    );
    assert_eq!(admin.get("/").status, 200);
    // The server still serves.
    assert_eq!(admin.get("/").status, 200);
}

#[test]
fn copying_the_file_of_an_idle_server_is_a_complete_backup() {
    let (mut server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    // Once the server has been idle for a moment, every acknowledged write is in the main
    // file: the WAL beside it is empty (the `-shm` index beside it holds no data), and there
    // is no rollback journal.
    let db_name = server.db.file_name().unwrap().to_string_lossy().to_string();
    let wal = server.dir.path().join(format!("{db_name}-wal"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL was not checkpointed while the server was idle"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let beside: Vec<String> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&db_name) && n != &db_name)
        .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    let copy = server.dir.path().join("plain-copy.db");
    std::fs::copy(&server.db, &copy).unwrap();
    assert_eq!(integrity(&copy), "ok");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let name: String = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'company_name'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "Testi Oy");
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 2);
    // And the copy runs as a register of its own.
    drop(conn);
    let restored = TestServer::start_with(|c| c.db_path = copy.clone());
    assert_eq!(
        restored.client().login("bertta", "bertan-salasana").status,
        303
    );
    // With the server stopped, the file is alone: SQLite removes the WAL at the last close.
    server.stop();
    let beside: Vec<String> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&db_name) && n != &db_name)
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

#[test]
fn a_command_on_a_busy_database_says_so_and_exits_1() {
    let (server, _admin) = TestServer::with_admin();
    // Another program holds the write lock longer than a command waits.
    let outside = rusqlite::Connection::open(&server.db).unwrap();
    outside
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO settings(key, value) VALUES ('kiire', '1');")
        .unwrap();
    let out = minicrm(&server.db)
        .args(["token", "create", "--user", "admin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("the database is busy") && err.contains("Try again"),
        "{err}"
    );
    assert!(!err.contains("went wrong"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    outside.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_foreign_file_is_refused_by_every_command_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("laskut.xlsx");
    std::fs::write(&foreign, b"PK\x03\x04 not a database at all").unwrap();
    let before = std::fs::read(&foreign).unwrap();
    let dest = dir.path().join("b.db");
    let runs: Vec<Vec<&str>> = vec![
        vec!["serve", "--addr", "127.0.0.1:0"],
        vec!["user", "list"],
        vec!["check"],
        vec!["backup", dest.to_str().unwrap()],
    ];
    for args in runs {
        let out = minicrm(&foreign).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("is not a minicrm database"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(std::fs::read(&foreign).unwrap(), before, "{args:?}");
    }
    assert!(!dest.exists());
    assert!(!dir.path().join("backups").exists());
}

#[test]
fn a_database_from_a_newer_minicrm_is_refused() {
    let (_dir, db) = tempdb();
    drop(minicrm::db::open(&db).unwrap());
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let out = minicrm(&db).args(["user", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("newer minicrm"), "{}", stderr(&out));
}

#[test]
fn check_reports_all_is_well_or_the_problems() {
    let (_dir, db) = tempdb();
    drop(minicrm::db::open(&db).unwrap());
    let ok = minicrm(&db).arg("check").output().unwrap();
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("all is well"));
    // A dangling reference, written with foreign keys off behind minicrm's back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute(
        "INSERT INTO sessions VALUES (x'00', 4242, 'c', 0, 0, 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let bad = minicrm(&db).arg("check").output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("foreign key"), "{}", stdout(&bad));
}

/// Starts `minicrm serve` on a free port and returns it with the URL it printed.
fn spawn_server(db: &std::path::Path) -> (std::process::Child, String) {
    let mut child = minicrm(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("minicrm listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    (child, url)
}

#[test]
fn serve_prints_its_url_and_exits_0_on_sigterm() {
    let (_dir, db) = tempdb();
    let (mut child, url) = spawn_server(&db);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let client = Client::new(url);
    assert_eq!(client.get("/setup").status, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let (_dir, db) = tempdb();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = minicrm(&db)
        .args(["serve", "--addr", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("already in use") && err.contains("--addr"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_bare_minicrm_serves_with_the_environment_settings() {
    let (_dir, db) = tempdb();
    let mut child = minicrm(&db)
        .env("MINICRM_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("minicrm listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":8080"),
        "{url}"
    );
    assert_eq!(Client::new(url).get("/setup").status, 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_plain_user_from_the_cli_does_not_end_setup_mode() {
    let (_dir, db) = tempdb();
    let mut cmd = minicrm(&db);
    cmd.args([
        "user",
        "add",
        "--username",
        "tavallinen",
        "--name",
        "Tavallinen Käyttäjä",
        "--password-stdin",
    ]);
    assert!(run_with_stdin(cmd, "tavallisen-salasana\n")
        .status
        .success());
    let server = TestServer::start_with(|c| c.db_path = db.clone());
    assert_eq!(
        server.client().get("/").location(),
        "/setup",
        "no administrator yet: the wizard still opens"
    );
}
