//! Sigma's string values: `*` matches any run of characters, `?` exactly
//! one, `\` escapes either (and itself); matching ignores case unless the
//! `cased` modifier says otherwise.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `*`
    Any,
    /// `?`
    One,
}

/// A compiled Sigma string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    parts: Vec<Part>,
    cased: bool,
}

impl Pattern {
    /// Reads a value as Sigma writes it, wildcards and escapes included.
    pub(super) fn parse(value: &str, cased: bool) -> Pattern {
        let mut pattern = Pattern {
            parts: Vec::new(),
            cased,
        };
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => pattern.push(Part::Any),
                '?' => pattern.push(Part::One),
                // `\*`, `\?` and `\\` are the character itself; a backslash
                // before anything else is a backslash.
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        pattern.push_char(next);
                    }
                    _ => pattern.push_char('\\'),
                },
                c => pattern.push_char(c),
            }
        }
        pattern
    }

    /// A value taken as plain text: no wildcards (what `base64` encodes).
    pub(super) fn literal(value: &str, cased: bool) -> Pattern {
        let mut pattern = Pattern {
            parts: Vec::new(),
            cased,
        };
        for c in value.chars() {
            pattern.push_char(c);
        }
        pattern
    }

    /// `contains`: the value anywhere.
    pub(super) fn contained(mut self) -> Pattern {
        if self.parts.first() != Some(&Part::Any) {
            self.parts.insert(0, Part::Any);
        }
        self.ends_with_any()
    }

    /// `startswith`: the value, then anything.
    pub(super) fn prefix(self) -> Pattern {
        self.ends_with_any()
    }

    /// `endswith`: anything, then the value.
    pub(super) fn suffix(mut self) -> Pattern {
        if self.parts.first() != Some(&Part::Any) {
            self.parts.insert(0, Part::Any);
        }
        self
    }

    fn ends_with_any(mut self) -> Pattern {
        if self.parts.last() != Some(&Part::Any) {
            self.parts.push(Part::Any);
        }
        self
    }

    fn push(&mut self, part: Part) {
        // `**` is `*`.
        if part == Part::Any && self.parts.last() == Some(&Part::Any) {
            return;
        }
        self.parts.push(part);
    }

    fn push_char(&mut self, c: char) {
        if !matches!(self.parts.last(), Some(Part::Text(_))) {
            self.parts.push(Part::Text(String::new()));
        }
        let Some(Part::Text(text)) = self.parts.last_mut() else {
            unreachable!("a text part was pushed above");
        };
        // Kept folded, so a match folds only the value.
        if self.cased {
            text.push(c);
        } else {
            text.extend(c.to_lowercase());
        }
    }

    /// The longest text a matching value must hold, in ASCII lower case,
    /// when the prefilter can look for it.
    pub(super) fn required_literal(&self) -> Option<String> {
        let longest = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t),
                _ => None,
            })
            .max_by_key(|t| t.len())?;
        // A cased pattern's text may hold capitals; the search ignores case.
        let literal = longest.to_ascii_lowercase();
        super::prefilter::usable(&literal).then_some(literal)
    }

    /// The one value this pattern matches, folded, when it has no wildcard.
    pub(super) fn exact(&self) -> Option<String> {
        match self.parts.as_slice() {
            [] => Some(String::new()),
            [Part::Text(t)] => Some(fold(t).into_owned()),
            _ => None,
        }
    }

    pub(super) fn matches(&self, value: &str) -> bool {
        if !self.cased && value.is_ascii() {
            // An ASCII value folds byte by byte: the common shapes compare
            // without building the folded copy.
            if let Some(found) = self.matches_ascii_folded(value.as_bytes()) {
                return found;
            }
        }
        let value = if self.cased {
            Cow::Borrowed(value)
        } else {
            fold(value)
        };
        match self.parts.as_slice() {
            [] => value.is_empty(),
            [Part::Text(t)] => *value == **t,
            [Part::Any] => true,
            [Part::Any, Part::Text(t), Part::Any] => value.contains(t.as_str()),
            [Part::Text(t), Part::Any] => value.starts_with(t.as_str()),
            [Part::Any, Part::Text(t)] => value.ends_with(t.as_str()),
            parts => glob(parts, &value),
        }
    }
}

impl Pattern {
    /// `matches` for an ASCII value, whose folding is ASCII lower case, in
    /// the shapes that need no wildcard walk; None for the others. The
    /// pattern's text is folded already, so it holds no ASCII capital.
    fn matches_ascii_folded(&self, value: &[u8]) -> Option<bool> {
        let same = |a: &[u8], t: &str| a.eq_ignore_ascii_case(t.as_bytes());
        Some(match self.parts.as_slice() {
            [] => value.is_empty(),
            [Part::Text(t)] => same(value, t),
            [Part::Any] => true,
            [Part::Text(t), Part::Any] => value.get(..t.len()).is_some_and(|v| same(v, t)),
            [Part::Any, Part::Text(t)] => value
                .len()
                .checked_sub(t.len())
                .is_some_and(|at| same(&value[at..], t)),
            [Part::Any, Part::Text(t), Part::Any] => {
                t.is_empty() || value.windows(t.len()).any(|w| same(w, t))
            }
            _ => return None,
        })
    }
}

/// Lower case, borrowed when there is nothing to fold.
pub(super) fn fold(value: &str) -> Cow<'_, str> {
    if value.chars().any(char::is_uppercase) {
        // Character by character, as the pattern was folded.
        Cow::Owned(value.chars().flat_map(char::to_lowercase).collect())
    } else {
        Cow::Borrowed(value)
    }
}

/// Wildcard matching in O(parts × value): on a mismatch after a `*`, that
/// `*` takes one more character and the rest is tried again; earlier stars
/// never need to (the classic greedy argument), so nothing backtracks
/// further than the last star.
fn glob(parts: &[Part], value: &str) -> bool {
    let mut p = 0;
    let mut v = 0;
    // The part after the last `*`, and where in the value it was tried.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if p == parts.len() && v == value.len() {
            return true;
        }
        let step = match parts.get(p) {
            Some(Part::Any) => {
                resume = Some((p + 1, v));
                p += 1;
                continue;
            }
            Some(Part::One) => value[v..].chars().next().map(char::len_utf8),
            Some(Part::Text(t)) => value[v..].starts_with(t.as_str()).then_some(t.len()),
            None => None,
        };
        match (step, resume) {
            (Some(n), _) => {
                p += 1;
                v += n;
            }
            (None, Some((after_star, from))) if from < value.len() => {
                let next = from + value[from..].chars().next().map_or(1, char::len_utf8);
                resume = Some((after_star, next));
                p = after_star;
                v = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, value: &str) -> bool {
        Pattern::parse(pattern, false).matches(value)
    }

    #[test]
    fn plain_values_match_whole_and_ignore_case() {
        assert!(m("CreateUser", "createuser"));
        assert!(m("createuser", "CreateUser"));
        assert!(!m("CreateUser", "CreateUsers"));
        assert!(!m("CreateUser", "XCreateUser"));
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("ÄRGER", "ärger"));
        assert!(!Pattern::parse("CreateUser", true).matches("createuser"));
        assert!(Pattern::parse("CreateUser", true).matches("CreateUser"));
    }

    #[test]
    fn wildcards() {
        assert!(m("Create*", "CreateUser"));
        assert!(m("Create*", "Create"));
        assert!(m("*User", "CreateUser"));
        assert!(m("*eat*", "CreateUser"));
        assert!(m("C?eate*r", "CreateUser"));
        assert!(!m("C?eate", "Ceate"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("*a*a*a*b", "aaaaaaaaaaaaaaaaab"));
        assert!(!m("*a*a*a*b", "aaaaaaaaaaaaaaaaaa"));
        assert!(m("?", "é"));
        assert!(!m("?", ""));
        assert!(m("**", ""));
    }

    #[test]
    fn escapes() {
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m(r"a\?", "a?"));
        assert!(!m(r"a\?", "ab"));
        assert!(m(r"a\\b", r"a\b"));
        // A backslash before anything else is itself.
        assert!(m(r"C:\Windows", r"c:\windows"));
        // `\\*`: a backslash, then a wildcard.
        assert!(m(r"dir\\*", r"dir\anything"));
        assert!(Pattern::literal("a*", false).matches("A*"));
        assert!(!Pattern::literal("a*", false).matches("ab"));
    }

    #[test]
    fn position_modifiers() {
        let contains = Pattern::parse("User", false).contained();
        assert!(contains.matches("CreateUserX"));
        assert!(!contains.matches("CreateUseX"));
        assert!(
            Pattern::parse("Create", false)
                .prefix()
                .matches("CreateUser")
        );
        assert!(!Pattern::parse("Create", false).prefix().matches("ReCreate"));
        assert!(Pattern::parse("User", false).suffix().matches("CreateUser"));
        assert!(!Pattern::parse("User", false).suffix().matches("UserX"));
    }
}
