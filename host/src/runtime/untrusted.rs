//! Text a component wrote, made safe to print.
//!
//! A component's stderr, its input outcomes and its `info` end up on the
//! user's terminal and in logs. Raw, a hostile component could clear the
//! screen, retitle the window or hide text with escape sequences, or reorder
//! what an operator reads with bidirectional overrides. Every such character
//! is shown as a visible `\u{…}` escape instead.

/// Escapes control characters, keeping line breaks and tabs (for stderr).
pub fn lines(text: &str) -> String {
    escape(text, true)
}

/// Escapes control characters, line breaks included (for one-line fields).
pub fn one_line(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, keep_lines: bool) -> String {
    if !text.chars().any(|c| dangerous(c, keep_lines)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if dangerous(c, keep_lines) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn dangerous(c: char, keep_lines: bool) -> bool {
    if keep_lines && (c == '\n' || c == '\t') {
        return false;
    }
    // C0, DEL and C1 controls (ESC and CSI start terminal sequences), and the
    // bidirectional formatting characters (the "Trojan Source" set).
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(one_line("ok"), "ok");
        assert_eq!(
            one_line("\x1b[2J\x1b]0;pwned\x07"),
            "\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"
        );
        assert_eq!(one_line("a\nb\r"), "a\\u{a}b\\u{d}");
        assert_eq!(lines("a\n\tb\r"), "a\n\tb\\u{d}");
        assert_eq!(one_line("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(one_line("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(one_line("résumé ✓"), "résumé ✓");
    }
}
