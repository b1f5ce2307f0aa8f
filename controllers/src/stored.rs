//! Objects as the API server holds them, which may no longer decode into their Rust type (written
//! by an older version, or before the server checked types on write).
//!
//! Reads through `Api<Stored<K>>` — gets, lists, watches — never fail on such an object: each one
//! decodes on its own, into `K` or into an [`Undecodable`] that names the field, with its
//! metadata kept as far as it decodes, so one bad object is reported and skipped instead of
//! failing the whole list. This also keeps kube-client from writing the response body into the
//! log: it does that, at WARN, whenever a response does not decode into the requested type, and
//! for a Secret the body holds its data.
//!
//! An [`Undecodable`] names the field and the JSON type found there, never the value: the value
//! may be a secret.
//!
//! Objects are read without `metadata.managedFields`: nothing in this server reads them, a write
//! that sends none keeps them (as kube-apiserver does), and decoding them — a tree of `Value`s
//! per entry — was half the time of decoding a PackageRev (three lists of every PackageRev are
//! decoded when the server starts).

use std::borrow::Cow;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

/// Why a stored object does not decode: the field, and what is wrong with it, worded as
/// kube-apiserver words a field error (`spec.deployment: Invalid value: "string": expected a
/// boolean`). Holds no value of the object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail}")]
pub struct Undecodable {
    /// The path of the field (`spec.git.branch`; `.` for the object itself).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

/// An object of kind `K` as stored: decoded, or [`Undecodable`] with the metadata that decodes.
#[derive(Clone)]
pub struct Stored<K>(Result<K, Bad>);

#[derive(Clone)]
struct Bad {
    metadata: ObjectMeta,
    error: Undecodable,
    /// The object as stored (never logged: it may be a Secret).
    value: Value,
}

impl<K> Stored<K> {
    /// A decoded object.
    pub fn new(object: K) -> Self {
        Self(Ok(object))
    }

    /// The object, or why it does not decode.
    pub fn object(&self) -> Result<&K, &Undecodable> {
        self.0.as_ref().map_err(|bad| &bad.error)
    }

    /// The object, or why it does not decode.
    pub fn into_object(self) -> Result<K, Undecodable> {
        self.0.map_err(|bad| bad.error)
    }

    /// For an undecodable object, its top-level field `key` (such as `status`) as `T`, if that
    /// part decodes; `None` for a decoded object (read [`object`](Self::object) instead).
    pub fn undecodable_part<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bad = self.0.as_ref().err()?;
        T::deserialize(bad.value.get(key)?).ok()
    }
}

impl<K: Resource<DynamicType = ()>> Stored<K> {
    /// `<Kind> <namespace>/<name>` (or `<Kind> <name>`), for messages.
    pub fn describe(&self) -> String {
        let meta = self.meta();
        let name = meta.name.as_deref().unwrap_or_default();
        match meta.namespace.as_deref() {
            Some(ns) => format!("{} {ns}/{name}", K::kind(&())),
            None => format!("{} {name}", K::kind(&())),
        }
    }
}

impl<K: Resource<DynamicType = ()> + DeserializeOwned> Stored<K> {
    /// Decodes `value` into `K`, or keeps why it does not decode. The path of a failure is
    /// found by decoding again with the path tracked, so a good object pays for one plain decode.
    pub fn from_value(value: Value) -> Self {
        if let Ok(object) = K::deserialize(&value) {
            return Self(Ok(object));
        }
        match serde_path_to_error::deserialize::<_, K>(&value) {
            Ok(object) => Self(Ok(object)),
            Err(e) => {
                let error = undecodable(&value, e.path(), &e.inner().to_string());
                Self(Err(Bad { metadata: lenient_meta(value.get("metadata")), error, value }))
            }
        }
    }
}

impl<K: Resource<DynamicType = ()>> fmt::Debug for Stored<K> {
    /// Names the object only: a Secret's data must never reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(_) => write!(f, "Stored({})", self.describe()),
            Err(bad) => write!(f, "Stored({}, undecodable: {})", self.describe(), bad.error),
        }
    }
}

impl<K: Resource<DynamicType = ()>> Resource for Stored<K> {
    type DynamicType = ();
    type Scope = K::Scope;

    fn kind(dt: &()) -> Cow<'_, str> {
        K::kind(dt)
    }

    fn group(dt: &()) -> Cow<'_, str> {
        K::group(dt)
    }

    fn version(dt: &()) -> Cow<'_, str> {
        K::version(dt)
    }

    fn plural(dt: &()) -> Cow<'_, str> {
        K::plural(dt)
    }

    fn meta(&self) -> &ObjectMeta {
        match &self.0 {
            Ok(object) => object.meta(),
            Err(bad) => &bad.metadata,
        }
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        match &mut self.0 {
            Ok(object) => object.meta_mut(),
            Err(bad) => &mut bad.metadata,
        }
    }
}

impl<'de, K: Resource<DynamicType = ()> + DeserializeOwned> Deserialize<'de> for Stored<K> {
    /// Fails only on input that is not JSON at all; anything else is an object, decodable or not.
    /// The object's text is decoded into `K` directly; only one that does not decode is read
    /// again as a [`Value`] to find the field (lists of thousands of objects decode at start).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let lean = without_managed_fields(raw.get());
        let text = lean.as_deref().unwrap_or(raw.get());
        if let Ok(object) = serde_json::from_str::<K>(text) {
            return Ok(Self(Ok(object)));
        }
        serde_json::from_str::<Value>(text).map(Self::from_value).map_err(serde::de::Error::custom)
    }
}

/// The fields of a JSON object in their order, each value as its text. Keys are borrowed: an
/// object with an escaped key does not read this way.
struct RawFields<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = RawFields<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry()? {
                    fields.push(field);
                }
                Ok(RawFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// Writes the object of `fields` into `out`, leaving out the field named `skip` and replacing
/// the value of `metadata` with `meta`.
fn write_object(out: &mut String, fields: &[(&str, &RawValue)], skip: Option<&str>, meta: Option<&str>) {
    out.push('{');
    let mut first = true;
    for (key, value) in fields.iter().filter(|(key, _)| Some(*key) != skip) {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        // A borrowed key held no escape: it is written back as it was.
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        out.push_str(match (*key, meta) {
            ("metadata", Some(meta)) => meta,
            _ => value.get(),
        });
    }
    out.push('}');
}

/// The object `text` without `metadata.managedFields`; `None` when it has none (or its shape is
/// not one this reads: the object is then decoded as it is).
fn without_managed_fields(text: &str) -> Option<String> {
    if !text.contains("\"managedFields\"") {
        return None;
    }
    let top: RawFields<'_> = serde_json::from_str(text).ok()?;
    let metadata = top.0.iter().find(|(key, _)| *key == "metadata")?.1;
    let meta: RawFields<'_> = serde_json::from_str(metadata.get()).ok()?;
    let mut lean_meta = String::with_capacity(metadata.get().len());
    write_object(&mut lean_meta, &meta.0, Some("managedFields"), None);
    let mut out = String::with_capacity(text.len());
    write_object(&mut out, &top.0, None, Some(&lean_meta));
    Some(out)
}

impl<K: Serialize> Serialize for Stored<K> {
    /// Serializes a decoded object; an undecodable one cannot be written back.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(object) => object.serialize(serializer),
            Err(bad) => Err(serde::ser::Error::custom(format!("the object does not decode: {}", bad.error))),
        }
    }
}

/// The JSON type of `value`, as kube-apiserver names it in field errors.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The value at `path` in `root`, if the path leads to one.
fn value_at<'v>(root: &'v Value, path: &serde_path_to_error::Path) -> Option<&'v Value> {
    path.iter().try_fold(root, |v, segment| match segment {
        Segment::Seq { index } => v.get(*index),
        Segment::Map { key } => v.get(key.as_str()),
        Segment::Enum { .. } | Segment::Unknown => None,
    })
}

/// The `expected …` part of a serde message (`invalid type: string "x", expected a boolean`),
/// which comes from the Rust type, never from the value.
fn expected(message: &str) -> Option<&str> {
    let at = message.rfind(", expected ")?;
    Some(&message[at + 2..])
}

/// The field error for a decode failure at `path` with serde's `message`, without the value the
/// message may quote.
fn undecodable(root: &Value, path: &serde_path_to_error::Path, message: &str) -> Undecodable {
    let at = path.to_string();
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if at == "." { name.to_string() } else { format!("{at}.{name}") };
        return Undecodable { field, detail: "Required value".into() };
    }
    let found = value_at(root, path).map_or("unknown", json_type);
    let why = match message {
        m if m.starts_with("invalid type: ")
            || m.starts_with("invalid value: ")
            || m.starts_with("unknown variant ")
            || m.starts_with("invalid length ") =>
        {
            expected(m).unwrap_or("cannot be decoded")
        }
        _ => "cannot be decoded",
    };
    Undecodable { field: at, detail: format!("Invalid value: \"{found}\": {why}") }
}

/// The metadata of an undecodable object, as far as it decodes: fields that do not decode are
/// dropped one at a time until the rest does.
fn lenient_meta(metadata: Option<&Value>) -> ObjectMeta {
    let Some(Value::Object(fields)) = metadata else { return ObjectMeta::default() };
    let mut fields: Map<String, Value> = fields.clone();
    for _ in 0..=fields.len() {
        let value = Value::Object(std::mem::take(&mut fields));
        match serde_path_to_error::deserialize::<_, ObjectMeta>(&value) {
            Ok(meta) => return meta,
            Err(e) => {
                let Value::Object(back) = value else { break };
                fields = back;
                let bad = e.path().iter().next().and_then(|s| match s {
                    Segment::Map { key } => Some(key.clone()),
                    _ => None,
                });
                match bad {
                    Some(key) if fields.remove(&key).is_some() => {}
                    _ => break,
                }
            }
        }
    }
    ObjectMeta::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Secret;
    use porch_api::Repository;
    use serde_json::json;

    fn repository(spec: Value, metadata: Value) -> Stored<Repository> {
        serde_json::from_value(json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
            "metadata": metadata, "spec": spec,
        }))
        .expect("any JSON object decodes as Stored")
    }

    /// A Repository with `managedFields` (`entries`) as its JSON text, with `spec`.
    fn with_managed_fields(entries: Value, spec: Value) -> String {
        json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": "a", "namespace": "ns", "managedFields": entries, "labels": {"k": "v"}},
            "spec": spec,
        })
        .to_string()
    }

    #[test]
    fn objects_are_read_without_their_managed_fields() {
        let entry = json!([{"manager": "m", "operation": "Update", "fieldsType": "FieldsV1",
                            "fieldsV1": {"f:spec": {"f:type": {}}}}]);
        let good = json!({"type": "git", "git": {"repo": "file:///x"}});
        let r: Stored<Repository> = serde_json::from_str(&with_managed_fields(entry, good.clone())).unwrap();
        let repo = r.object().expect("decodes");
        assert_eq!(repo.metadata.managed_fields, None);
        assert_eq!(repo.metadata.name.as_deref(), Some("a"));
        assert_eq!(repo.metadata.labels.as_ref().unwrap()["k"], "v", "the rest of the metadata is kept");
        assert_eq!(repo.spec.git.as_ref().unwrap().repo, "file:///x");

        let broken_entries = with_managed_fields(json!("not a list"), good);
        let r: Stored<Repository> = serde_json::from_str(&broken_entries).unwrap();
        assert!(r.object().is_ok(), "managedFields that do not decode are not read either");

        let bad_spec = with_managed_fields(json!([]), json!({"type": "git", "deployment": "yes"}));
        let r: Stored<Repository> = serde_json::from_str(&bad_spec).unwrap();
        assert_eq!(
            r.object().unwrap_err().field,
            "spec.deployment",
            "an undecodable object still names its field"
        );
        assert_eq!(r.meta().name.as_deref(), Some("a"));
    }

    #[test]
    fn an_object_whose_keys_are_escaped_decodes_as_it_is() {
        let text = r#"{"apiVersion":"config.porch.kpt.dev/v1alpha1","kind":"Repository","metadata":{"n\u0061me":"a","managedFields":[]},"spec":{"type":"git"}}"#;
        assert_eq!(without_managed_fields(text), None, "escaped keys are not rewritten");
        let r: Stored<Repository> = serde_json::from_str(text).unwrap();
        let repo = r.object().expect("decodes");
        assert_eq!(repo.metadata.name.as_deref(), Some("a"));
        assert_eq!(repo.metadata.managed_fields, Some(vec![]));
    }

    #[test]
    fn the_lean_text_keeps_every_other_field_in_order() {
        let text =
            r#"{"kind":"K","metadata":{"name":"a","managedFields":[{"x":1}],"uid":"u"},"spec":{"b":[1,2]}}"#;
        let lean = without_managed_fields(text).expect("rewritten");
        assert_eq!(lean, r#"{"kind":"K","metadata":{"name":"a","uid":"u"},"spec":{"b":[1,2]}}"#);
        assert_eq!(without_managed_fields(r#"{"metadata":{"name":"a"}}"#), None, "nothing to leave out");
    }

    #[test]
    fn a_good_object_decodes() {
        let r = repository(json!({"type": "git", "git": {"repo": "file:///x"}}), json!({"name": "a"}));
        assert_eq!(r.object().expect("decodes").metadata.name.as_deref(), Some("a"));
    }

    #[test]
    fn a_wrong_type_names_the_field_and_the_type_found_but_not_the_value() {
        let r = repository(
            json!({"type": "git", "deployment": "yes-secret", "git": {"repo": "file:///x"}}),
            json!({"name": "bad", "namespace": "default", "uid": "u1", "resourceVersion": "7"}),
        );
        let e = r.object().expect_err("does not decode");
        assert_eq!(e.to_string(), "spec.deployment: Invalid value: \"string\": expected a boolean");
        assert_eq!(r.meta().name.as_deref(), Some("bad"));
        assert_eq!(r.meta().resource_version.as_deref(), Some("7"));
        assert_eq!(r.describe(), "Repository default/bad");
        assert!(!format!("{r:?}").contains("yes-secret"));
    }

    #[test]
    fn a_missing_field_is_a_required_value() {
        let r = repository(json!({"git": {"branch": "main"}}), json!({"name": "a"}));
        assert_eq!(r.object().unwrap_err().to_string(), "spec.git.repo: Required value");
    }

    #[test]
    fn bad_metadata_keeps_what_decodes() {
        let r = repository(
            json!({"git": {"repo": "x"}}),
            json!({"name": "m", "namespace": "ns", "ownerReferences": "x", "labels": {"a": "b"}}),
        );
        assert_eq!(r.object().unwrap_err().field, "metadata.ownerReferences");
        assert_eq!(r.describe(), "Repository ns/m");
        assert_eq!(r.meta().labels.as_ref().and_then(|l| l.get("a")).map(String::as_str), Some("b"));
        assert!(r.meta().owner_references.is_none());
    }

    #[test]
    fn no_secret_value_reaches_the_error_or_debug() {
        for (field, data) in [
            ("data", json!("UGFzc3dvcmQtOTk=")),
            ("data.password", json!({"password": "Password-99 not base64"})),
            ("data.password", json!({"password": ["Password-99"]})),
        ] {
            let s: Stored<Secret> = serde_json::from_value(json!({
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"},
                "data": data,
            }))
            .unwrap();
            let e = s.object().expect_err("does not decode");
            assert_eq!(e.field, field);
            for text in [e.to_string(), format!("{s:?}")] {
                assert!(!text.contains("Password-99") && !text.contains("UGFzc3dvcmQtOTk="), "{text}");
            }
        }
        let s: Stored<Secret> = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "immutable": "yes",
            "data": {"password": "UGFzc3dvcmQtOTk="},
        }))
        .unwrap();
        assert_eq!(
            s.object().unwrap_err().to_string(),
            "immutable: Invalid value: \"string\": expected a boolean"
        );
        assert!(!format!("{s:?}").contains("UGFzc3dvcmQtOTk="));
    }

    #[test]
    fn lists_decode_item_by_item() {
        let list: kube::core::ObjectList<Stored<Repository>> = serde_json::from_value(json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "RepositoryList", "metadata": {},
            "items": [
                {"metadata": {"name": "good"}, "spec": {"git": {"repo": "x"}}},
                {"metadata": {"name": "bad"}, "spec": {"deployment": 5}},
            ],
        }))
        .expect("the list decodes");
        let ok: Vec<bool> = list.items.iter().map(|r| r.object().is_ok()).collect();
        assert_eq!(ok, [true, false]);
    }

    #[test]
    fn an_undecodable_object_is_not_written_back() {
        let r = repository(json!({"deployment": 1}), json!({"name": "a"}));
        assert!(serde_json::to_value(&r).is_err());
        let good = Stored::new(Repository::new("a", Default::default()));
        assert_eq!(serde_json::to_value(&good).unwrap()["metadata"]["name"], "a");
    }
}
