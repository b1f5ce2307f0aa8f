//! Conversion to and from `serde_json::Value`, merging values back, and JSON files.

mod common;

use common::{first_difference, fixture, fixtures, parse};
use porch_krm::{Node, Stream};
use serde_json::{Value, json};

fn doc_json(name: &str, doc: usize) -> Value {
    parse(name, &fixture(name)).documents[doc].to_json().unwrap()
}

#[test]
fn scalars_resolve_as_go_yaml_v3_reads_them() {
    let v = doc_json("types.yaml", 0);
    let spec = &v["spec"];
    let want = json!({
        "int": 42, "negative": -17, "hex": 31, "octal": 15, "legacy-octal": 420,
        "float": 2.75, "exponent": 1500.0,
        "bool-true": true, "bool-title": true, "bool-false": false,
        "yes-plain": "yes", "on-plain": "on",
        "quoted-int": "42", "quoted-bool": "true",
        "version": 1.2, "semver": "1.20.3",
        "date": "2024-05-01", "timestamp": "2024-05-01T12:30:00Z",
        "explicit-string": "123", "explicit-int": 7,
        "big": 18446744073709551615u64, "too-big": 1.2345678901234568e29,
        "url": "http://example.com:8080/path?q=1#frag",
        "windows-path": "C:\\Program Files\\App",
        "percent": "50%", "at-sign": "user@example.com", "plus": 1, "dot-version": 0.5,
        "empty-string": "", "single-space": " ",
    });
    for (k, w) in want.as_object().unwrap() {
        assert_eq!(&spec[k], w, "{k}");
    }
    assert!(
        spec["binary"]
            .as_str()
            .unwrap()
            .starts_with("R0lGODlhDAAMAIQAAP//9/X17unp5WZmZgAAAOfn515eXvPz7Y6OjuDg4J+fn5\nOTk6")
    );
}

#[test]
fn nulls_and_empty_collections() {
    let v = doc_json("empty-and-null.yaml", 0);
    assert_eq!(v["metadata"]["labels"], Value::Null);
    assert_eq!(v["metadata"]["annotations"], Value::Null);
    assert_eq!(v["spec"]["nodeName"], Value::Null);
    assert_eq!(v["spec"]["hostname"], Value::Null);
    assert_eq!(v["spec"]["subdomain"], Value::Null);
    assert_eq!(v["spec"]["initContainers"], json!([]));
    assert_eq!(v["spec"]["dnsConfig"], json!({}));
    assert_eq!(v["spec"]["containers"][0]["command"], json!([null, "sh"]));
}

#[test]
fn strings_keep_their_exact_text() {
    let v = doc_json("secret-strings.yaml", 0);
    let d = &v["stringData"];
    assert_eq!(d["quote"], "it's \"quoted\"");
    assert_eq!(d["escaped"], "line one\nline two\ttabbed é A");
    assert_eq!(d["hash"], "a#b");
    assert_eq!(d["octal"], "0755");
    assert_eq!(d["null-word"], "null");
    assert_eq!(d["tilde"], "~");
    let v = doc_json("configmap-literal.yaml", 0);
    let d = &v["data"];
    assert_eq!(d["nginx.conf"].as_str().unwrap().lines().count(), 7);
    assert!(!d["nginx.conf"].as_str().unwrap().ends_with('\n'));
    assert_eq!(d["motd"], "Welcome to the storefront.\n\n");
    assert_eq!(d["indented.txt"], "  two extra spaces at the start of this line\nand none here\n");
    assert!(d["app.yaml"].as_str().unwrap().contains("write: 10s\n\nfeatures:\n"));
    let v = doc_json("crd-descriptions.yaml", 0);
    let props = &v["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
    assert_eq!(
        props["kind"]["description"],
        "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to."
    );
    assert_eq!(
        props["spec"]["description"],
        "BackupSpec says what to back up and how long to keep it. The controller fills in status.\nChanging the spec of a finished backup has no effect."
    );
    assert_eq!(
        props["spec"]["properties"]["retention"]["description"],
        "How long to keep the backup, as a duration such as \"72h\".\nZero keeps it forever."
    );
    assert_eq!(props["spec"]["properties"]["storageClass"]["enum"], json!(["standard", "null", "archive"]));
}

#[test]
fn aliases_and_merge_keys_expand() {
    let v = doc_json("anchors.yaml", 0);
    assert_eq!(v["data"]["primary"], json!({"timeout": "10s", "retries": "3"}));
    assert_eq!(v["data"]["replica"], json!({"timeout": "30s", "retries": "3"}));
    assert_eq!(v["data"]["labels-copy"], json!({"app": "storefront", "tier": "shared"}));
    assert_eq!(v["data"]["more-hosts"], json!(["shop.example.com", "www.example.com"]));
}

#[test]
fn values_written_from_json_read_back_the_same() {
    let value = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "from-json", "labels": {"tier": "1", "enabled": "true"}},
        "data": {
            "one": "1", "float": "1.5", "bool": "false", "null": "null", "tilde": "~", "empty": "",
            "yes": "yes", "colon": "a: b", "dash": "- a", "hash": "a #b", "star": "*x", "space": " x",
            "multi": "line 1\nline 2\n", "tab": "a\tb", "quote": "it's", "unicode": "日本",
        },
        "numbers": [1, -2, 2.5, 1e100, 18446744073709551615u64],
        "bools": [true, false, null],
        "nested": [{"a": [{"b": []}]}, [], {}],
    });
    let node = Node::from_json(&value);
    let text = porch_krm::Document::new(node.clone()).to_text();
    let back = Stream::parse(&text).unwrap();
    assert_eq!(back.documents[0].to_json().unwrap(), value, "{text}");
    assert!(text.contains("  one: \"1\"\n"), "{text}");
    assert!(text.contains("  colon: 'a: b'\n"), "{text}");
    assert!(text.contains("  multi: |\n    line 1\n    line 2\n"), "{text}");
    assert!(text.contains("  tab: \"a\\tb\"\n"), "{text}");
    assert!(text.contains("  \"yes\": \"yes\"\n"), "{text}");
    assert!(text.contains("nested:\n- a:\n  - b: []\n- []\n- {}\n"), "{text}");
}

#[test]
fn merging_an_unchanged_value_changes_no_byte() {
    for (name, text) in fixtures() {
        let mut s = parse(&name, &text);
        for d in &mut s.documents {
            let Ok(v) = d.to_json() else { continue };
            d.merge_from_json(&v).unwrap();
        }
        let out = s.to_text();
        assert_eq!(out, text, "{name}: {}", first_difference(&text, &out));
    }
}

#[test]
fn merging_changes_only_what_differs() {
    let text = fixture("deployment-compact.yaml");
    let mut s = parse("d.yaml", &text);
    let doc = &mut s.documents[0];
    let mut v = doc.to_json().unwrap();
    v["spec"]["replicas"] = json!(4);
    v["metadata"]["labels"]["team"] = json!("storefront");
    v["metadata"]["annotations"]
        .as_object_mut()
        .unwrap()
        .shift_remove("internal.kpt.dev/upstream-identifier");
    v["metadata"]["annotations"]["config.kubernetes.io/index"] = json!("0");
    let c = &mut v["spec"]["template"]["spec"]["containers"][0];
    c["image"] = json!("registry.example.com/storefront/frontend:1.9.0");
    c["env"][1]["value"] = json!("search");
    c["ports"].as_array_mut().unwrap().remove(0);
    c["args"].as_array_mut().unwrap().insert(0, json!("--profile"));
    doc.merge_from_json(&v).unwrap();
    let mut want = text.clone();
    for (old, new) in [
        ("  replicas: 3 # kpt-set: ${replicas}", "  replicas: 4 # kpt-set: ${replicas}"),
        ("    app: frontend\n  annotations:", "    app: frontend\n    team: storefront\n  annotations:"),
        (
            "    internal.kpt.dev/upstream-identifier: apps|Deployment|storefront|frontend\n",
            "    config.kubernetes.io/index: \"0\"\n",
        ),
        ("frontend:1.8.3 # kpt-set", "frontend:1.9.0 # kpt-set"),
        ("value: \"checkout-v2,search\"", "value: \"search\""),
        ("        - name: http\n          containerPort: 8080\n          protocol: TCP\n", ""),
        ("        args:\n        - --port", "        args:\n        - --profile\n        - --port"),
    ] {
        assert_eq!(want.matches(old).count(), 1, "{old}");
        want = want.replace(old, new);
    }
    let out = s.to_text();
    assert_eq!(out, want, "{}", first_difference(&want, &out));
    assert_eq!(parse("d.yaml", &out).documents[0].to_json().unwrap(), v);
}

#[test]
fn merging_a_type_change_keeps_the_comments() {
    let mut s = Stream::parse("a: 1 # one\nb: \"2\"\nc: [x] # list\nd: text\n").unwrap();
    s.documents[0].merge_from_json(&json!({"a": "1", "b": 2, "c": {"k": "v"}, "d": "text"})).unwrap();
    assert_eq!(s.to_text(), "a: \"1\" # one\nb: 2\nc: # list\n  k: v\nd: text\n");
}

#[test]
fn json_files_are_written_as_json_after_edits() {
    let text = fixture("pod.json");
    let mut s = parse("pod.json", &text);
    let doc = &mut s.documents[0];
    let mut v = doc.to_json().unwrap();
    v["metadata"]["labels"]["owner"] = json!("a<b> & c");
    v["spec"]["containers"][0]["args"] = json!(["--verbose"]);
    v["metadata"]["annotations"]["count"] = json!(2.5);
    doc.merge_from_json(&v).unwrap();
    let want = text
        .replace(
            "\"tier\": \"backend\"\n",
            "\"tier\": \"backend\",\n      \"owner\": \"a\\u003cb\\u003e \\u0026 c\"\n",
        )
        .replace(
            "\"args\": [\n          \"--verbose\",\n          \"--threshold=0.75\"\n        ]",
            "\"args\": [\n          \"--verbose\"\n        ]",
        )
        .replace("\"empty\": \"\"\n", "\"empty\": \"\",\n      \"count\": 2.5\n");
    let out = s.to_text();
    assert_eq!(out, want, "{}", first_difference(&want, &out));
    assert_eq!(Stream::parse_json(&out).unwrap().documents[0].to_json().unwrap(), v);
}

#[test]
fn json_is_reindented_with_two_spaces() {
    let text = "{\"kind\": \"ConfigMap\", \"data\": {\"a\": \"1\", \"b\": [1, 2.0, true, null]},\n    \"metadata\": {}}";
    let s = Stream::parse_json(text).unwrap();
    assert_eq!(
        s.to_text(),
        "{\n  \"kind\": \"ConfigMap\",\n  \"data\": {\n    \"a\": \"1\",\n    \"b\": [\n      1,\n      2.0,\n      true,\n      null\n    ]\n  },\n  \"metadata\": {}\n}"
    );
    // A YAML document turned to JSON is written as Go writes it.
    let mut y = Stream::parse("a: 0x10\nb: 1.0\nc: 'x'\nd: ~\ne: [yes, True]\n").unwrap();
    y.documents[0].format = porch_krm::Format::Json;
    assert_eq!(
        y.to_text(),
        "{\n  \"a\": 16,\n  \"b\": 1.0,\n  \"c\": \"x\",\n  \"d\": null,\n  \"e\": [\n    \"yes\",\n    true\n  ]\n}\n"
    );
}

#[test]
fn infinity_is_not_json() {
    let s = Stream::parse("a: .inf\n").unwrap();
    assert!(s.documents[0].to_json().is_err());
    let s = Stream::parse("a: *nope\n").unwrap();
    assert_eq!(s.documents[0].to_json().unwrap_err(), porch_krm::Error::UnknownAnchor("nope".into()));
}

#[test]
fn keys_sort_as_go_writes_a_map() {
    let mut s = Stream::parse_json("{\"kind\": \"A\", \"apiVersion\": \"v1\", \"b\": {\"z\": 1, \"Z\": 2, \"a\": [{\"y\": 1, \"x\": 2}]}}\n").unwrap();
    s.documents[0].root.as_mut().unwrap().sort_keys();
    assert_eq!(
        s.to_text(),
        "{\n  \"apiVersion\": \"v1\",\n  \"b\": {\n    \"Z\": 2,\n    \"a\": [\n      {\n        \"x\": 2,\n        \"y\": 1\n      }\n    ],\n    \"z\": 1\n  },\n  \"kind\": \"A\"\n}\n"
    );
}
