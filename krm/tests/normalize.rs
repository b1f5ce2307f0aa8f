//! What cannot be written back byte for byte is normalized as kyaml normalizes it.

use porch_krm::{Error, Stream};

fn emit(text: &str) -> String {
    Stream::parse(text).unwrap_or_else(|e| panic!("{e}")).to_text()
}

#[test]
fn indentation_becomes_two_spaces() {
    assert_eq!(emit("a:\n    b:\n        c: 1\n    d: 2\n"), "a:\n  b:\n    c: 1\n  d: 2\n");
    // Four-space wide sequences decide nothing: compact, as kyaml's heuristic says.
    assert_eq!(emit("a:\n    - b\n    - c\n"), "a:\n- b\n- c\n");
}

#[test]
fn a_file_mixing_sequence_styles_takes_the_first_ones() {
    assert_eq!(emit("a:\n  - 1\nb:\n- 2\n"), "a:\n  - 1\nb:\n  - 2\n");
    assert_eq!(emit("a:\n- 1\nb:\n  - 2\n"), "a:\n- 1\nb:\n- 2\n");
}

#[test]
fn spacing_is_normalized() {
    assert_eq!(emit("a:   1\nb :\tx\nc:  \n-   d\n"), "a: 1\nb: x\nc:\n- d\n");
    assert_eq!(emit("a: 1   \nb: 2\t\nc: 3\t# tab\n"), "a: 1\nb: 2\nc: 3 # tab\n");
}

#[test]
fn comments_are_indented_as_their_node() {
    assert_eq!(emit("a:\n  b: 1\n# about c\n  c: 2\n"), "a:\n  b: 1\n  # about c\n  c: 2\n");
    assert_eq!(emit("a:\n  - x\n# - y\n  - z\n"), "a:\n  - x\n  # - y\n  - z\n");
}

#[test]
fn a_scalar_on_the_next_line_moves_up() {
    assert_eq!(emit("a:\n  value\nb:\n  \"quoted\"\n"), "a: value\nb: \"quoted\"\n");
    // With a comment between, it stays below.
    assert_eq!(emit("a:\n  # why\n  value\n"), "a:\n  # why\n  value\n");
}

#[test]
fn a_node_on_the_document_marker_line_moves_down() {
    assert_eq!(emit("--- text\n"), "---\ntext\n");
    assert_eq!(emit("--- {a: 1}\n"), "---\n{a: 1}\n");
}

#[test]
fn odd_block_scalar_indentation_is_kept_until_changed() {
    let text = "a: |\n      six spaces\n      here\nb: 1\n";
    assert_eq!(emit(text), text);
    let mut s = Stream::parse(text).unwrap();
    s.documents[0].root.as_mut().unwrap().set_string("a", "six spaces\nthere\n").unwrap();
    assert_eq!(s.to_text(), "a: |\n  six spaces\n  there\nb: 1\n");
}

#[test]
fn other_root_kinds() {
    for text in [
        "- a\n- b: 1\n  c: [x]\n",
        "just a string\n",
        "|\n  block\n",
        "[1, 2]\n",
        "&x a: 1\n",
        "&top\na: 1\n",
        "a: 1\n\n---\nb: 2\n",
        "---\n---\n",
        "a: 1\n---\n",
        "",
        "\n\n",
        "- - a\n  - b\n- - c\n",
        "a:\n- - x\n",
        "a: !!map\n  b: c\n",
        "a: &anchor\n- b\n",
        "- &i\n  a: 1\n- *i\n",
        "- # about\n  a: 1\n",
    ] {
        assert_eq!(emit(text), text, "{text:?}");
    }
}

#[test]
fn errors_point_at_the_line() {
    for (text, line, part) in [
        ("a: 1\n b: 2\n", 2, "mapping values are not allowed"),
        ("a: b: c\n", 1, "mapping values are not allowed"),
        ("a:\n  - x\n  y: 1\n", 3, ""),
        ("a: \"open\n", 2, "end of stream"),
        ("a: [1, 2\n", 2, "did not find expected"),
        ("? complex\n: value\n", 1, "complex"),
        ("a:\n\t- x\n", 2, "tab"),
        ("a: 1\n- b\n", 2, "document start"),
        ("a: \"\\q\"\n", 1, "escape"),
    ] {
        match Stream::parse(text) {
            Err(Error::Syntax { line: l, message, .. }) => {
                assert_eq!(l, line, "{text:?}: {message}");
                assert!(message.contains(part), "{text:?}: {message}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let e = Stream::parse("a: b: c\n").unwrap_err();
    assert!(e.to_string().starts_with("yaml: line 1: "), "{e}");
}

#[test]
fn comments_between_an_indicator_and_its_node_stay_there() {
    for text in [
        "-\n  # about a\n  a: 1\n",
        "- - x\n-\n  # about y\n  - y\n",
        "key:\n  # about the value\n  value # and a line comment\n",
        "key: # on the key\n  # above\n  value\n",
    ] {
        assert_eq!(emit(text), text, "{text:?}");
    }
}

#[test]
fn a_mapping_starts_at_its_first_keys_properties() {
    for text in ["&x a: 1\nb: 2\n", "- !t a:\n    b: 1\n  c: 2\n", "k:\n  &a x:\n    y: 1\n  z: 2\n"] {
        let s = Stream::parse(text).unwrap();
        assert_eq!(s.to_text(), text, "{text:?}");
    }
    let s = Stream::parse("k:\n  &a x:\n    y: 1\n  z: 2\n").unwrap();
    let k = s.documents[0].root.as_ref().unwrap().get("k").unwrap();
    assert_eq!(k.keys().collect::<Vec<_>>(), ["x", "z"]);
    assert_eq!(k.pair("x").unwrap().key.anchor.as_deref(), Some("a"));
}
