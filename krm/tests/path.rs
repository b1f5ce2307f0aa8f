//! Field paths: splitting as kyaml does, lookups, creation, and matching every node a path
//! reaches, on a Deployment-like document.

use porch_krm::{Node, NodeKind, Path, PathError, Segment, Stream};

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the name
  annotations:
    config.kubernetes.io/local-config: \"false\"
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
        args: [--port, \"8080\"]
      - name: app-sidecar
        image: proxy:2
      - name: logger
        image: log:3
";

fn doc() -> Stream {
    Stream::parse(DEPLOYMENT).unwrap()
}

fn root(stream: &mut Stream) -> &mut Node {
    stream.documents[0].root.as_mut().unwrap()
}

fn path(text: &str) -> Path {
    Path::parse(text).unwrap()
}

#[test]
fn splits_at_dots_but_not_inside_brackets_or_after_a_backslash() {
    let field = |s: &str| Segment::Field(s.into());
    assert_eq!(
        path("spec.template.spec.containers.[name=com.example.app].image").segments(),
        [
            field("spec"),
            field("template"),
            field("spec"),
            field("containers"),
            Segment::Match { field: "name".into(), value: "com.example.app".into() },
            field("image"),
        ]
    );
    assert_eq!(
        path("metadata.annotations.[config.kubernetes.io/local-config]").segments(),
        [field("metadata"), field("annotations"), field("config.kubernetes.io/local-config")]
    );
    assert_eq!(path(r"data.a\.b").segments(), [field("data"), field("a.b")]);
    assert_eq!(path(".a..b").segments(), [field("a"), field("b")], "a leading dot and empty segments");
    assert_eq!(
        path("args.[=--port]").segments()[1],
        Segment::Match { field: String::new(), value: "--port".into() }
    );
    assert_eq!(path("items.0.x").segments()[1], Segment::Index(0));
    assert_eq!(path("items.-").segments()[1], Segment::Append);
    assert_eq!(path("items.*.x").segments()[1], Segment::Wildcard);
    assert_eq!(Path::parse("a.[b]"), Err(PathError::NotAnElementMatch), "brackets without = or a dot");
}

#[test]
fn lookup_finds_one_node_with_exact_element_matches() {
    let mut stream = doc();
    let root = root(&mut stream);
    let image = |p: &str| root.lookup(&path(p)).unwrap().and_then(Node::as_str).map(str::to_string);
    assert_eq!(image("spec.template.spec.containers.[name=app].image").as_deref(), Some("app:1"));
    assert_eq!(image("spec.template.spec.containers.2.image").as_deref(), Some("log:3"));
    assert_eq!(image("spec.template.spec.containers.[name=app].args.[=8080]").as_deref(), Some("8080"));
    assert_eq!(image("metadata.annotations.[config.kubernetes.io/local-config]").as_deref(), Some("false"));
    assert_eq!(image("spec.template.spec.containers.[name=ap].image"), None, "exact, not a pattern");
    assert_eq!(image("spec.template.spec.containers.7.image"), None);
    assert_eq!(image("spec.missing.field"), None);
    assert_eq!(root.lookup(&path("spec.template.spec.containers.*.image")), Err(PathError::WildcardInLookup));
    assert_eq!(root.lookup(&path("spec.template.spec.containers.-1")), Err(PathError::NegativeIndex(-1)));
    assert!(matches!(root.lookup(&path("metadata.0")), Err(PathError::WrongKind { .. })));
}

#[test]
fn lookup_or_create_makes_what_each_next_segment_needs() {
    let mut stream = doc();
    let root = root(&mut stream);
    let tolerations = root
        .lookup_or_create(&path("spec.template.spec.tolerations.[key=gpu].effect"), NodeKind::Scalar)
        .unwrap();
    tolerations.set_str_value("NoSchedule");
    let env = root
        .lookup_or_create(&path("spec.template.spec.containers.[name=app].env.-"), NodeKind::Mapping)
        .unwrap();
    env.set_string("name", "MODE").unwrap();
    // An existing node is returned as it is.
    let name = root.lookup_or_create(&path("metadata.name"), NodeKind::Scalar).unwrap();
    assert_eq!(name.as_str(), Some("web"));
    let err = root.lookup_or_create(&path("spec.template.spec.containers.5"), NodeKind::Scalar).unwrap_err();
    assert_eq!(err, PathError::IndexOutOfRange { index: 5, len: 3 });
    let text = stream.to_text();
    assert!(text.contains("      tolerations:\n      - key: gpu\n        effect: NoSchedule\n"), "{text}");
    assert!(
        text.contains("        args: [--port, \"8080\"]\n        env:\n        - name: MODE\n"),
        "{text}"
    );
    assert!(text.contains("  name: web # the name\n"), "untouched lines keep their comments: {text}");
}

#[test]
fn visit_path_reaches_every_match_with_kyaml_patterns() {
    let mut stream = doc();
    let root = root(&mut stream);
    let mut seen = Vec::new();
    let n = root
        .visit_path::<PathError>(&path("spec.template.spec.containers.[name=app].image"), None, &mut |node| {
            seen.push(node.as_str().unwrap_or_default().to_string());
            node.set_str_value("new:9");
            Ok(())
        })
        .unwrap();
    // kyaml searches the pattern unanchored: `app` also matches `app-sidecar`.
    assert_eq!((n, seen), (2, vec!["app:1".to_string(), "proxy:2".to_string()]));
    let anchored = root
        .visit_path::<PathError>(&path("spec.template.spec.containers.[name=^app$].image"), None, &mut |_| {
            Ok(())
        })
        .unwrap();
    assert_eq!(anchored, 1);
    let every = root
        .visit_path::<PathError>(&path("spec.template.spec.containers.*.name"), None, &mut |_| Ok(()))
        .unwrap();
    assert_eq!(every, 3);
    let none = root
        .visit_path::<PathError>(&path("spec.template.spec.containers.*.ports"), None, &mut |_| Ok(()))
        .unwrap();
    assert_eq!(none, 0, "missing fields match nothing without create");
    let through_scalar =
        root.visit_path::<PathError>(&path("metadata.name.x"), None, &mut |_| Ok(())).unwrap();
    assert_eq!(through_scalar, 0);
    let bad =
        root.visit_path::<PathError>(&path("spec.template.spec.containers.[name=(]"), None, &mut |_| Ok(()));
    assert!(matches!(bad, Err(PathError::Regex(_))), "{bad:?}");
    let text = stream.to_text();
    assert!(
        text.contains("      - name: app\n        image: new:9\n        args: [--port, \"8080\"]\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "      - name: app-sidecar\n        image: new:9\n      - name: logger\n        image: log:3\n"
        ),
        "{text}"
    );
}

#[test]
fn visit_path_creates_fields_elements_and_appended_indexes() {
    let mut stream = doc();
    let root = root(&mut stream);
    let set = |value: &'static str| {
        move |node: &mut Node| -> Result<(), PathError> {
            node.set_str_value(value);
            Ok(())
        }
    };
    let create = Some(NodeKind::Scalar);
    let n = root.visit_path(&path("metadata.labels.tier"), create, &mut set("web")).unwrap();
    assert_eq!(n, 1);
    let n = root
        .visit_path(&path("spec.template.spec.containers.[name=db].image"), create, &mut set("db:1"))
        .unwrap();
    assert_eq!(n, 1, "no element matched: one is appended");
    let n = root
        .visit_path(&path("spec.template.spec.containers.[name=db].args.0"), create, &mut set("--fast"))
        .unwrap();
    assert_eq!(n, 1, "index one past the end is appended");
    let text = stream.to_text();
    assert!(
        text.contains(
            "  annotations:\n    config.kubernetes.io/local-config: \"false\"\n  labels:\n    tier: web\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("      - name: db\n        image: db:1\n        args:\n        - --fast\n"),
        "{text}"
    );
}
