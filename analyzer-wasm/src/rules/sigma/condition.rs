//! A rule's `condition`: search identifiers joined by `and`, `or`, `not`
//! and parentheses (`not` binds tightest, then `and`, then `or`), and the
//! quantifiers `1 of X*`, `any of X*`, `all of X*`, `1 of them`, `all of
//! them` (`them`: every identifier not starting with `_`). An aggregation
//! (`| count() > 5`) is refused by the caller, before parsing.

use super::pattern::Pattern;

/// How deep `not` and parentheses may nest: far more than any rule
/// needs, and little enough stack that a hostile rule cannot overflow it.
const MAX_DEPTH: usize = 64;

/// A parsed condition over search identifiers, by their index in the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Id(usize),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    /// Holds when any of these holds (`1 of`).
    AnyOf(Vec<usize>),
    /// Holds when all of these hold (`all of`).
    AllOf(Vec<usize>),
}

impl Condition {
    /// Parses `text` over the search identifiers `names`.
    pub fn parse(text: &str, names: &[String]) -> Result<Condition, String> {
        let tokens = tokenize(text);
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            depth: 0,
            names,
        };
        let condition = parser.or()?;
        match parser.peek() {
            None => Ok(condition),
            Some(t) => Err(format!("unexpected {t:?}")),
        }
    }

    /// Whether the condition holds, given whether each identifier does.
    pub fn eval(&self, holds: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Condition::Id(i) => holds(*i),
            Condition::Not(c) => !c.eval(holds),
            Condition::And(cs) => cs.iter().all(|c| c.eval(holds)),
            Condition::Or(cs) => cs.iter().any(|c| c.eval(holds)),
            Condition::AnyOf(ids) => ids.iter().any(|i| holds(*i)),
            Condition::AllOf(ids) => ids.iter().all(|i| holds(*i)),
        }
    }

    /// A set of identifiers at least one of which must hold for the
    /// condition to hold (`None` when there is no such set, e.g. under
    /// `not`): what lets a rule be indexed by its selections' event names.
    pub(super) fn required(&self) -> Option<Vec<usize>> {
        match self {
            Condition::Id(i) => Some(vec![*i]),
            Condition::Not(_) => None,
            // Any one conjunct's requirement is the whole's; the narrowest
            // is the most useful, but any will do.
            Condition::And(cs) => cs
                .iter()
                .filter_map(Condition::required)
                .min_by_key(Vec::len),
            Condition::Or(cs) => {
                let mut all = Vec::new();
                for c in cs {
                    all.extend(c.required()?);
                }
                Some(all)
            }
            Condition::AnyOf(ids) => Some(ids.clone()),
            Condition::AllOf(ids) => ids.first().map(|i| vec![*i]),
        }
    }
}

fn tokenize(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if let Some(s) = start.take() {
                tokens.push(&text[s..i]);
            }
            if !c.is_whitespace() {
                tokens.push(&text[i..i + 1]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        tokens.push(&text[s..]);
    }
    tokens
}

struct Parser<'a> {
    tokens: &'a [&'a str],
    at: usize,
    /// `not`s and parentheses open around the current token.
    depth: usize,
    names: &'a [String],
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.tokens.get(self.at).copied()
    }

    fn next(&mut self) -> Option<&'a str> {
        let t = self.peek();
        self.at += 1;
        t
    }

    fn is_word(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| t.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut terms = vec![self.and()?];
        while self.is_word("or") {
            self.at += 1;
            terms.push(self.and()?);
        }
        Ok(one_or(terms, Condition::Or))
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut terms = vec![self.not()?];
        while self.is_word("and") {
            self.at += 1;
            terms.push(self.not()?);
        }
        Ok(one_or(terms, Condition::And))
    }

    fn not(&mut self) -> Result<Condition, String> {
        if self.is_word("not") {
            self.at += 1;
            let inner = self.nested(Parser::not)?;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Condition, String>,
    ) -> Result<Condition, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} deep"));
        }
        let inner = parse(self);
        self.depth -= 1;
        inner
    }

    fn primary(&mut self) -> Result<Condition, String> {
        let Some(token) = self.next() else {
            return Err("the condition ends where an identifier was expected".into());
        };
        if token == "(" {
            let inner = self.nested(Parser::or)?;
            return match self.next() {
                Some(")") => Ok(inner),
                _ => Err("a '(' is never closed".into()),
            };
        }
        let quantifier = ["1", "any", "all"]
            .into_iter()
            .find(|q| token.eq_ignore_ascii_case(q));
        if let Some(quantifier) = quantifier
            && self.is_word("of")
        {
            self.at += 1;
            let Some(target) = self.next() else {
                return Err(format!("'{quantifier} of' needs a pattern or 'them'"));
            };
            let ids = self.expand(target)?;
            return Ok(if quantifier == "all" {
                Condition::AllOf(ids)
            } else {
                Condition::AnyOf(ids)
            });
        }
        if ["and", "or", "not", "of", ")"]
            .iter()
            .any(|w| token.eq_ignore_ascii_case(w))
        {
            return Err(format!(
                "unexpected {token:?} where an identifier was expected"
            ));
        }
        self.names
            .iter()
            .position(|n| n == token)
            .map(Condition::Id)
            .ok_or_else(|| format!("{token:?} is not a search identifier of this rule"))
    }

    /// The identifiers `them` or a `*` pattern names, in rule order.
    fn expand(&self, target: &str) -> Result<Vec<usize>, String> {
        let ids: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            // Identifiers are matched as written: only `*` is a wildcard.
            let escaped = target.replace('\\', r"\\").replace('?', r"\?");
            let pattern = Pattern::parse(&escaped, true);
            (0..self.names.len())
                .filter(|&i| pattern.matches(&self.names[i]))
                .collect()
        };
        if ids.is_empty() {
            return Err(format!(
                "{target:?} names no search identifier of this rule"
            ));
        }
        Ok(ids)
    }
}

fn one_or(mut terms: Vec<Condition>, join: fn(Vec<Condition>) -> Condition) -> Condition {
    if terms.len() == 1 {
        terms.pop().expect("one term")
    } else {
        join(terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["sel", "sel_b", "filter", "_hidden"]
            .map(String::from)
            .to_vec()
    }

    fn parse(text: &str) -> Result<Condition, String> {
        Condition::parse(text, &names())
    }

    /// Evaluates with the identifiers in `true_ids` holding.
    fn holds(text: &str, true_ids: &[usize]) -> bool {
        parse(text).unwrap().eval(&mut |i| true_ids.contains(&i))
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        use Condition::*;
        assert_eq!(
            parse("sel or sel_b and not filter").unwrap(),
            Or(vec![Id(0), And(vec![Id(1), Not(Box::new(Id(2)))])])
        );
        assert_eq!(
            parse("(sel or sel_b) and not filter").unwrap(),
            And(vec![Or(vec![Id(0), Id(1)]), Not(Box::new(Id(2)))])
        );
        assert_eq!(
            parse("not not sel").unwrap(),
            Not(Box::new(Not(Box::new(Id(0)))))
        );
        assert_eq!(parse("((sel))").unwrap(), Id(0));
        // Operators in any case, tokens split at parentheses.
        assert_eq!(parse("NOT(sel)").unwrap(), Not(Box::new(Id(0))));
    }

    #[test]
    fn quantifiers() {
        assert!(holds("1 of sel*", &[1]));
        assert!(!holds("1 of sel*", &[2]));
        assert!(holds("any of sel*", &[0]));
        assert!(holds("all of sel*", &[0, 1]));
        assert!(!holds("all of sel*", &[0]));
        // `them` leaves out identifiers starting with `_`.
        assert!(holds("all of them", &[0, 1, 2]));
        assert!(!holds("1 of them", &[3]));
        assert!(holds("1 of _hid*", &[3]));
        assert!(holds("1 of sel and not 1 of filter", &[0]));
        assert!(!holds("1 of sel and not 1 of filter", &[0, 2]));
    }

    #[test]
    fn errors_name_the_problem() {
        for (text, wanted) in [
            ("", "ends where an identifier"),
            ("sel and", "ends where an identifier"),
            ("sel or or sel_b", "unexpected \"or\""),
            ("(sel", "never closed"),
            ("sel)", "unexpected \")\""),
            ("nope", "\"nope\" is not a search identifier"),
            ("1 of x*", "names no search identifier"),
            ("1 of", "needs a pattern"),
            ("sel sel_b", "unexpected \"sel_b\""),
            ("(".repeat(100_000).as_str(), "nested more than 64 deep"),
            ("not ".repeat(100_000).as_str(), "nested more than 64 deep"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(wanted), "{text:?}: {error}");
        }
    }

    #[test]
    fn required_identifiers() {
        assert_eq!(
            parse("sel and not filter").unwrap().required(),
            Some(vec![0])
        );
        assert_eq!(parse("sel or sel_b").unwrap().required(), Some(vec![0, 1]));
        assert_eq!(parse("sel or not filter").unwrap().required(), None);
        assert_eq!(parse("all of sel*").unwrap().required(), Some(vec![0]));
    }
}
