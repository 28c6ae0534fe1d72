//! The part of Sirv's search syntax (Elasticsearch's query string) that
//! callers use: `field:value` with `*`/`?` wildcards, `field:[a TO b]` and
//! `{a TO b}` ranges, `field:>N`, dates as `now-30d` or `2024-01-31`,
//! quoted values, `\` escapes, `AND`/`OR`/`NOT`/`-`, parentheses; a bare word
//! matches the file name or a word of the title, description or tags.
//! Adjacent terms are ANDed. Queries are bounded (length, terms, depth), and
//! wildcards match in linear time, so no query costs more than a scan.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::error::Error;

/// Sirv's cap on the query string.
pub(crate) const MAX_QUERY_CHARS: usize = 1024;
const MAX_TERMS: usize = 64;
const MAX_DEPTH: usize = 16;

/// A field a term can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// `/a/b.jpg`
    Filename,
    /// `/a` (matches that folder and the folders under it)
    Dirname,
    Basename,
    /// `.jpg`
    Extension,
    ContentType,
    Size,
    Mtime,
    Ctime,
    Title,
    Description,
    Tags,
    /// A bare word: basename, or a word of title, description or tags.
    Any,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        let name = name.strip_suffix(".raw").unwrap_or(name);
        let name = name.strip_prefix("meta.").unwrap_or(name);
        Some(match name {
            "filename" => Field::Filename,
            "dirname" => Field::Dirname,
            "basename" => Field::Basename,
            "extension" => Field::Extension,
            "contentType" => Field::ContentType,
            "size" => Field::Size,
            "mtime" => Field::Mtime,
            "ctime" => Field::Ctime,
            "title" => Field::Title,
            "description" => Field::Description,
            "tags" => Field::Tags,
            _ => return None,
        })
    }

    fn is_number(self) -> bool {
        matches!(self, Field::Size | Field::Mtime | Field::Ctime)
    }
}

/// What a term asks of its field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// Lowercased; `*` and `?` are wildcards.
    Matches(String),
    /// Bounds on a number (bytes, or milliseconds since the epoch).
    Range {
        low: Option<(f64, bool)>,
        high: Option<(f64, bool)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Query {
    All,
    Term(Field, Test),
    Not(Box<Query>),
    And(Vec<Query>),
    Or(Vec<Query>),
}

/// What a document offers a query.
pub(crate) trait Fields {
    /// The lowercased text of a keyword field.
    fn text(&self, field: Field) -> &str;
    fn number(&self, field: Field) -> f64;
    /// Lowercased words of title, description or tags (whole tags).
    fn words(&self, field: Field) -> &[String];
}

impl Query {
    pub(crate) fn matches(&self, doc: &impl Fields) -> bool {
        match self {
            Query::All => true,
            Query::Not(q) => !q.matches(doc),
            Query::And(qs) => qs.iter().all(|q| q.matches(doc)),
            Query::Or(qs) => qs.iter().any(|q| q.matches(doc)),
            Query::Term(field, Test::Range { low, high }) => {
                let v = doc.number(*field);
                low.is_none_or(|(b, incl)| if incl { v >= b } else { v > b })
                    && high.is_none_or(|(b, incl)| if incl { v <= b } else { v < b })
            }
            Query::Term(field, Test::Matches(pattern)) => match field {
                Field::Any => {
                    glob(pattern, doc.text(Field::Basename))
                        || [Field::Title, Field::Description, Field::Tags]
                            .iter()
                            .any(|f| doc.words(*f).iter().any(|w| glob(pattern, w)))
                }
                Field::Title | Field::Description | Field::Tags => {
                    doc.words(*field).iter().any(|w| glob(pattern, w))
                }
                Field::Dirname => {
                    // A folder matches itself and the folders under it.
                    let dir = doc.text(Field::Dirname);
                    let pattern = pattern.trim_end_matches('/');
                    if pattern.contains(['*', '?']) {
                        glob(pattern, dir)
                    } else {
                        pattern.is_empty()
                            || dir
                                .strip_prefix(pattern)
                                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                    }
                }
                Field::Extension => {
                    let ext = doc.text(Field::Extension);
                    glob(pattern, ext) || glob(pattern, ext.trim_start_matches('.'))
                }
                other => glob(pattern, doc.text(*other)),
            },
        }
    }
}

/// `*` and `?` wildcards, in O(pattern × text) at worst (no backtracking
/// blow-up): the classic two-pointer match with one star remembered. Plain
/// patterns compare directly, ASCII ones byte by byte, without allocating.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return glob_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    glob_units(&p, &t, '*', '?')
}

fn glob_units<T: PartialEq + Copy>(p: &[T], t: &[T], star_unit: T, any: T) -> bool {
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == any || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == star_unit {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == star_unit)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `field:value` (field empty for a bare word) and whether the value
    /// was quoted.
    Term(String, String),
}

fn bad(why: impl Into<String>) -> Error {
    Error::BadRequest(format!("query: {}", why.into()))
}

fn tokens(input: &str) -> Result<Vec<Token>, Error> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let stop = |c: char| c.is_whitespace() || c == '(' || c == ')';
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            out.push(if c == '(' { Token::Open } else { Token::Close });
            i += 1;
            continue;
        }
        if c == '-' || c == '!' {
            out.push(Token::Not);
            i += 1;
            continue;
        }
        if c == '+' {
            i += 1;
            continue;
        }
        if (c == '&' || c == '|') && chars.get(i + 1) == Some(&c) {
            out.push(if c == '&' { Token::And } else { Token::Or });
            i += 2;
            continue;
        }
        // A term: `field:` then a value, or a bare value.
        let mut word = String::new();
        let mut field = String::new();
        while i < chars.len() && !stop(chars[i]) {
            match chars[i] {
                '\\' if i + 1 < chars.len() => {
                    word.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                ':' if field.is_empty() && !word.is_empty() => {
                    field = std::mem::take(&mut word);
                    i += 1;
                    match chars.get(i) {
                        Some('[') | Some('{') => {
                            let start = i;
                            while i < chars.len() && chars[i] != ']' && chars[i] != '}' {
                                i += 1;
                            }
                            if i == chars.len() {
                                return Err(bad("a range is not closed with ] or }"));
                            }
                            i += 1;
                            word = chars[start..i].iter().collect();
                            break;
                        }
                        Some('"') => {
                            i += 1;
                            while i < chars.len() && chars[i] != '"' {
                                if chars[i] == '\\' && i + 1 < chars.len() {
                                    i += 1;
                                }
                                word.push(chars[i]);
                                i += 1;
                            }
                            if i == chars.len() {
                                return Err(bad("a quote is not closed"));
                            }
                            i += 1;
                            break;
                        }
                        _ => continue,
                    }
                }
                '"' if word.is_empty() && field.is_empty() => {
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        word.push(chars[i]);
                        i += 1;
                    }
                    if i == chars.len() {
                        return Err(bad("a quote is not closed"));
                    }
                    i += 1;
                    break;
                }
                other => {
                    word.push(other);
                    i += 1;
                }
            }
        }
        out.push(match (field.is_empty(), word.as_str()) {
            (true, "AND") => Token::And,
            (true, "OR") => Token::Or,
            (true, "NOT") => Token::Not,
            _ => Token::Term(field, word),
        });
        if out.len() > MAX_TERMS * 3 {
            return Err(bad(format!("more than {MAX_TERMS} terms")));
        }
    }
    Ok(out)
}

/// Parses a query string (empty or `*` → everything).
pub(crate) fn parse(input: &str, now: SystemTime) -> Result<Query, Error> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(bad(format!("longer than {MAX_QUERY_CHARS} characters")));
    }
    let tokens = tokens(input)?;
    if tokens.is_empty() {
        return Ok(Query::All);
    }
    let mut p = Parser {
        tokens,
        at: 0,
        now,
        terms: 0,
    };
    let q = p.or(0)?;
    if p.at != p.tokens.len() {
        return Err(bad("unbalanced )"));
    }
    Ok(q)
}

/// One part as itself, several joined by `join` (`Query::And`/`Or`).
fn joined(mut parts: Vec<Query>, join: fn(Vec<Query>) -> Query) -> Query {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        join(parts)
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    now: SystemTime,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self, depth: usize) -> Result<Query, Error> {
        if depth > MAX_DEPTH {
            return Err(bad(format!("nested deeper than {MAX_DEPTH}")));
        }
        let mut parts = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            parts.push(self.and(depth)?);
        }
        Ok(joined(parts, Query::Or))
    }

    fn and(&mut self, depth: usize) -> Result<Query, Error> {
        let mut parts = vec![self.unary(depth)?];
        loop {
            match self.peek() {
                Some(Token::And) => self.at += 1,
                Some(Token::Or) | Some(Token::Close) | None => break,
                _ => {}
            }
            parts.push(self.unary(depth)?);
        }
        Ok(joined(parts, Query::And))
    }

    fn unary(&mut self, depth: usize) -> Result<Query, Error> {
        match self.peek() {
            Some(Token::Not) => {
                self.at += 1;
                if depth > MAX_DEPTH {
                    return Err(bad(format!("nested deeper than {MAX_DEPTH}")));
                }
                Ok(Query::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some(Token::Open) => {
                self.at += 1;
                let q = self.or(depth + 1)?;
                if self.peek() != Some(&Token::Close) {
                    return Err(bad("unbalanced ("));
                }
                self.at += 1;
                Ok(q)
            }
            Some(Token::Term(field, value)) => {
                let (field, value) = (field.clone(), value.clone());
                self.at += 1;
                self.terms += 1;
                if self.terms > MAX_TERMS {
                    return Err(bad(format!("more than {MAX_TERMS} terms")));
                }
                self.term(&field, &value)
            }
            Some(other) => Err(bad(format!("unexpected {other:?}"))),
            None => Err(bad("ends too soon")),
        }
    }

    fn term(&self, field: &str, value: &str) -> Result<Query, Error> {
        if field.is_empty() {
            if value == "*" {
                return Ok(Query::All);
            }
            return Ok(Query::Term(Field::Any, Test::Matches(value.to_lowercase())));
        }
        let f = Field::parse(field).ok_or_else(|| {
            bad(format!(
                "unknown field {field:?} (filename, dirname, basename, extension, \
                 contentType, size, mtime, ctime, title, description, tags)"
            ))
        })?;
        if f.is_number() {
            return Ok(Query::Term(f, self.range(f, value)?));
        }
        if value.starts_with('[') || value.starts_with('{') {
            return Err(bad(format!(
                "{field} is text: ranges apply to size, mtime, ctime"
            )));
        }
        Ok(Query::Term(f, Test::Matches(value.to_lowercase())))
    }

    fn range(&self, field: Field, value: &str) -> Result<Test, Error> {
        let number = |s: &str| self.number(field, s);
        for (op, low, incl) in [
            (">=", true, true),
            ("<=", false, true),
            (">", true, false),
            ("<", false, false),
        ] {
            if let Some(rest) = value.strip_prefix(op) {
                let bound = Some((number(rest)?, incl));
                return Ok(if low {
                    Test::Range {
                        low: bound,
                        high: None,
                    }
                } else {
                    Test::Range {
                        low: None,
                        high: bound,
                    }
                });
            }
        }
        let open = value.chars().next();
        if matches!(open, Some('[') | Some('{')) {
            let low_incl = open == Some('[');
            let high_incl = value.ends_with(']');
            let inner = &value[1..value.len() - 1];
            let (a, b) = inner
                .split_once(" TO ")
                .ok_or_else(|| bad(format!("range {value:?} needs `a TO b`")))?;
            let bound = |s: &str, incl: bool| -> Result<Option<(f64, bool)>, Error> {
                let s = s.trim();
                if s == "*" {
                    Ok(None)
                } else {
                    Ok(Some((number(s)?, incl)))
                }
            };
            return Ok(Test::Range {
                low: bound(a, low_incl)?,
                high: bound(b, high_incl)?,
            });
        }
        let v = number(value)?;
        Ok(Test::Range {
            low: Some((v, true)),
            high: Some((v, true)),
        })
    }

    /// Bytes for `size`; milliseconds since the epoch for dates.
    fn number(&self, field: Field, s: &str) -> Result<f64, Error> {
        if field == Field::Size {
            return s
                .parse::<u64>()
                .map(|n| n as f64)
                .map_err(|_| bad(format!("size {s:?} is not a number of bytes")));
        }
        date(s, self.now).ok_or_else(|| {
            bad(format!(
                "date {s:?}: use now, now-30d, now-1h (units y M w d h m s, /d rounds \
                 to the day) or 2024-01-31[T12:00:00Z]"
            ))
        })
    }
}

/// Milliseconds since the epoch of `now±N<unit>[/d]` or an RFC 3339 date.
fn date(s: &str, now: SystemTime) -> Option<f64> {
    let ms = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| d.as_millis() as f64)
    };
    let Some(math) = s.strip_prefix("now") else {
        if s.len() == 10 {
            return ms(humantime::parse_rfc3339_weak(&format!("{s} 00:00:00")).ok()?);
        }
        return ms(humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok()?);
    };
    let (math, round) = match math.strip_suffix("/d") {
        Some(m) => (m, true),
        None => (math, false),
    };
    let mut t = ms(now)?;
    if !math.is_empty() {
        let sign = match math.as_bytes()[0] {
            b'+' => 1.0,
            b'-' => -1.0,
            _ => return None,
        };
        let body = &math[1..];
        let unit = body.chars().last()?;
        let n: f64 = body[..body.len() - unit.len_utf8()].parse::<u32>().ok()? as f64;
        let unit_ms = match unit {
            's' => 1e3,
            'm' => 60e3,
            'h' | 'H' => 3_600e3,
            'd' => 86_400e3,
            'w' => 7.0 * 86_400e3,
            'M' => 30.0 * 86_400e3,
            'y' => 365.0 * 86_400e3,
            _ => return None,
        };
        t += sign * n * unit_ms;
    }
    if round {
        t = (t / 86_400e3).floor() * 86_400e3;
    }
    Some(t)
}

/// Milliseconds since the epoch, for comparing with date bounds.
pub(crate) fn millis(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Doc {
        texts: [(Field, String); 5],
        size: f64,
        mtime: f64,
        words: Vec<String>,
        tags: Vec<String>,
    }

    impl Fields for Doc {
        fn text(&self, field: Field) -> &str {
            self.texts
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("", |(_, t)| t.as_str())
        }
        fn number(&self, field: Field) -> f64 {
            if field == Field::Size {
                self.size
            } else {
                self.mtime
            }
        }
        fn words(&self, field: Field) -> &[String] {
            if field == Field::Tags {
                &self.tags
            } else {
                &self.words
            }
        }
    }

    fn doc(path: &str, size: f64, age_days: f64) -> Doc {
        let (dir, base) = path.rsplit_once('/').unwrap();
        let ext = base.rfind('.').map_or("", |i| &base[i..]);
        Doc {
            texts: [
                (Field::Filename, path.to_lowercase()),
                (
                    Field::Dirname,
                    if dir.is_empty() { "/" } else { dir }.to_lowercase(),
                ),
                (Field::Basename, base.to_lowercase()),
                (Field::Extension, ext.to_lowercase()),
                (Field::ContentType, "image/jpeg".into()),
            ],
            size,
            mtime: millis(SystemTime::now()) - age_days * 86_400e3,
            words: vec!["blue".into(), "lake".into()],
            tags: vec!["winter sale".into()],
        }
    }

    fn hits(q: &str) -> Vec<&'static str> {
        let docs = [
            ("/REST API Examples/aurora.jpg", 201_846.0, 3.0),
            ("/REST API Examples/video/001.jpg", 259_954.0, 40.0),
            ("/.Trash/old.jpg", 10.0, 1.0),
            ("/notes.txt", 5.0, 400.0),
        ];
        let q = parse(q, SystemTime::now()).unwrap();
        docs.iter()
            .filter(|(p, s, a)| q.matches(&doc(p, *s, *a)))
            .map(|(p, _, _)| *p)
            .collect()
    }

    #[test]
    fn sirvs_documented_example_works() {
        assert_eq!(
            hits(r"extension:.jpg AND mtime:[now-30d TO now] AND -dirname:\/.Trash"),
            ["/REST API Examples/aurora.jpg"]
        );
    }

    #[test]
    fn terms_combine() {
        assert_eq!(hits("*.txt"), ["/notes.txt"]);
        assert_eq!(hits("*").len(), 4);
        assert_eq!(hits("").len(), 4);
        assert_eq!(hits(r#"dirname:"/REST API Examples""#).len(), 2);
        assert_eq!(hits(r"filename:\/rest\ api\ examples\/video\/*").len(), 1);
        assert_eq!(
            hits("size:>200000 AND NOT basename:aurora*"),
            ["/REST API Examples/video/001.jpg"]
        );
        assert_eq!(hits("size:{* TO 10]").len(), 2);
        assert_eq!(hits("extension:txt OR (size:>=259954 lake)").len(), 2);
        assert_eq!(hits("tags:\"winter sale\" -extension:jpg"), ["/notes.txt"]);
        assert_eq!(hits("mtime:<now-1y").len(), 1);
        assert_eq!(hits("mtime:>=2000-01-01").len(), 4);
        assert_eq!(hits("meta.title:LAKE").len(), 4);
    }

    #[test]
    fn bad_queries_are_400s() {
        for q in [
            "nosuch:1",
            "size:big",
            "mtime:[yesterday TO now]",
            "(a",
            "a)",
            "\"open",
            "filename:[a TO b]",
            "AND",
        ] {
            assert!(parse(q, SystemTime::now()).is_err(), "{q}");
        }
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep, SystemTime::now()).is_err());
        let wide = vec!["a"; 70].join(" OR ");
        assert!(parse(&wide, SystemTime::now()).is_err());
        assert!(parse(&"-".repeat(1000), SystemTime::now()).is_err());
    }

    #[test]
    fn wildcards_are_linear() {
        let text = "a".repeat(1000);
        let pattern = format!("{}b", "*a".repeat(400));
        let started = std::time::Instant::now();
        assert!(!glob(&pattern, &text));
        assert!(glob("a*a?a", "abca1a"));
        assert!(glob("é*?", "éte") && !glob("é?", "é") && glob("plain", "plain"));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
