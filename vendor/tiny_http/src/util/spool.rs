//! minicrm patch: where a request body read by the connection thread is kept until a worker
//! reads it. Small bodies stay in memory; past `threshold` bytes the body moves to a
//! temporary file that is unlinked as soon as it is created (on Unix), so memory stays
//! bounded and nothing is left behind.

use std::fs::{File, OpenOptions};
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Spool {
    memory: Vec<u8>,
    file: Option<SpoolFile>,
    threshold: usize,
    dir: Option<PathBuf>,
}

impl Spool {
    /// `expected` is the announced length, if any; memory is reserved for at most 64 KiB of it.
    pub fn new(expected: Option<usize>, threshold: usize, dir: Option<PathBuf>) -> Spool {
        Spool {
            memory: Vec::with_capacity(expected.unwrap_or(0).min(threshold).min(64 * 1024)),
            file: None,
            threshold,
            dir,
        }
    }

    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            return file.file.write_all(data);
        }
        if self.memory.len() + data.len() <= self.threshold {
            self.memory.extend_from_slice(data);
            return Ok(());
        }
        let dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        let mut file = SpoolFile::create(&dir)?;
        file.file.write_all(&self.memory)?;
        file.file.write_all(data)?;
        self.memory = Vec::new();
        self.file = Some(file);
        Ok(())
    }

    /// True once the body has moved to a file.
    pub fn in_file(&self) -> bool {
        self.file.is_some()
    }

    /// A reader of everything written, from the start.
    pub fn into_reader(self) -> io::Result<Box<dyn Read + Send + 'static>> {
        match self.file {
            Some(mut file) => {
                file.file.seek(SeekFrom::Start(0))?;
                Ok(Box::new(file))
            }
            None => Ok(Box::new(Cursor::new(self.memory))),
        }
    }
}

/// A temporary file, unlinked at once where the system allows it, else removed on drop.
struct SpoolFile {
    file: File,
    path: Option<PathBuf>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl SpoolFile {
    fn create(dir: &Path) -> io::Result<SpoolFile> {
        let mut attempt = 0;
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = dir.join(format!(
                ".tiny_http-body-{}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                nanos
            ));
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(&path) {
                Ok(file) => {
                    let path = if cfg!(unix) && std::fs::remove_file(&path).is_ok() {
                        None
                    } else {
                        Some(path)
                    };
                    return Ok(SpoolFile { file, path });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Read for SpoolFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Spool;
    use std::io::Read;

    #[test]
    fn small_bodies_stay_in_memory_larger_ones_go_to_an_unlinked_file() {
        let dir = std::env::temp_dir().join(format!("tiny_http-spool-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let mut small = Spool::new(Some(10), 16, Some(dir.clone()));
        small.write_all(b"0123456789").unwrap();
        assert!(!small.in_file());
        let mut out = String::new();
        small.into_reader().unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "0123456789");

        let mut large = Spool::new(None, 16, Some(dir.clone()));
        for _ in 0..10 {
            large.write_all(b"0123456789").unwrap();
        }
        assert!(large.in_file());
        if cfg!(unix) {
            assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "the file is unlinked");
        }
        let mut out = String::new();
        large.into_reader().unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "0123456789".repeat(10));

        std::fs::remove_dir_all(&dir).unwrap();
    }
}
