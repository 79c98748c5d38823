//! A minimal streaming JSON writer over a `String`.
//!
//! Events are written straight into one reused buffer instead of building
//! `serde_json::Value` trees: that is most of the generator's speed. The
//! writer only tracks commas; an object or array closes itself when its
//! writer is dropped, so a nested `o.obj("k").str(..)` statement cannot leave
//! a brace open.
//!
//! Keys are trusted (they are literals in this crate). Values passed as
//! `&str` are escaped; values built in place with `str_with` are not, so
//! those closures must only write identifier-like text (ids, ARNs, names).

/// True when `s` has a byte JSON must escape: a control character, `"` or
/// `\\`. Checked eight bytes at a time (the classic "has zero byte" bit
/// trick): most values are long and clean, and this check was a tenth of
/// the generator's time byte by byte.
fn needs_escape(s: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI != 0;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        // Bytes below 0x20: x - 0x20 borrows into the high bit.
        let control = x.wrapping_sub(0x20 * LO) & !x & HI != 0;
        if control || has_zero(x ^ (b'"' as u64 * LO)) || has_zero(x ^ (b'\\' as u64 * LO)) {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes `s` as a quoted JSON string.
pub fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.push_str("\\u00");
                    out.push(HEX[(c as usize) >> 4] as char);
                    out.push(HEX[(c as usize) & 15] as char);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn open(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(',');
        }
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
    }

    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        push_quoted(self.out, v);
        self
    }

    /// A string value composed in place, unescaped (see the module doc).
    pub fn str_with(&mut self, k: &str, f: impl FnOnce(&mut String)) -> &mut Self {
        self.key(k);
        self.out.push('"');
        f(self.out);
        self.out.push('"');
        self
    }

    /// Already-encoded JSON: numbers, `null`, small literal fragments.
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(json);
        self
    }

    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }

    pub fn null(&mut self, k: &str) -> &mut Self {
        self.raw(k, "null")
    }

    pub fn num(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k);
        crate::time::push_uint(self.out, v);
        self
    }

    /// Either a string or `null`, as the previous-digest fields are.
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }

    pub fn obj(&mut self, k: &str) -> Obj<'_> {
        self.key(k);
        Obj::open(self.out)
    }

    pub fn arr(&mut self, k: &str) -> Arr<'_> {
        self.key(k);
        Arr::open(self.out)
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        self.out.push('}');
    }
}

pub struct Arr<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Arr<'a> {
    pub fn open(out: &'a mut String) -> Arr<'a> {
        out.push('[');
        Arr { out, first: true }
    }

    fn sep(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(',');
        }
    }

    pub fn obj(&mut self) -> Obj<'_> {
        self.sep();
        Obj::open(self.out)
    }

    pub fn str(&mut self, v: &str) -> &mut Self {
        self.sep();
        push_quoted(self.out, v);
        self
    }

    pub fn str_with(&mut self, f: impl FnOnce(&mut String)) -> &mut Self {
        self.sep();
        self.out.push('"');
        f(self.out);
        self.out.push('"');
        self
    }
}

impl Drop for Arr<'_> {
    fn drop(&mut self) {
        self.out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_nested_json() {
        let mut s = String::new();
        {
            let mut o = Obj::open(&mut s);
            o.str("a", "x\"y\\z\n")
                .num("n", 42)
                .bool("b", true)
                .null("z");
            o.obj("inner").str("k", "v");
            {
                let mut a = o.arr("list");
                a.str("one").str_with(|s| s.push_str("two"));
                a.obj().num("three", 3);
            }
            o.obj("empty");
        }
        assert_eq!(
            s,
            r#"{"a":"x\"y\\z\n","n":42,"b":true,"z":null,"inner":{"k":"v"},"list":["one","two",{"three":3}],"empty":{}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x\"y\\z\n");
    }

    #[test]
    fn escape_check_agrees_with_the_byte_rule() {
        let slow = |s: &[u8]| s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        let mut samples: Vec<Vec<u8>> = vec![
            b"plain ascii text, quite long indeed".to_vec(),
            "héllo wörld ✓ ünïcode".into(),
        ];
        for bad in [0u8, 0x1f, b'"', b'\\', b'\n'] {
            for pos in 0..17 {
                let mut v = b"abcdefghijklmnopq".to_vec();
                v[pos] = bad;
                samples.push(v);
            }
        }
        for b in 0u8..=255 {
            samples.push(vec![b'a', b'b', b'c', b'd', b'e', b'f', b'g', b]);
        }
        for s in &samples {
            assert_eq!(needs_escape(s), slow(s), "{s:?}");
        }
    }
}
