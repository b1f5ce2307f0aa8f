//! `by-file-path`: doublestar's `Match` (v4.0.2), `/`-separated globs.
//!
//! `*` matches a run of characters other than `/`, `/**/` any number of directories (a `**`
//! not between separators is a `*`; a pattern ending in `/**` matches what is under it and the
//! directory itself), `?` one character other than `/`, `[abc]`, `[a-z]`, `[^…]`/`[!…]` one
//! character of (or not of) a class, `{a,b}` one of the alternatives, `\c` the character `c`.
//! The whole name must match. A malformed pattern is an error (`syntax error in pattern`) when
//! the match gets to the malformed part.

const BAD_PATTERN: &str = "syntax error in pattern";
const SEPARATOR: char = '/';

/// Whether `name` matches `pattern`.
pub(super) fn matches(pattern: &str, name: &str) -> Result<bool, String> {
    match_from(pattern, name).map_err(|()| BAD_PATTERN.to_string())
}

/// The character at byte `at` of `s` and its length (a replacement character of length 0 at
/// the end, as Go's `utf8.DecodeRuneInString` gives).
fn char_at(s: &str, at: usize) -> (char, usize) {
    s.get(at..).and_then(|t| t.chars().next()).map_or(('\u{FFFD}', 0), |c| (c, c.len_utf8()))
}

fn match_from(pattern: &str, name: &str) -> Result<bool, ()> {
    let (pat, nm) = (pattern.as_bytes(), name.as_bytes());
    let mut double_pattern: Option<usize> = None;
    let mut double_name = 0usize;
    let mut star_pattern: Option<usize> = None;
    let mut star_name = 0usize;
    let (mut p, mut n) = (0usize, 0usize);
    let mut segment_start = true;
    'name: while n < nm.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    p += 1;
                    if p < pat.len() && pat[p] == b'*' {
                        p += 1;
                        if segment_start {
                            if p >= pat.len() {
                                return Ok(true);
                            }
                            let (c, len) = char_at(pattern, p);
                            if c == SEPARATOR {
                                p += len;
                                double_pattern = Some(p);
                                double_name = n;
                                star_pattern = None;
                                continue;
                            }
                        }
                    }
                    segment_start = false;
                    star_pattern = Some(p);
                    star_name = n;
                    continue;
                }
                b'?' => {
                    segment_start = false;
                    let (c, len) = char_at(name, n);
                    if c != SEPARATOR {
                        p += 1;
                        n += len;
                        continue;
                    }
                }
                b'[' => {
                    segment_start = false;
                    p += 1;
                    if p >= pat.len() {
                        return Err(());
                    }
                    let (c, len) = char_at(name, n);
                    let negate = pat[p] == b'!' || pat[p] == b'^';
                    if negate {
                        p += 1;
                    }
                    if p >= pat.len() || pat[p] == b']' {
                        return Err(());
                    }
                    let mut matched = false;
                    let mut last: Option<char> = None;
                    while p < pat.len() && pat[p] != b']' {
                        let (mut r, mut rlen) = char_at(pattern, p);
                        p += rlen;
                        if let Some(low) = last
                            && r == '-'
                            && p < pat.len()
                            && pat[p] != b']'
                        {
                            if pat[p] == b'\\' {
                                p += 1;
                            }
                            (r, rlen) = char_at(pattern, p);
                            p += rlen;
                            if low <= c && c <= r {
                                matched = true;
                                break;
                            }
                            last = None;
                            continue;
                        }
                        if r == '\\' {
                            (r, rlen) = char_at(pattern, p);
                            p += rlen;
                        }
                        if r == c {
                            matched = true;
                            break;
                        }
                        last = Some(r);
                    }
                    if matched != negate {
                        let Some(close) = index_unescaped(&pat[p..], b']') else { return Err(()) };
                        p += close + 1;
                        n += len;
                        continue;
                    }
                    if p >= pat.len() {
                        return Err(());
                    }
                }
                b'{' => {
                    p += 1;
                    let Some(close) = index_closing_alt(&pat[p..]) else { return Err(()) };
                    let close = close + p;
                    let rest = &pattern[close + 1..];
                    while let Some(comma) = index_next_alt(&pat[p..close]) {
                        let comma = comma + p;
                        if match_from(&format!("{}{rest}", &pattern[p..comma]), &name[n..])? {
                            return Ok(true);
                        }
                        p = comma + 1;
                    }
                    return match_from(&format!("{}{rest}", &pattern[p..close]), &name[n..]);
                }
                b => {
                    if b == b'\\' {
                        p += 1;
                        if p >= pat.len() {
                            return Err(());
                        }
                    }
                    let (pc, plen) = char_at(pattern, p);
                    let (c, len) = char_at(name, n);
                    if pc == c {
                        p += plen;
                        n += len;
                        segment_start = pc == SEPARATOR;
                        continue;
                    }
                    // Back to the backslash of an escaped character (doublestar looks only at
                    // the byte before).
                    if p > 0 && pat[p - 1] == b'\\' {
                        p -= 1;
                    }
                }
            }
        }
        if let Some(star) = star_pattern {
            let (c, len) = char_at(name, star_name);
            if c != SEPARATOR {
                star_name += len;
                p = star;
                n = star_name;
                segment_start = false;
                continue;
            }
        }
        if let Some(double) = double_pattern {
            n = double_name;
            while n < nm.len() {
                let (c, len) = char_at(name, n);
                n += len;
                if c == SEPARATOR {
                    double_name = n;
                    p = double;
                    segment_start = true;
                    continue 'name;
                }
            }
        }
        if p < pat.len() && !valid(&pattern[p..]) {
            return Err(());
        }
        return Ok(false);
    }
    if n < nm.len() {
        return Ok(false);
    }
    zero_length(&pattern[p..])
}

/// Whether what is left of a pattern matches the empty string.
fn zero_length(pattern: &str) -> Result<bool, ()> {
    if matches!(pattern, "" | "*" | "**" | "/**") {
        return Ok(true);
    }
    let pat = pattern.as_bytes();
    if pat[0] == b'{' {
        let close = index_closing_alt(&pat[1..]).ok_or(())? + 1;
        let rest = &pattern[close + 1..];
        let mut p = 1;
        while let Some(comma) = index_next_alt(&pat[p..close]) {
            let comma = comma + p;
            if zero_length(&format!("{}{rest}", &pattern[p..comma]))? {
                return Ok(true);
            }
            p = comma + 1;
        }
        return zero_length(&format!("{}{rest}", &pattern[p..close]));
    }
    if valid(pattern) { Ok(false) } else { Err(()) }
}

/// The first `c` not escaped by a backslash.
fn index_unescaped(s: &[u8], c: u8) -> Option<usize> {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            i += 1;
        } else if s[i] == c {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The `}` closing an alternative whose `{` is just before `s`.
fn index_closing_alt(s: &[u8]) -> Option<usize> {
    let mut depth = 1;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The next `,` of an alternative, outside nested `{}`.
fn index_next_alt(s: &[u8]) -> Option<usize> {
    let mut depth = 1;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b',' if depth == 1 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// doublestar's `ValidatePattern`: classes closed and not empty, alternatives balanced, no
/// trailing backslash.
fn valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    'scan: while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 1;
                if i >= b.len() {
                    return false;
                }
            }
            b'[' => {
                i += 1;
                if i >= b.len() {
                    return false;
                }
                if b[i] == b'^' || b[i] == b'!' {
                    i += 1;
                }
                if i >= b.len() || b[i] == b']' {
                    return false;
                }
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 1;
                    } else if b[i] == b']' {
                        i += 1;
                        continue 'scan;
                    }
                    i += 1;
                }
                return false;
            }
            b'{' => depth += 1,
            b'}' => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(pattern: &str, name: &str) -> bool {
        matches(pattern, name).unwrap()
    }

    #[test]
    fn globs_match_as_doublestar_documents() {
        assert!(m("**/baz.yaml", "foo/bar/baz.yaml"));
        assert!(m("**/baz.yaml", "baz.yaml"));
        assert!(!m("**/baz.yaml", "foo/bar/bat.yaml"));
        assert!(m("foo/**/baz.yaml", "foo/bar/bor/baz.yaml"));
        assert!(!m("foo/**/baz.yaml", "bar/baz.yaml"));
        assert!(m("foo/*/baz.yaml", "foo/bar/baz.yaml"));
        assert!(!m("foo/*/baz.yaml", "foo/bar/bor/baz.yaml"));
        assert!(m("foo/bar/*.yaml", "foo/bar/bat.yaml"));
        assert!(!m("foo/bar/*.yaml", "baz.yaml"));
        assert!(m("a/**", "a"), "a trailing /** matches the directory itself");
        assert!(m("*.{yaml,yml}", "x.yml"));
        assert!(m("[a-c]?.yaml", "b1.yaml"));
        assert!(!m("[!a-c]?.yaml", "b1.yaml"));
        assert!(m("\\*.yaml", "*.yaml"));
        assert!(!m("?", "/"));
        assert!(m("**", ""), "an empty name (no path annotation)");
    }

    #[test]
    fn a_bad_pattern_fails_when_reached() {
        assert_eq!(matches("[", "a"), Err("syntax error in pattern".to_string()));
        assert_eq!(matches("x{a", "xa"), Err("syntax error in pattern".to_string()));
        assert_eq!(matches("b[", "a"), Err("syntax error in pattern".to_string()), "validated on mismatch");
    }
}
