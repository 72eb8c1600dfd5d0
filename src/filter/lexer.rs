//! Tokens of the pcap-filter language, matched like libpcap's flex scanner:
//! the longest match wins, and on a tie the earlier rule (MAC, IPv6, number,
//! dotted IPv4, then name).

use std::net::Ipv6Addr;

use super::names;
use crate::error::{Error, ErrorCode, Result};

/// Texts are slices of the expression: a token is never copied out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok<'a> {
    Num(u32),
    /// A name or keyword; `escaped` for `\name`, which is never a keyword.
    Word {
        text: &'a str,
        escaped: bool,
    },
    V4(&'a str),
    V6(&'a str),
    Mac([u8; 6]),
    /// Punctuation and operators: ( ) [ ] : + - * / % & | ^ ! < > = and the
    /// two-character forms.
    Op(&'static str),
    End,
}

#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub pos: usize,
}

/// libpcap's text for any input its grammar refuses (its yacc parser says
/// no more), then where and what ringcap found.
pub fn syntax(pos: usize, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::FilterSyntax,
        format!("can't parse filter expression: syntax error at position {pos}: {what}"),
    )
}

const OPS2: [&str; 8] = [">=", "<=", "!=", "==", "<<", ">>", "&&", "||"];
const OPS1: [&str; 16] = ["(", ")", "[", "]", ":", "+", "-", "*", "/", "%", "&", "|", "^", "!", "<", ">"];

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':')
}

pub fn tokenize(input: &str) -> Result<Vec<Token<'_>>> {
    let bytes = input.as_bytes();
    // Expressions have a token every few characters.
    let mut out = Vec::with_capacity(input.len() / 3 + 2);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'\\' {
            // An escaped name runs to the next blank or parenthesis.
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && !matches!(bytes[j], b' ' | b'\t' | b'\n' | b'!' | b'(' | b')') {
                j += 1;
            }
            if j == start {
                return Err(syntax(i, "empty escaped name"));
            }
            out.push(Token { tok: Tok::Word { text: &input[start..j], escaped: true }, pos: i });
            i = j;
            continue;
        }
        if c == b'=' {
            let two = bytes.get(i + 1) == Some(&b'=');
            out.push(Token { tok: Tok::Op("=="), pos: i });
            i += if two { 2 } else { 1 };
            continue;
        }
        // "::1" is an address, not a ':' operator.
        let v6_start = c == b':' && bytes.get(i + 1) == Some(&b':');
        // No operator starts with a letter or digit.
        if !c.is_ascii_alphanumeric() && !v6_start {
            if let Some(op) = OPS2.iter().find(|op| input[i..].starts_with(**op)) {
                out.push(Token { tok: Tok::Op(op), pos: i });
                i += 2;
                continue;
            }
            if let Some(op) = OPS1.iter().find(|op| op.as_bytes()[0] == c) {
                out.push(Token { tok: Tok::Op(op), pos: i });
                i += 1;
                continue;
            }
        }
        if !is_word_char(c) || !c.is_ascii_alphanumeric() && c != b':' {
            return Err(syntax(i, format!("illegal character '{}'", input[i..].chars().next().unwrap_or('?'))));
        }
        let (mut end, mut colon) = (i, false);
        while end < bytes.len() && is_word_char(bytes[end]) {
            colon |= bytes[end] == b':';
            end += 1;
        }
        // Most tokens are keywords and names: a run that starts with a
        // letter and has no colon is one, unless it is long enough for a
        // MAC address in hex groups (every other rule wants a digit first or
        // a colon, and so do the bogus-MAC and bad-number checks below).
        if c.is_ascii_alphabetic() && !colon && (end - i < MAC_MIN_LEN || !c.is_ascii_hexdigit()) {
            let run = &input[i..end];
            let (m, len) = name(run).ok_or_else(|| syntax(i, format!("illegal token '{run}'")))?;
            let tok = match m {
                Match::Tok(t) => t,
                _ => Tok::Word { text: &run[..len], escaped: false },
            };
            out.push(Token { tok, pos: i });
            i += len;
            continue;
        }
        let (tok, len) =
            longest_word(&input[i..end]).ok_or_else(|| syntax(i, format!("illegal token '{}'", &input[i..end])))?;
        // libpcap's scanner has a rule of its own for colon-separated hex
        // that is no MAC or IPv6 address, which wins where it is longer.
        let bogus = bogus_mac_len(&input[i..end]);
        if bogus > len {
            let text = &input[i..i + bogus];
            return Err(Error::new(ErrorCode::FilterSyntax, format!("bogus ethernet address {text} at position {i}")));
        }
        if let Tok::Word { text, .. } = &tok {
            if let Some(what) = bad_number(text) {
                return Err(Error::new(ErrorCode::FilterSyntax, format!("number {text} {what} at position {i}")));
            }
        }
        out.push(Token { tok, pos: i });
        i += len;
    }
    out.push(Token { tok: Tok::End, pos: input.len() });
    Ok(out)
}

/// A token's kind and length, before its text is taken.
enum Match {
    Tok(Tok<'static>),
    V6,
    V4,
    Name,
}

/// The longest token at the start of `run` (a run of name characters).
fn longest_word(run: &str) -> Option<(Tok<'_>, usize)> {
    let mut best: Option<(Match, usize)> = None;
    let mut consider = |t: Option<(Match, usize)>| {
        if let Some((m, len)) = t {
            if best.as_ref().is_none_or(|(_, l)| len > *l) {
                best = Some((m, len));
            }
        }
    };
    let tok = |t: Option<(Tok<'static>, usize)>| t.map(|(t, n)| (Match::Tok(t), n));
    consider(tok(mac(run)));
    consider(ipv6(run).map(|n| (Match::V6, n)));
    consider(tok(number(run)));
    consider(dotted(run).map(|n| (Match::V4, n)));
    consider(name(run));
    let (m, n) = best?;
    let text = &run[..n];
    let tok = match m {
        Match::Tok(t) => t,
        Match::V6 => Tok::V6(text),
        Match::V4 => Tok::V4(text),
        Match::Name => Tok::Word { text, escaped: false },
    };
    Some((tok, n))
}

fn hex_digits(s: &str, min: usize, max: usize) -> Option<usize> {
    let n = s.bytes().take_while(u8::is_ascii_hexdigit).count().min(max);
    (n >= min).then_some(n)
}

/// The shortest MAC address, "a:b:c:d:e:f".
const MAC_MIN_LEN: usize = 11;

fn mac(run: &str) -> Option<(Tok<'static>, usize)> {
    // xx:xx:xx:xx:xx:xx (1–2 digits a group) with ':' '-' or '.', or xxxx.xxxx.xxxx
    if run.len() < MAC_MIN_LEN {
        return None;
    }
    for sep in [':', '-', '.'] {
        let mut pos = 0;
        let mut bytes = [0u8; 6];
        let mut ok = true;
        for (g, byte) in bytes.iter_mut().enumerate() {
            if g > 0 {
                if run[pos..].starts_with(sep) {
                    pos += 1;
                } else {
                    ok = false;
                    break;
                }
            }
            match hex_digits(&run[pos..], 1, 2) {
                Some(n) => {
                    *byte = u8::from_str_radix(&run[pos..pos + n], 16).ok()?;
                    pos += n;
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Some((Tok::Mac(bytes), pos));
        }
    }
    let mut pos = 0;
    let mut bytes = [0u8; 6];
    for g in 0..3 {
        if g > 0 {
            if !run[pos..].starts_with('.') {
                return None;
            }
            pos += 1;
        }
        if hex_digits(&run[pos..], 4, 4) != Some(4) {
            return None;
        }
        let v = u16::from_str_radix(&run[pos..pos + 4], 16).ok()?;
        bytes[2 * g..2 * g + 2].copy_from_slice(&v.to_be_bytes());
        pos += 4;
    }
    Some((Tok::Mac(bytes), pos))
}

fn ipv6(run: &str) -> Option<usize> {
    // An address without "::" has 7 colons, or 6 before a dotted IPv4
    // tail; a run with fewer (a MAC address) has no prefix that parses.
    let colons = run.bytes().filter(|&c| c == b':').count();
    if colons == 0 || colons < 6 && !run.contains("::") {
        return None;
    }
    // Addresses are short; bounding the candidates keeps this linear.
    let max = run.len().min(45);
    (2..=max).rev().filter(|&n| run.is_char_boundary(n)).find(|&n| run[..n].parse::<Ipv6Addr>().is_ok())
}

fn digits_len(s: &str) -> usize {
    if s.starts_with("0x") || s.starts_with("0X") {
        let n = s[2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        if n > 0 {
            return 2 + n;
        }
    }
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn number(run: &str) -> Option<(Tok<'static>, usize)> {
    let n = digits_len(run);
    if n == 0 {
        return None;
    }
    // An overflowing number is kept as a name so that the parser reports it.
    let v = parse_number(&run[..n])?;
    Some((Tok::Num(v), n))
}

/// The longest match of libpcap's `{B}:+({B}:+)+` (B one or two hex
/// digits) at the start of `run`, 0 if none.
fn bogus_mac_len(run: &str) -> usize {
    let b = run.as_bytes();
    let (mut pos, mut groups, mut best) = (0, 0, 0);
    while let Some(digits) = hex_digits(&run[pos..], 1, 2) {
        let colons = b[pos + digits..].iter().take_while(|&&c| c == b':').count();
        if colons == 0 {
            break;
        }
        pos += digits + colons;
        groups += 1;
        if groups >= 2 {
            best = pos;
        }
    }
    best
}

/// What libpcap's scanner says of a token its number rule takes whole
/// (that rule comes before the name rule) but cannot convert.
fn bad_number(text: &str) -> Option<&'static str> {
    if digits_len(text) != text.len() || parse_number(text).is_some() {
        return None;
    }
    let octal = text.len() > 1 && text.starts_with('0') && !text.starts_with("0x") && !text.starts_with("0X");
    Some(if octal && text.bytes().any(|c| c > b'7') { "contains non-octal digit" } else { "overflows 32 bits" })
}

/// libpcap's stoulen: 0x… hex, 0… octal, else decimal; None on overflow or
/// a bad octal digit.
pub fn parse_number(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    if s.len() > 1 && s.starts_with('0') {
        return u32::from_str_radix(&s[1..], 8).ok();
    }
    s.parse().ok()
}

fn dotted(run: &str) -> Option<usize> {
    let mut pos = 0;
    let mut groups = 0;
    let mut end = 0;
    loop {
        let n = run[pos..].bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            break;
        }
        pos += n;
        groups += 1;
        if groups >= 2 {
            end = pos;
        }
        if groups == 4 || !run[pos..].starts_with('.') {
            break;
        }
        pos += 1;
    }
    (end > 0).then_some(end)
}

fn name(run: &str) -> Option<(Match, usize)> {
    // [A-Za-z0-9][-_.A-Za-z0-9]*[.A-Za-z0-9]; single letters are names too.
    let b = run.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() {
        return None;
    }
    let mut n = 1 + b[1..].iter().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')).count();
    while n > 1 && matches!(b[n - 1], b'-' | b'_') {
        n -= 1;
    }
    let text = &run[..n];
    match names::numeric_keyword(text) {
        Some(v) => Some((Match::Tok(Tok::Num(v)), n)),
        None => Some((Match::Name, n)),
    }
}
