//! Fixture loading and the reference parser the tests compare with.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use porch_krm::{Content, Node, Stream};

/// `(file name, text)` of every fixture, sorted by name.
pub fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("read fixture"))
        })
        .collect();
    out.sort();
    out
}

pub fn fixture(name: &str) -> String {
    fixtures().into_iter().find(|(n, _)| n == name).map(|(_, t)| t).expect("fixture")
}

/// Parses a fixture by its name (JSON for `.json`).
pub fn parse(name: &str, text: &str) -> Stream {
    Stream::parse_file(name, text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The first line where two texts differ, for failure messages.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split('\n').collect(), got.split('\n').collect());
    for i in 0..w.len().max(g.len()) {
        if w.get(i) != g.get(i) {
            return format!("line {}:\n  want {:?}\n  got  {:?}", i + 1, w.get(i), g.get(i));
        }
    }
    "no difference".into()
}

/// Node events: what a YAML parser reports, without presentation.
#[derive(Debug, PartialEq, Clone)]
pub enum Ev {
    MapStart,
    MapEnd,
    SeqStart,
    SeqEnd,
    Scalar(String),
    Alias,
}

pub fn node_events(node: &Node, out: &mut Vec<Ev>) {
    match &node.content {
        // The reference parser reports an empty plain scalar as `~`.
        Content::Scalar(v) if v.is_empty() && node.style == porch_krm::Style::Plain => {
            out.push(Ev::Scalar("~".into()))
        }
        Content::Scalar(v) => out.push(Ev::Scalar(v.clone())),
        Content::Alias(_) => out.push(Ev::Alias),
        Content::Mapping(pairs) => {
            out.push(Ev::MapStart);
            for p in pairs {
                node_events(&p.key, out);
                node_events(&p.value, out);
            }
            out.push(Ev::MapEnd);
        }
        Content::Sequence(items) => {
            out.push(Ev::SeqStart);
            items.iter().for_each(|i| node_events(i, out));
            out.push(Ev::SeqEnd);
        }
    }
}

pub fn stream_events(stream: &Stream) -> Vec<Ev> {
    let mut out = Vec::new();
    for d in &stream.documents {
        if let Some(r) = &d.root {
            node_events(r, &mut out);
        }
    }
    out
}

/// The events granit-parser (serde-saphyr's YAML 1.2 parser) reports for `text`.
pub fn reference_events(text: &str) -> Result<Vec<Ev>, String> {
    use serde_saphyr::granit_parser::{Event, Parser};
    let mut out = Vec::new();
    for ev in Parser::new_from_str(text) {
        let (ev, _) = ev.map_err(|e| e.to_string())?;
        out.push(match ev {
            Event::MappingStart(..) => Ev::MapStart,
            Event::MappingEnd => Ev::MapEnd,
            Event::SequenceStart(..) => Ev::SeqStart,
            Event::SequenceEnd => Ev::SeqEnd,
            Event::Scalar(v, ..) => Ev::Scalar(v.into_owned()),
            Event::Alias(_) => Ev::Alias,
            _ => continue,
        });
    }
    Ok(out)
}
