//! Edits change only what they touch: the exact text after each edit.

mod common;

use common::{fixture, parse};
use porch_krm::{Document, Node, SeqIndent, Stream, Style};

fn root(s: &mut Stream, doc: usize) -> &mut Node {
    s.documents[doc].root.as_mut().unwrap()
}

/// `text` with the line `old` replaced by `new` (which may be several lines or none).
fn replace_line(text: &str, old: &str, new: &str) -> String {
    let with = format!("\n{old}\n");
    assert_eq!(text.matches(&with).count(), 1, "{old:?}");
    let new = if new.is_empty() { "\n".to_string() } else { format!("\n{new}\n") };
    text.replacen(&with, &new, 1)
}

#[test]
fn a_replaced_scalar_keeps_its_line_comment() {
    let text = fixture("deployment-compact.yaml");
    let mut s = parse("d.yaml", &text);
    let spec = root(&mut s, 0).get_mut("spec").unwrap();
    let old = spec.set("replicas", Node::int(5)).unwrap().unwrap();
    assert_eq!(old.as_str(), Some("3"));
    let want =
        replace_line(&text, "  replicas: 3 # kpt-set: ${replicas}", "  replicas: 5 # kpt-set: ${replicas}");
    assert_eq!(s.to_text(), want);
}

#[test]
fn a_string_set_in_place_keeps_style_and_comment() {
    let text = fixture("deployment-compact.yaml");
    let mut s = parse("d.yaml", &text);
    let container = &mut root(&mut s, 0)
        .get_path_mut(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_sequence_mut()
        .unwrap()[0];
    container.set_string("image", "registry.example.com/storefront/frontend:1.9.0").unwrap();
    // A quoted value stays quoted.
    let env = &mut container.get_mut("env").unwrap().as_sequence_mut().unwrap()[1];
    env.set_string("value", "checkout-v3").unwrap();
    let want = replace_line(
        &text,
        "        image: registry.example.com/storefront/frontend:1.8.3 # kpt-set: ${image}",
        "        image: registry.example.com/storefront/frontend:1.9.0 # kpt-set: ${image}",
    );
    let want =
        replace_line(&want, "          value: \"checkout-v2,search\"", "          value: \"checkout-v3\"");
    assert_eq!(s.to_text(), want);
}

#[test]
fn adding_keys_quotes_what_would_change_type() {
    let text = fixture("kptfile-pipeline.yaml");
    let mut s = parse("Kptfile", &text);
    let annotations = root(&mut s, 0).get_path_mut(&["metadata", "annotations"]).unwrap();
    annotations.set_string("config.kubernetes.io/index", "0").unwrap();
    annotations.set_string("example.com/enabled", "true").unwrap();
    annotations.set_string("example.com/note", "owner: platform # team").unwrap();
    annotations.set_string("example.com/empty", "").unwrap();
    annotations.set_string("example.com/switch", "on").unwrap();
    annotations.set_string("example.com/plain", "just text").unwrap();
    let want = replace_line(
        &text,
        "    config.kubernetes.io/local-config: \"true\"",
        concat!(
            "    config.kubernetes.io/local-config: \"true\"\n",
            "    config.kubernetes.io/index: \"0\"\n",
            "    example.com/enabled: \"true\"\n",
            "    example.com/note: 'owner: platform # team'\n",
            "    example.com/empty: \"\"\n",
            "    example.com/switch: \"on\"\n",
            "    example.com/plain: just text"
        ),
    );
    assert_eq!(s.to_text(), want);
}

#[test]
fn removing_a_key_takes_its_comments_along() {
    let text = fixture("values-comments.yaml");
    let mut s = parse("values.yaml", &text);
    let image = root(&mut s, 0).get_mut("image").unwrap();
    let removed = image.remove("tag").unwrap();
    assert_eq!(removed.key.comments.head, ["# tag defaults to the chart's appVersion"]);
    let want = text.replace("  # tag defaults to the chart's appVersion\n  tag: \"\"\n", "");
    assert_eq!(s.to_text(), want);

    let mut s = parse("d.yaml", &fixture("deployment-compact.yaml"));
    root(&mut s, 0).get_mut("spec").unwrap().remove("revisionHistoryLimit").unwrap();
    assert_eq!(
        s.to_text(),
        replace_line(&fixture("deployment-compact.yaml"), "  revisionHistoryLimit: 5", "")
    );
}

#[test]
fn appending_follows_the_document_sequence_style() {
    let text = fixture("deployment-compact.yaml");
    let mut s = parse("d.yaml", &text);
    let c = &mut root(&mut s, 0)
        .get_path_mut(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_sequence_mut()
        .unwrap()[0];
    c.get_mut("args").unwrap().push(Node::string("--trace")).unwrap();
    let want =
        replace_line(&text, "        - --log-level=info", "        - --log-level=info\n        - --trace");
    assert_eq!(s.to_text(), want);

    let text = fixture("deployment-wide.yaml");
    let mut s = parse("d.yaml", &text);
    let tolerations = root(&mut s, 0).get_path_mut(&["spec", "template", "spec", "tolerations"]).unwrap();
    let mut t = Node::mapping();
    t.set_string("key", "spot").unwrap();
    t.set_string("operator", "Exists").unwrap();
    t.set("values", Node::sequence()).unwrap();
    t.get_mut("values").unwrap().push(Node::string("a")).unwrap();
    tolerations.push(t).unwrap();
    let want = format!(
        "{text}        - key: spot\n          operator: Exists\n          values:\n            - a\n"
    );
    assert_eq!(s.to_text(), want);
}

#[test]
fn a_new_mapping_is_created_on_demand() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm # the name\ndata:\n  a: b\n";
    let mut s = Stream::parse(text).unwrap();
    root(&mut s, 0)
        .mapping_entry("metadata")
        .unwrap()
        .mapping_entry("annotations")
        .unwrap()
        .set_string("internal.config.kubernetes.io/path", "cm.yaml")
        .unwrap();
    assert_eq!(
        s.to_text(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm # the name\n  annotations:\n    internal.config.kubernetes.io/path: cm.yaml\ndata:\n  a: b\n"
    );
}

#[test]
fn a_null_value_becomes_a_mapping_keeping_its_comment() {
    let text = fixture("empty-and-null.yaml");
    let mut s = parse("p.yaml", &text);
    let meta = root(&mut s, 0).get_mut("metadata").unwrap();
    meta.mapping_entry("annotations").unwrap().set_string("team", "sre").unwrap();
    let want = replace_line(
        &text,
        "  annotations: # filled in by the admission webhook",
        "  annotations: # filled in by the admission webhook\n    team: sre",
    );
    assert_eq!(s.to_text(), want);
}

#[test]
fn changed_multi_line_strings_become_literal_blocks() {
    let text = "data:\n  script: |\n    echo one\n  note: short\n";
    let mut s = Stream::parse(text).unwrap();
    let data = root(&mut s, 0).get_mut("data").unwrap();
    data.set_string("script", "echo one\necho two\n").unwrap();
    data.set_string("note", "first line\nsecond line").unwrap();
    data.set_string("trailing", "  indented first\nthen\n\n").unwrap();
    assert_eq!(
        s.to_text(),
        concat!(
            "data:\n  script: |\n    echo one\n    echo two\n",
            "  note: |-\n    first line\n    second line\n",
            "  trailing: |2+\n      indented first\n    then\n\n"
        )
    );
    // And they read back as the same strings.
    let back = Stream::parse(&s.to_text()).unwrap();
    let data = back.documents[0].root.as_ref().unwrap().get("data").unwrap();
    assert_eq!(data.get("note").unwrap().as_str(), Some("first line\nsecond line"));
    assert_eq!(data.get("trailing").unwrap().as_str(), Some("  indented first\nthen\n\n"));
}

#[test]
fn a_changed_flow_collection_is_written_on_one_line() {
    let text = fixture("rbac-flow.yaml");
    let mut s = parse("r.yaml", &text);
    let rules = root(&mut s, 0).get_mut("rules").unwrap().as_sequence_mut().unwrap();
    rules[0].get_mut("verbs").unwrap().push(Node::string("delete")).unwrap();
    rules[2].get_mut("verbs").unwrap().as_sequence_mut().unwrap()[0] = Node::string("get");
    let want = replace_line(
        &text,
        "  verbs: [\"get\", \"list\", \"watch\"]",
        "  verbs: [\"get\", \"list\", \"watch\", delete]",
    );
    let want = replace_line(&want, "  verbs: [ \"*\" ]", "  verbs: [get]");
    assert_eq!(s.to_text(), want);
}

#[test]
fn the_merge_comment_on_a_key_survives_replacing_its_value() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: # kpt-merge: ns/svc\n  name: svc\n";
    let mut s = Stream::parse(text).unwrap();
    let mut meta = Node::mapping();
    meta.set_string("name", "svc").unwrap();
    meta.set_string("namespace", "ns").unwrap();
    root(&mut s, 0).set("metadata", meta).unwrap();
    assert_eq!(
        s.to_text(),
        "apiVersion: v1\nkind: Service\nmetadata: # kpt-merge: ns/svc\n  name: svc\n  namespace: ns\n"
    );
    let key = root(&mut s, 0).pair("metadata").unwrap();
    assert_eq!(key.key.comments.line.as_deref(), Some("# kpt-merge: ns/svc"));
}

#[test]
fn switching_sequence_style_reindents_and_switching_back_restores() {
    for (name, other) in
        [("deployment-compact.yaml", SeqIndent::Wide), ("deployment-wide.yaml", SeqIndent::Compact)]
    {
        let text = fixture(name);
        let mut s = parse(name, &text);
        let original = s.documents[0].seq_indent;
        s.documents[0].seq_indent = other;
        let switched = s.to_text();
        assert_ne!(switched, text);
        let reread = parse(name, &switched);
        assert_eq!(reread.documents[0].seq_indent, other, "{name}");
        assert_eq!(reread.documents[0].to_json().unwrap(), s.documents[0].to_json().unwrap(), "{name}");
        s.documents[0].seq_indent = original;
        assert_eq!(s.to_text(), text, "{name}");
    }
    let mut s = Stream::parse("a:\n- b\n- c: d\n  e:\n  - f\n").unwrap();
    s.documents[0].seq_indent = SeqIndent::Wide;
    assert_eq!(s.to_text(), "a:\n  - b\n  - c: d\n    e:\n      - f\n");
}

#[test]
fn documents_built_from_scratch() {
    let mut cm = Node::mapping();
    cm.set_string("apiVersion", "v1").unwrap();
    cm.set_string("kind", "ConfigMap").unwrap();
    cm.mapping_entry("metadata").unwrap().set_string("name", "generated").unwrap();
    let data = cm.mapping_entry("data").unwrap();
    data.set_string("replicas", "3").unwrap();
    data.set("list", Node::sequence()).unwrap();
    data.set("empty", Node::mapping()).unwrap();
    data.set("count", Node::int(3)).unwrap();
    data.set("ratio", Node::float(0.5)).unwrap();
    data.set("flag", Node::bool(false)).unwrap();
    data.set("nothing", Node::null()).unwrap();
    let mut flow = Node::sequence();
    flow.style = Style::Flow;
    flow.push(Node::string("a b")).unwrap();
    flow.push(Node::string("c,d")).unwrap();
    data.set("flow", flow).unwrap();
    let mut first = Node::string("x").with_line_comment("kpt-set: ${x}");
    first.comments.head = vec!["# the x".into()];
    data.set("x", first).unwrap();
    let mut a = Document::new(cm.clone());
    a.head = vec!["# generated".into(), String::new()];
    let b = Document::new(Node::string("plain"));
    let s = Stream::new(vec![a, b]);
    assert_eq!(
        s.to_text(),
        concat!(
            "# generated\n\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: generated\ndata:\n",
            "  replicas: \"3\"\n  list: []\n  empty: {}\n  count: 3\n  ratio: 0.5\n  flag: false\n  nothing: null\n",
            "  flow: [a b, 'c,d']\n",
            "  # the x\n  x: x # kpt-set: ${x}\n",
            "---\nplain\n"
        )
    );
}
