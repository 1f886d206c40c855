//! What a person types in the log's search box, read as a full-text query: words (each matching
//! the words it begins, `asiak*` or `asiak`), phrases in quotes, `AND`, `OR`, `NOT` and
//! parentheses. Whatever is typed, the result is a query FTS5 accepts: text that does not parse
//! (`"avoin`, `AND OR`, `NEAR(`) is read as plain words, and the page says so.

use super::store::{fold, word_term, words};

/// The longest search the log takes; a longer one is refused with a message (a search box is
/// for words, not documents).
pub const MAX_QUERY_CHARS: usize = 500;

/// The most words one search may have; the rest of a longer one is left out.
const MAX_TERMS: usize = 24;

/// A search, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// The FTS5 query; `None` when the text has no words (it matches nothing).
    pub fts: Option<String>,
    /// The text did not parse as a query and was read as plain words.
    pub plain: bool,
    /// The words to highlight in what is found, folded (lower case, no accents).
    pub highlight: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A word; `true` when typed with a `*`.
    Word(String),
    Phrase(Vec<String>),
    And,
    Or,
    Not,
    Open,
    Close,
}

/// The tokens of `text`; `None` when a quote is left open.
fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '"' {
            let close = rest[1..].find('"')? + 1;
            let words: Vec<String> = words(&rest[1..close]).map(str::to_string).collect();
            if !words.is_empty() {
                out.push(Token::Phrase(words));
            }
            rest = &rest[close + 1..];
        } else if c == '(' || c == ')' {
            out.push(if c == '(' { Token::Open } else { Token::Close });
            rest = &rest[1..];
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ')')
                .unwrap_or(rest.len());
            let chunk = &rest[..end];
            match chunk {
                "AND" => out.push(Token::And),
                "OR" => out.push(Token::Or),
                "NOT" => out.push(Token::Not),
                _ => out.extend(words(chunk).map(|w| Token::Word(w.to_string()))),
            }
            rest = &rest[end..];
        }
    }
    Some(out)
}

/// Builds the FTS5 text of the tokens by the grammar
/// `or := and (OR and)*`, `and := not (AND? not)*`, `not := unit (NOT unit)*`,
/// `unit := word | phrase | ( or )`; `None` when they do not follow it.
struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    term: &'a mut dyn FnMut(&str) -> rusqlite::Result<String>,
}

type Parsed = rusqlite::Result<Option<String>>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Parsed {
        let Some(mut out) = self.and()? else {
            return Ok(None);
        };
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            let Some(next) = self.and()? else {
                return Ok(None);
            };
            out = format!("{out} OR {next}");
        }
        Ok(Some(out))
    }

    fn and(&mut self) -> Parsed {
        let Some(mut out) = self.not()? else {
            return Ok(None);
        };
        loop {
            match self.peek() {
                Some(Token::And) => self.at += 1,
                Some(Token::Word(_) | Token::Phrase(_) | Token::Open) => {}
                _ => return Ok(Some(out)),
            }
            let Some(next) = self.not()? else {
                return Ok(None);
            };
            out = format!("{out} AND {next}");
        }
    }

    fn not(&mut self) -> Parsed {
        let Some(mut out) = self.unit()? else {
            return Ok(None);
        };
        while self.peek() == Some(&Token::Not) {
            self.at += 1;
            let Some(next) = self.unit()? else {
                return Ok(None);
            };
            out = format!("{out} NOT {next}");
        }
        Ok(Some(out))
    }

    fn unit(&mut self) -> Parsed {
        let token = self.peek().cloned();
        self.at += 1;
        Ok(match token {
            Some(Token::Word(w)) => Some((self.term)(&w)?),
            Some(Token::Phrase(words)) => Some(format!("\"{}\"", words.join(" "))),
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Ok(None);
                }
                self.at += 1;
                inner.map(|i| format!("({i})"))
            }
            _ => None,
        })
    }
}

/// Reads `text` as a search of the full-text index `fts` (the log's).
pub(crate) fn parse(conn: &rusqlite::Connection, fts: &str, text: &str) -> rusqlite::Result<Query> {
    let mut term = |w: &str| word_term(conn, fts, w, false);
    let text = text.trim();
    let read = tokens(text);
    let mut highlight: Vec<String> = Vec::new();
    let mut count = 0;
    if let Some(tokens) = &read {
        for t in tokens {
            match t {
                Token::Word(w) => {
                    highlight.extend(fold(w));
                    count += 1;
                }
                Token::Phrase(ws) => {
                    highlight.extend(ws.iter().filter_map(|w| fold(w)));
                    count += ws.len();
                }
                _ => {}
            }
        }
        if count <= MAX_TERMS {
            let mut parser = Parser {
                tokens,
                at: 0,
                term: &mut term,
            };
            let fts_text = parser.or()?;
            if fts_text.is_some() && parser.at == tokens.len() {
                return Ok(Query {
                    fts: fts_text,
                    plain: false,
                    highlight,
                });
            }
            if tokens.is_empty() {
                return Ok(Query::default());
            }
        }
    }
    // Not a query: every word of it must match, as in the registers' search boxes.
    let plain: Vec<&str> = words(text).take(MAX_TERMS).collect();
    let mut terms = Vec::new();
    for w in &plain {
        terms.push(term(w)?);
    }
    Ok(Query {
        fts: (!terms.is_empty()).then(|| terms.join(" AND ")),
        plain: true,
        highlight: plain.iter().filter_map(|w| fold(w)).collect(),
    })
}

/// `text` cut into pieces, each marked when it is a word that begins with one of `terms`
/// (folded): what the page wraps in `<mark>`.
pub(crate) fn marked<'t>(text: &'t str, terms: &[String]) -> Vec<(&'t str, bool)> {
    let mut out = Vec::new();
    if terms.is_empty() {
        out.push((text, false));
        return out;
    }
    let mut start = 0;
    let mut in_word = false;
    let mut push = |piece: &'t str, word: bool| {
        let hit =
            word && fold(piece).is_some_and(|f| terms.iter().any(|t| f.starts_with(t.as_str())));
        match out.last_mut() {
            Some((last, false)) if !hit => {
                // Join plain pieces: the text between marks stays one piece.
                let begin = last.as_ptr() as usize - text.as_ptr() as usize;
                *last = &text[begin..begin + last.len() + piece.len()];
            }
            _ => out.push((piece, hit)),
        }
    };
    for (i, c) in text.char_indices() {
        let alnum = c.is_alphanumeric();
        if alnum != in_word && i > start {
            push(&text[start..i], in_word);
            start = i;
        }
        in_word = alnum;
    }
    if start < text.len() {
        push(&text[start..], in_word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("q.db")).unwrap();
        (dir, conn)
    }

    #[test]
    fn queries_keep_their_operators_phrases_and_parentheses() {
        let (_dir, conn) = db();
        let q = |t: &str| parse(&conn, "events_fts", t).unwrap();
        assert_eq!(q("ab OR cd").fts.as_deref(), Some("\"ab\" OR \"cd\""));
        assert_eq!(q("ab cd").fts.as_deref(), Some("\"ab\" AND \"cd\""));
        assert_eq!(q("ab NOT cd").fts.as_deref(), Some("\"ab\" NOT \"cd\""));
        assert_eq!(
            q("\"avoin tarjous\" AND (ab OR cd)").fts.as_deref(),
            Some("\"avoin tarjous\" AND (\"ab\" OR \"cd\")")
        );
        assert!(!q("ab OR cd").plain);
    }

    #[test]
    fn malformed_queries_are_read_as_plain_words() {
        let (_dir, conn) = db();
        let q = |t: &str| parse(&conn, "events_fts", t).unwrap();
        for text in [
            "\"avoin", "AND OR", "NEAR(", "ab OR", "(ab", "ab )", "NOT ab",
        ] {
            let read = q(text);
            assert!(read.plain, "{text}: {read:?}");
        }
        assert_eq!(q("AND OR").fts.as_deref(), Some("\"and\" AND \"OR\""));
        assert_eq!(q("*").fts, None);
        assert_eq!(q("").fts, None);
        assert!(!q("").plain);
        let long = "sana ".repeat(1000);
        let read = q(&long);
        assert_eq!(read.fts.unwrap().matches("AND").count(), MAX_TERMS - 1);
    }

    #[test]
    fn matches_are_marked_accent_and_case_insensitively() {
        let terms = vec!["jarvi".to_string(), "oy".to_string()];
        let pieces = marked("Soitto: Järvinen Oy, Heino", &terms);
        let hits: Vec<&str> = pieces.iter().filter(|p| p.1).map(|p| p.0).collect();
        assert_eq!(hits, ["Järvinen", "Oy"]);
        let all: String = pieces.iter().map(|p| p.0).collect();
        assert_eq!(all, "Soitto: Järvinen Oy, Heino");
    }
}
