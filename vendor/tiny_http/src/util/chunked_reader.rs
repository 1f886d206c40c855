//! minicrm patch: a bounded decoder for `Transfer-Encoding: chunked` request bodies.
//!
//! `chunked_transfer::Decoder` collects a chunk-size line of any length in memory, takes a
//! connection closed in the middle of a chunk for the end of the body, and refuses trailers.
//! This one caps the chunk-size and trailer lines, reports a premature end as
//! `UnexpectedEof` and malformed framing as `InvalidData`, and gives the stream back with
//! `into_inner` once the body has been read.

use std::io::{Error, ErrorKind, Read, Result};

/// Longest chunk-size line (size and extensions), without its CRLF.
const MAX_SIZE_LINE: usize = 4096;
/// Most trailer bytes after the last chunk.
const MAX_TRAILERS: usize = 8192;

enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk: this many data bytes to go.
    Data(u64),
    /// After a chunk's data: expecting its CRLF.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
    Done,
}

pub struct ChunkedReader<R> {
    inner: R,
    state: State,
}

fn invalid(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!("malformed chunked body: {}", what),
    )
}

fn eof() -> Error {
    Error::new(
        ErrorKind::UnexpectedEof,
        "the connection ended inside a chunked body",
    )
}

impl<R: Read> ChunkedReader<R> {
    pub fn new(inner: R) -> ChunkedReader<R> {
        ChunkedReader {
            inner,
            state: State::Size,
        }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads one CRLF-terminated line of at most `cap` bytes, without the CRLF.
    fn read_line(&mut self, cap: usize) -> Result<Vec<u8>> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            if self.inner.read(&mut byte)? == 0 {
                return Err(eof());
            }
            if byte[0] == b'\n' {
                return match line.pop() {
                    Some(b'\r') => Ok(line),
                    _ => Err(invalid("a line does not end with CRLF")),
                };
            }
            line.push(byte[0]);
            if line.len() > cap + 1 {
                return Err(invalid("a line is too long"));
            }
        }
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.state {
                State::Size => {
                    let line = self.read_line(MAX_SIZE_LINE)?;
                    let size = line.split(|&b| b == b';').next().unwrap_or(&[]);
                    let size = std::str::from_utf8(size)
                        .map_err(|_| invalid("the chunk size is not text"))?
                        .trim_matches(|c| c == ' ' || c == '\t');
                    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(invalid("the chunk size is not a hexadecimal number"));
                    }
                    let size = u64::from_str_radix(size, 16)
                        .map_err(|_| invalid("the chunk size is too large"))?;
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(remaining) => {
                    if buf.is_empty() {
                        return Ok(0);
                    }
                    let want = remaining.min(buf.len() as u64) as usize;
                    let n = self.inner.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(eof());
                    }
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd
                    } else {
                        State::Data(remaining)
                    };
                    return Ok(n);
                }
                State::DataEnd => {
                    if !self.read_line(0)?.is_empty() {
                        return Err(invalid("a chunk is longer than its size"));
                    }
                    self.state = State::Size;
                }
                State::Trailers => {
                    let mut total = 0;
                    loop {
                        let line = self.read_line(MAX_TRAILERS)?;
                        if line.is_empty() {
                            break;
                        }
                        total += line.len() + 2;
                        if total > MAX_TRAILERS {
                            return Err(invalid("the trailers are too long"));
                        }
                    }
                    self.state = State::Done;
                }
                State::Done => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ChunkedReader;
    use std::io::{ErrorKind, Read};

    fn decode(input: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        ChunkedReader::new(input).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        assert_eq!(
            decode(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n").unwrap(),
            b"hello world"
        );
        assert_eq!(decode(b"0\r\n\r\n").unwrap(), b"");
    }

    #[test]
    fn leaves_what_follows_the_body_unread() {
        let mut input: &[u8] = b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let mut reader = ChunkedReader::new(&mut input);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(input, b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn refuses_malformed_framing_and_a_premature_end() {
        let kind = |input: &[u8]| decode(input).unwrap_err().kind();
        assert_eq!(kind(b"zz\r\nabc\r\n0\r\n\r\n"), ErrorKind::InvalidData);
        assert_eq!(kind(b"+3\r\nabc\r\n0\r\n\r\n"), ErrorKind::InvalidData);
        assert_eq!(kind(b"3\r\nabcd\r\n0\r\n\r\n"), ErrorKind::InvalidData);
        assert_eq!(kind(b"ffffffffffffffffff\r\n"), ErrorKind::InvalidData);
        assert_eq!(kind(&[b'1'; 10_000]), ErrorKind::InvalidData);
        assert_eq!(kind(b"5\r\nhel"), ErrorKind::UnexpectedEof);
        assert_eq!(kind(b"5\r\nhello\r\n"), ErrorKind::UnexpectedEof);
    }
}
