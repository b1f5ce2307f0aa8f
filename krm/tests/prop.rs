//! Random trees: what the emitter writes reads back as the same values (by this parser and by
//! the reference parser), and writing again changes nothing.

mod common;

use porch_krm::{Comments, Content, Document, Node, Pair, SeqIndent, Stream, Style};
use proptest::prelude::*;

const POOL: &[&str] = &[
    "a",
    "nginx:1.25",
    "true",
    "True",
    "1",
    "0x1F",
    "1.5",
    "null",
    "~",
    "",
    " x",
    "x ",
    "a: b",
    "a:b",
    "- x",
    "#x",
    "a #b",
    "a#b",
    "multi\nline",
    "x\n",
    "x\n\n",
    "\n",
    "\nlead",
    "a\tb",
    "'q'",
    "\"dq\"",
    "日本語",
    "é",
    "{x}",
    "[x]",
    "*a",
    "&a",
    "!t",
    "%x",
    "@x",
    "`x`",
    ",",
    "?",
    ":",
    "-",
    "---",
    "...",
    "a\n\nb\n",
    "  two\nlines",
    "yes",
    "on",
    "2024-01-02",
    "<<",
    "back\\slash",
    "http://x/y?z=1#f",
    "a, b",
    "line\u{2028}sep",
    "\u{1}ctl",
    "tail\n ",
];

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        4 => Just(Style::Plain),
        1 => Just(Style::SingleQuoted),
        1 => Just(Style::DoubleQuoted),
        1 => Just(Style::Literal),
        1 => Just(Style::Folded),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => proptest::sample::select(POOL).prop_map(String::from), 1 => "[a-z0-9 .:#/-]{0,10}"]
}

fn comment_line() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "# [a-z :#-]{0,8}".prop_map(|s| s.trim_end().to_string())]
}

fn comments() -> impl Strategy<Value = Comments> {
    (
        proptest::collection::vec(comment_line(), 0..3),
        proptest::option::weighted(0.2, "# [a-z${}:]{0,8}"),
        proptest::collection::vec(comment_line(), 0..2),
        proptest::bool::weighted(0.7),
    )
        .prop_map(|(head, line, foot, none)| {
            let mut c = Comments::default();
            if !none {
                c.head = head;
                c.line = line.map(|l| l.trim_end().to_string());
                c.foot = foot;
            }
            c
        })
}

fn scalar() -> impl Strategy<Value = Node> {
    (text(), style(), comments()).prop_map(|(t, s, c)| {
        let mut n = Node::scalar(t, s);
        n.comments = c;
        n
    })
}

fn node() -> impl Strategy<Value = Node> {
    scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            (
                proptest::collection::vec((text(), style(), inner.clone()), 0..5),
                proptest::bool::weighted(0.2),
                comments()
            )
                .prop_map(|(entries, flow, c)| {
                    let mut pairs: Vec<Pair> = Vec::new();
                    for (k, s, v) in entries {
                        if pairs.iter().any(|p| p.key.as_str() == Some(k.as_str())) {
                            continue;
                        }
                        pairs.push(Pair::new(Node::scalar(k, s), v));
                    }
                    let mut n =
                        Node::new(Content::Mapping(pairs), if flow { Style::Flow } else { Style::Plain });
                    n.comments = c;
                    n
                }),
            (proptest::collection::vec(inner, 0..5), proptest::bool::weighted(0.2), comments()).prop_map(
                |(items, flow, c)| {
                    let mut n =
                        Node::new(Content::Sequence(items), if flow { Style::Flow } else { Style::Plain });
                    n.comments = c;
                    n
                }
            ),
        ]
    })
}

fn document() -> impl Strategy<Value = Document> {
    (node(), any::<bool>(), any::<bool>()).prop_map(|(root, wide, explicit)| {
        let mut d = Document::new(root);
        d.seq_indent = if wide { SeqIndent::Wide } else { SeqIndent::Compact };
        d.explicit_start = explicit;
        d
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, max_global_rejects: 1 << 20, ..ProptestConfig::default() })]

    #[test]
    fn written_trees_read_back(docs in proptest::collection::vec(document(), 1..3)) {
        // `<<` as a plain key is a merge key; a random value under it may not merge.
        let want: Vec<_> = docs.iter().filter_map(|d| d.to_json().ok()).collect();
        prop_assume!(want.len() == docs.len());
        let text = Stream::new(docs).to_text();
        let back = Stream::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let got: Vec<_> = back.documents.iter().filter(|d| d.root.is_some()).map(|d| d.to_json().unwrap()).collect();
        prop_assert_eq!(&got, &want, "{}", text);
        prop_assert_eq!(back.to_text(), text.clone(), "not stable:\n{}", text);
        let reference = common::reference_events(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(common::stream_events(&back), reference, "{}", text);
    }
}

fn numbers_as_f64(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => n.as_f64().map_or(Value::Null, |f| serde_json::json!(f)),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect()),
        other => other,
    }
}

/// Applies edit `op` with `text` to the `k`-th node (pre-order, modulo the count).
fn edit_nth(root: &mut Node, k: usize, op: u8, text: &str) {
    fn count(n: &Node) -> usize {
        1 + match &n.content {
            Content::Mapping(p) => p.iter().map(|p| count(&p.value)).sum(),
            Content::Sequence(i) => i.iter().map(count).sum(),
            _ => 0,
        }
    }
    fn nth<'a>(n: &'a mut Node, k: &mut usize) -> Option<&'a mut Node> {
        if *k == 0 {
            return Some(n);
        }
        *k -= 1;
        match &mut n.content {
            Content::Mapping(p) => p.iter_mut().find_map(|p| nth(&mut p.value, k)),
            Content::Sequence(i) => i.iter_mut().find_map(|i| nth(i, k)),
            _ => None,
        }
    }
    let mut k = k % count(root);
    let Some(n) = nth(root, &mut k) else { return };
    match (&mut n.content, op % 4) {
        (Content::Scalar(_), 0 | 1) => n.set_str_value(text),
        (Content::Scalar(_), _) => *n = Node::scalar(text, Style::Plain),
        (Content::Mapping(p), 0) if !p.is_empty() => {
            p.remove(0);
        }
        (Content::Mapping(_), _) => {
            if n.get(text).is_none() {
                n.set(text, Node::string(text)).unwrap();
            }
        }
        (Content::Sequence(i), 0) if !i.is_empty() => {
            i.pop();
        }
        (Content::Sequence(i), _) => i.push(Node::string(text)),
        (Content::Alias(_), _) => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn edited_fixtures_read_back(
        file in 0usize..100,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), text()), 1..6),
        wide in any::<bool>(),
    ) {
        let all = common::fixtures();
        let (name, text) = &all[file % all.len()];
        let mut s = common::parse(name, text);
        for d in &mut s.documents {
            if let Some(r) = &mut d.root {
                for (k, op, t) in &edits {
                    edit_nth(r, *k, *op, t);
                }
            }
            if wide {
                d.seq_indent = SeqIndent::Wide;
            }
        }
        // JSON writes the float 0.0 as 0, as Go does: compare numbers as numbers.
        let want: Vec<_> = s.documents.iter().map(|d| d.to_json().ok().map(numbers_as_f64)).collect();
        let out = s.to_text();
        let back = Stream::parse_file(name, &out).map_err(|e| TestCaseError::fail(format!("{name}: {e}\n{out}")))?;
        let got: Vec<_> = back.documents.iter().map(|d| d.to_json().ok().map(numbers_as_f64)).collect();
        prop_assert_eq!(got, want, "{}:\n{}", name, out);
        prop_assert_eq!(back.to_text(), out.clone(), "{} not stable:\n{}", name, out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Fixtures with random bytes changed: reading never panics, and what reads is written
    /// back to text that reads the same.
    #[test]
    fn damaged_fixtures_never_panic(
        file in 0usize..100,
        cuts in proptest::collection::vec((any::<usize>(), proptest::sample::select(&[" ", "\n", "-", ":", "#", "'", "\"", "[", "{", "}", "|", ">", "&", "*", "!", "\t", "é", "- ", ": ", ""][..])), 1..4),
    ) {
        let all = common::fixtures();
        let (name, text) = &all[file % all.len()];
        let mut text = text.clone();
        for (at, s) in &cuts {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if s.is_empty() {
                let end = (at + 1..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(at);
                text.replace_range(at..end, "");
            } else {
                text.insert_str(at, s);
            }
        }
        if let Ok(s) = Stream::parse_file(name, &text) {
            let out = s.to_text();
            let back = Stream::parse_file(name, &out).map_err(|e| TestCaseError::fail(format!("{e}\nfrom:\n{text}\nwrote:\n{out}")))?;
            // Documents without a node (comments or blank lines only) may merge or vanish; a
            // value JSON cannot hold (a collection as a key) is written as JSON can.
            let json = |s: &Stream| -> Vec<_> { s.documents.iter().filter(|d| d.root.is_some()).map(|d| d.to_json().ok().map(numbers_as_f64)).collect() };
            let want = json(&s);
            if want.iter().all(Option::is_some) {
                prop_assert_eq!(json(&back), want, "from:\n{}\nwrote:\n{}", text, out);
            }
        }
    }
}
