//! Unchanged input is written back byte for byte.

mod common;

use common::{first_difference, fixtures, parse, reference_events, stream_events};
use porch_krm::{Format, SeqIndent, Stream};

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    let mut failures = Vec::new();
    let all = fixtures();
    assert!(all.len() >= 20, "{} fixtures", all.len());
    for (name, text) in &all {
        let out = parse(name, text).to_text();
        if &out != text {
            failures.push(format!("{name}: {}", first_difference(text, &out)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn crlf_line_ends_round_trip() {
    for (name, text) in fixtures() {
        let crlf = text.replace('\n', "\r\n");
        let s = parse(&name, &crlf);
        assert!(s.crlf, "{name}");
        assert_eq!(s.to_text(), crlf, "{name}");
    }
}

#[test]
fn a_missing_final_line_break_stays_missing() {
    for (name, text) in fixtures() {
        let cut = text.strip_suffix('\n').unwrap();
        let out = parse(&name, cut).to_text();
        assert_eq!(out, cut, "{name}: {}", first_difference(cut, &out));
    }
}

#[test]
fn a_byte_order_mark_stays() {
    let text = format!("\u{feff}{}", common::fixture("kptfile-pipeline.yaml"));
    assert_eq!(Stream::parse(&text).unwrap().to_text(), text);
}

#[test]
fn values_agree_with_the_reference_parser() {
    let mut failures = Vec::new();
    for (name, text) in fixtures() {
        let want = reference_events(&text).unwrap_or_else(|e| panic!("{name}: reference parser: {e}"));
        let got = stream_events(&parse(&name, &text));
        if want != got {
            let i = want.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
            failures.push(format!("{name}: event {i}: want {:?} got {:?}", want.get(i), got.get(i)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn emitting_is_stable() {
    for (name, text) in fixtures() {
        let once = parse(&name, &text).to_text();
        let twice = parse(&name, &once).to_text();
        assert_eq!(once, twice, "{name}");
    }
}

#[test]
fn sequence_indentation_is_read_per_document() {
    let style = |name: &str| -> Vec<SeqIndent> {
        parse(name, &common::fixture(name)).documents.iter().map(|d| d.seq_indent).collect()
    };
    assert_eq!(style("deployment-compact.yaml"), [SeqIndent::Compact]);
    assert_eq!(style("deployment-wide.yaml"), [SeqIndent::Wide]);
    assert_eq!(style("kptfile-wide.yaml"), [SeqIndent::Wide]);
    assert_eq!(style("kptfile-pipeline.yaml"), [SeqIndent::Compact]);
    assert_eq!(style("statefulset-foot-comments.yaml"), [SeqIndent::Wide]);
    // No sequence decides: compact, as kyaml defaults.
    assert_eq!(style("unicode.yaml"), [SeqIndent::Compact]);
    assert_eq!(style("multi-doc.yaml"), [SeqIndent::Compact, SeqIndent::Compact, SeqIndent::Compact]);
}

#[test]
fn kyaml_text_heuristic_agrees_on_plain_manifests() {
    for name in
        ["deployment-compact.yaml", "deployment-wide.yaml", "kptfile-wide.yaml", "kptfile-pipeline.yaml"]
    {
        let text = common::fixture(name);
        let doc = &parse(name, &text).documents[0];
        assert_eq!(porch_krm::derive_seq_indent(&text), doc.seq_indent, "{name}");
    }
}

#[test]
fn json_files_stay_json() {
    for (name, text) in fixtures().into_iter().filter(|(n, _)| n.ends_with(".json")) {
        let s = parse(&name, &text);
        assert_eq!(s.documents.len(), 1);
        assert_eq!(s.documents[0].format, Format::Json);
        assert_eq!(s.to_text(), text, "{name}");
    }
}

/// Every fixture with its source text forgotten, so that all of it is written fresh.
fn regenerated(name: &str, text: &str) -> String {
    let mut s = parse(name, text);
    for d in &mut s.documents {
        if let Some(r) = &mut d.root {
            r.forget_source();
        }
    }
    s.to_text()
}

#[test]
fn written_fresh_the_fixtures_come_out_as_go_yaml_writes_them() {
    // These use only what go-yaml writes itself; the others use styles it does not write
    // (multi-line plain and quoted scalars, spaced flow collections, escapes it does not use).
    let not_go_yaml = [
        "configmap.json",
        "crd-descriptions.yaml",
        "job-scripts.yaml",
        "networkpolicy-flow.yaml",
        "pod.json",
        "rbac-flow.yaml",
        "secret-strings.yaml",
    ];
    for (name, text) in fixtures() {
        let out = regenerated(&name, &text);
        if not_go_yaml.contains(&name.as_str()) {
            assert_ne!(out, text, "{name}");
        } else {
            assert_eq!(out, text, "{name}: {}", first_difference(&text, &out));
        }
    }
}

#[test]
fn written_fresh_the_fixtures_read_back_the_same() {
    for (name, text) in fixtures() {
        let out = regenerated(&name, &text);
        let (a, b) = (parse(&name, &text), parse(&name, &out));
        for (x, y) in a.documents.iter().zip(&b.documents) {
            if let Ok(v) = x.to_json() {
                assert_eq!(y.to_json().unwrap(), v, "{name}");
            }
        }
        assert_eq!(reference_events(&out).unwrap(), stream_events(&b), "{name}");
    }
}
