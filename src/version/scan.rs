//! A byte scanner for the loose version syntax shared by [`super::parse_version`]
//! and constraint parsing: `v?N(.N(.N)?)?(-pre)?(+build)?`, where `N` is a
//! number (leading zeros allowed, as Masterminds' `NewVersion` coerces them)
//! or, inside constraints, a wildcard `x`, `X` or `*`.

use semver::{BuildMetadata, Prerelease, Version};

/// One numeric position of a partial version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Num(u64),
    Wild,
}

/// A version as written: missing parts are `None`, wildcards are [`Part::Wild`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partial {
    pub major: Part,
    pub minor: Option<Part>,
    pub patch: Option<Part>,
    pub pre: Prerelease,
    pub build: BuildMetadata,
}

impl Partial {
    /// The version with missing parts as zero. Callers only use this for
    /// partials scanned without wildcards; a wildcard also reads as zero.
    pub fn to_version(&self) -> Version {
        let num = |p: Option<Part>| match p {
            Some(Part::Num(n)) => n,
            _ => 0,
        };
        Version {
            major: num(Some(self.major)),
            minor: num(self.minor),
            patch: num(self.patch),
            pre: self.pre.clone(),
            build: self.build.clone(),
        }
    }
}

/// What is wrong with a version; the caller adds the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// Nothing at the position looks like a version.
    NoVersion,
    /// A `.` not followed by a number (or wildcard); names the part.
    ExpectedPart(&'static str),
    TooManyParts,
    NumberTooLarge,
    /// An empty identifier in the prerelease or build metadata.
    EmptyIdentifier(&'static str),
    LeadingZero(String),
    /// `+` with no build metadata after it.
    EmptyBuild,
    Other(String),
}

impl ScanError {
    /// A sentence describing the error in the version text `token`.
    pub fn describe(&self, token: &str) -> String {
        match self {
            ScanError::NoVersion => format!("expected a version, found {}", quote_or_end(token)),
            ScanError::ExpectedPart(part) => {
                format!("expected a number for the {part} part of {token:?}")
            }
            ScanError::TooManyParts => {
                format!("{token:?} has more than three numeric parts (major.minor.patch)")
            }
            ScanError::NumberTooLarge => format!("a number in {token:?} is too large"),
            ScanError::EmptyIdentifier(what) => {
                format!("{token:?} has an empty {what} identifier")
            }
            ScanError::LeadingZero(ident) => {
                format!("prerelease identifier {ident:?} in {token:?} has a leading zero")
            }
            ScanError::EmptyBuild => format!("expected build metadata after \"+\" in {token:?}"),
            ScanError::Other(reason) => format!("{token:?}: {reason}"),
        }
    }
}

/// `"text"`, or `end of input` when there is no text.
pub(crate) fn quote_or_end(token: &str) -> String {
    if token.is_empty() {
        "end of input".to_string()
    } else {
        format!("{token:?}")
    }
}

/// Whitespace as Go's regexp `\s` means it: space, tab, newline, form feed, carriage return.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_wild(b: u8) -> bool {
    matches!(b, b'x' | b'X' | b'*')
}

pub(crate) struct Scanner<'a> {
    pub text: &'a str,
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub fn peek_at(&self, offset: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + offset).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub fn starts_with(&self, s: &str) -> bool {
        self.text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s))
    }

    /// Skips whitespace; returns how many bytes were skipped.
    pub fn skip_space(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// The character at the position (the scanner only ever stops on a
    /// character boundary, since it advances over ASCII bytes only).
    pub fn current_char(&self) -> Option<char> {
        self.text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
    }

    /// The text from `start` up to the next whitespace, `,` or `|` (at least
    /// one character when there is any), for error messages.
    pub fn token_from(&self, start: usize) -> &'a str {
        let Some(rest) = self.text.get(start..) else {
            return "";
        };
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            let delimiter = c.is_ascii() && (is_space(c as u8) || c == ',' || c == '|');
            if delimiter && i > 0 {
                break;
            }
            end = i + c.len_utf8();
            if delimiter {
                break;
            }
        }
        rest.get(..end).unwrap_or("")
    }

    /// Scans a version at the position. Wildcards are accepted in the numeric
    /// parts when `wildcards` is set. A `-` not followed by an identifier
    /// character is left unconsumed for the caller to judge.
    pub fn version(&mut self, wildcards: bool) -> Result<Partial, (usize, ScanError)> {
        let start = self.pos;
        if self.peek() == Some(b'v') {
            self.pos += 1;
        }
        let major = self
            .part(wildcards)
            .ok_or((start, ScanError::NoVersion))??;
        let mut minor = None;
        let mut patch = None;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            minor = Some(
                self.part(wildcards)
                    .ok_or((start, ScanError::ExpectedPart("minor")))??,
            );
            if self.peek() == Some(b'.') {
                self.pos += 1;
                patch = Some(
                    self.part(wildcards)
                        .ok_or((start, ScanError::ExpectedPart("patch")))??,
                );
                let next_is_part = self
                    .peek_at(1)
                    .is_some_and(|b| b.is_ascii_digit() || (wildcards && is_wild(b)));
                if self.peek() == Some(b'.') && next_is_part {
                    return Err((start, ScanError::TooManyParts));
                }
            }
        }

        let mut pre = Prerelease::EMPTY;
        if self.peek() == Some(b'-') && self.peek_at(1).is_some_and(is_ident) {
            self.pos += 1;
            let text = self.identifiers("prerelease").map_err(|e| (start, e))?;
            for ident in text.split('.') {
                if ident.len() > 1
                    && ident.starts_with('0')
                    && ident.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err((start, ScanError::LeadingZero(ident.to_string())));
                }
            }
            pre = Prerelease::new(text).map_err(|e| (start, ScanError::Other(e.to_string())))?;
        }

        let mut build = BuildMetadata::EMPTY;
        if self.peek() == Some(b'+') {
            self.pos += 1;
            if !self.peek().is_some_and(is_ident) {
                return Err((start, ScanError::EmptyBuild));
            }
            let text = self.identifiers("build metadata").map_err(|e| (start, e))?;
            build =
                BuildMetadata::new(text).map_err(|e| (start, ScanError::Other(e.to_string())))?;
        }

        Ok(Partial {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// A number or wildcard; `None` when there is neither at the position.
    fn part(&mut self, wildcards: bool) -> Option<Result<Part, (usize, ScanError)>> {
        let b = self.peek()?;
        if wildcards && is_wild(b) {
            self.pos += 1;
            return Some(Ok(Part::Wild));
        }
        if !b.is_ascii_digit() {
            return None;
        }
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.text.get(start..self.pos).unwrap_or("");
        Some(
            digits
                .parse::<u64>()
                .map(Part::Num)
                .map_err(|_| (start, ScanError::NumberTooLarge)),
        )
    }

    /// Dot-separated identifiers of `[0-9A-Za-z-]`; none may be empty.
    fn identifiers(&mut self, what: &'static str) -> Result<&'a str, ScanError> {
        let start = self.pos;
        loop {
            let ident_start = self.pos;
            while self.peek().is_some_and(is_ident) {
                self.pos += 1;
            }
            if self.pos == ident_start {
                return Err(ScanError::EmptyIdentifier(what));
            }
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(self.text.get(start..self.pos).unwrap_or(""))
    }
}
