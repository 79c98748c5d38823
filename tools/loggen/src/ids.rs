//! Random identifiers in the shapes AWS uses, written straight into a
//! buffer: UUIDs, hex ids (`i-0abc…`), IAM unique ids (`AIDA…`), S3 request
//! ids, base64 blobs.

use crate::rng::Rng;

const LOWER_HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// IAM unique ids and access key ids use base32 letters (A-Z, 2-7).
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `n` characters from `alphabet`. One 64-bit draw feeds several characters
/// (multiply-shift digit extraction), which keeps long ids cheap.
pub fn push_chars(out: &mut String, rng: &mut Rng, alphabet: &[u8], n: usize) {
    let base = alphabet.len() as u128;
    let mut x = 0u64;
    for i in 0..n {
        if i % 6 == 0 {
            x = rng.next_u64();
        }
        let p = u128::from(x) * base;
        out.push(alphabet[(p >> 64) as usize] as char);
        x = p as u64;
    }
}

pub fn push_hex(out: &mut String, rng: &mut Rng, n: usize) {
    let mut x = 0u64;
    for i in 0..n {
        if i % 16 == 0 {
            x = rng.next_u64();
        }
        out.push(LOWER_HEX[(x & 15) as usize] as char);
        x >>= 4;
    }
}

pub fn push_alnum(out: &mut String, rng: &mut Rng, n: usize) {
    push_chars(out, rng, ALNUM, n);
}

pub fn push_upper_alnum(out: &mut String, rng: &mut Rng, n: usize) {
    push_chars(out, rng, UPPER_ALNUM, n);
}

pub fn push_base32(out: &mut String, rng: &mut Rng, n: usize) {
    push_chars(out, rng, BASE32, n);
}

pub fn push_base64(out: &mut String, rng: &mut Rng, n: usize) {
    push_chars(out, rng, BASE64, n);
}

/// A UUID of the given version (4 random; CloudTrail also shows version 3
/// event ids on events that AWS services make).
pub fn push_uuid(out: &mut String, rng: &mut Rng, version: u8) {
    let hi = rng.next_u64();
    let lo = rng.next_u64();
    let hi = (hi & !0xF000) | (u64::from(version & 15) << 12);
    let lo = (lo & !(0xC << 60)) | (0x8 << 60);
    let bytes = (u128::from(hi) << 64) | u128::from(lo);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let nibble = (bytes >> (124 - 4 * i)) & 15;
        out.push(LOWER_HEX[nibble as usize] as char);
    }
}

/// Owned variants, for the per-account directory built once at start-up.
pub fn uuid(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(36);
    push_uuid(&mut s, rng, 4);
    s
}

pub fn prefixed(
    prefix: &str,
    rng: &mut Rng,
    f: fn(&mut String, &mut Rng, usize),
    n: usize,
) -> String {
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    f(&mut s, rng, n);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let mut r = Rng::new(1);
        let mut s = String::new();
        push_uuid(&mut s, &mut r, 4);
        assert_eq!(s.len(), 36);
        let b = s.as_bytes();
        assert_eq!(b[14], b'4');
        assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(s.matches('-').count(), 4);
    }

    #[test]
    fn alphabets() {
        let mut r = Rng::new(2);
        let mut s = String::new();
        push_base32(&mut s, &mut r, 200);
        assert!(s.bytes().all(|b| BASE32.contains(&b)));
        s.clear();
        push_alnum(&mut s, &mut r, 16);
        assert_eq!(s.len(), 16);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
