//! A real IMAP server for the tests: Debian's Dovecot (`dovecot-imapd`), started on free
//! loopback ports with its configuration, users and maildirs in a temporary folder, stopped when
//! dropped. It listens for plain IMAP (with STARTTLS) and IMAPS, with a self-signed certificate
//! for `localhost` made by `openssl`, whose DER the tests trust.
//!
//! Shared by the inbox's unit tests (`src/inbox/mod.rs` includes this file) and the integration
//! tests, so it uses nothing of the crate.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "crm@yritys.fi";
/// Not printable ASCII, so that the login sends it as a literal.
pub const PASSWORD: &str = "sala \"sana\" äö";

pub struct Dovecot {
    dir: tempfile::TempDir,
    child: Child,
    /// Plain IMAP, also for STARTTLS.
    pub port: u16,
    /// IMAPS.
    pub tls_port: u16,
    /// The server's certificate (DER).
    pub cert: Vec<u8>,
}

fn dovecot_binary() -> PathBuf {
    for candidate in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!(
        "the IMAP tests need Dovecot, which is not installed: run \
         `apt-get install -y dovecot-imapd` (.ci/run installs it)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Dovecot {
    pub fn start() -> Dovecot {
        let binary = dovecot_binary();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Dovecot's login processes run as another user when started by root: they must be
        // able to reach the run folder.
        set_mode(root, 0o755);
        let run = root.join("run");
        let mail = root.join("mail");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&mail).unwrap();

        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
            ])
            // A server's certificate, not a CA's: rustls refuses a CA used as the server's.
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-addext", "extendedKeyUsage=serverAuth"])
            .arg("-keyout")
            .arg(root.join("key.pem"))
            .arg("-out")
            .arg(root.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("the IMAP tests need openssl for a test certificate");
        assert!(status.success(), "openssl could not make a certificate");
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(root.join("cert.pem"))
            .output()
            .unwrap();
        assert!(der.status.success());

        // As root: the mail belongs to Dovecot's own user (it refuses uid 0), the login
        // processes run as dovenull. Otherwise everything runs as the current user.
        let root_user = id(&["-u"]) == "0";
        let (mail_uid, mail_gid, internal, internal_group, login) = if root_user {
            let uid = id(&["-u", "dovecot"]);
            let gid = id(&["-g", "dovecot"]);
            (
                uid,
                gid,
                "dovecot".into(),
                "dovecot".into(),
                "dovenull".into(),
            )
        } else {
            let user = id(&["-un"]);
            (id(&["-u"]), id(&["-g"]), user.clone(), id(&["-gn"]), user)
        };
        if root_user {
            let (uid, gid) = (mail_uid.parse().unwrap(), mail_gid.parse().unwrap());
            std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        }
        let passwd = root.join("passwd");
        std::fs::write(
            &passwd,
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}:{mail_uid}:{mail_gid}::{}\n",
                mail.join("crm").display()
            ),
        )
        .unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let conf = root.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {run}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = {mail_uid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
",
                run = run.display(),
                root = root.display(),
                passwd = passwd.display(),
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot starts");
        let mut server = Dovecot {
            dir,
            child,
            port,
            tls_port,
            cert: der.stdout,
        };
        server.wait_ready();
        server
    }

    /// Waits (at most 20 s) until the server greets on its plain port.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut greeting = [0u8; 4];
                if std::io::Read::read_exact(&mut &stream, &mut greeting).is_ok()
                    && &greeting == b"* OK"
                {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("dovecot stopped ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not come up:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Puts `message` into the test user's INBOX, unread, as a mail server delivering it
    /// would: IMAP APPEND over the plain port (AUTHENTICATE PLAIN, a non-synchronising literal).
    pub fn append(&self, message: &[u8]) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut greeting = String::new();
        reader.read_line(&mut greeting).unwrap();
        let auth = base64(format!("\0{USER}\0{PASSWORD}").as_bytes());
        let login = format!("a1 AUTHENTICATE PLAIN {auth}\r\n");
        imap_command(&mut stream, &mut reader, "a1", login.as_bytes());
        let mut append = format!("a2 APPEND INBOX {{{}+}}\r\n", message.len()).into_bytes();
        append.extend_from_slice(message);
        append.extend_from_slice(b"\r\n");
        imap_command(&mut stream, &mut reader, "a2", &append);
        imap_command(&mut stream, &mut reader, "a3", b"a3 LOGOUT\r\n");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its own processes; SIGKILL would leave them behind.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Sends one IMAP command and reads to its tagged answer, which must be OK.
fn imap_command(
    stream: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    tag: &str,
    bytes: &[u8],
) {
    stream.write_all(bytes).unwrap();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "IMAP closed");
        if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
            assert!(rest.starts_with("OK"), "{line}");
            return;
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
