//! The protobuf messages of k8s.io/api and apimachinery that [`super::decode`] understands, with
//! the field numbers of their `generated.proto` files. Fields we do not use are left out (prost
//! skips unknown fields).

use std::collections::BTreeMap;

/// `runtime.Unknown`: the envelope of every protobuf object.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Unknown {
    #[prost(message, optional, tag = "1")]
    pub(super) type_meta: Option<TypeMeta>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub(super) raw: Option<Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    pub(super) content_encoding: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub(super) content_type: Option<String>,
}

/// `runtime.TypeMeta`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct TypeMeta {
    #[prost(string, optional, tag = "1")]
    pub(super) api_version: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(super) kind: Option<String>,
}

/// `metav1.ObjectMeta` (the fields a client sets).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct ObjectMeta {
    #[prost(string, optional, tag = "1")]
    pub(super) name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(super) generate_name: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(super) namespace: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub(super) uid: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub(super) resource_version: Option<String>,
    #[prost(btree_map = "string, string", tag = "11")]
    pub(super) labels: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "12")]
    pub(super) annotations: BTreeMap<String, String>,
    #[prost(string, repeated, tag = "14")]
    pub(super) finalizers: Vec<String>,
}

/// `corev1.Secret`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Secret {
    #[prost(message, optional, tag = "1")]
    pub(super) metadata: Option<ObjectMeta>,
    #[prost(btree_map = "string, bytes", tag = "2")]
    pub(super) data: BTreeMap<String, Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    pub(super) type_: Option<String>,
    #[prost(btree_map = "string, string", tag = "4")]
    pub(super) string_data: BTreeMap<String, String>,
    #[prost(bool, optional, tag = "5")]
    pub(super) immutable: Option<bool>,
}

/// `corev1.NamespaceSpec`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct NamespaceSpec {
    #[prost(string, repeated, tag = "1")]
    pub(super) finalizers: Vec<String>,
}

/// `corev1.Namespace`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Namespace {
    #[prost(message, optional, tag = "1")]
    pub(super) metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    pub(super) spec: Option<NamespaceSpec>,
}

/// `metav1.Preconditions`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Preconditions {
    #[prost(string, optional, tag = "1")]
    pub(super) uid: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(super) resource_version: Option<String>,
}

/// `metav1.DeleteOptions`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct DeleteOptions {
    #[prost(int64, optional, tag = "1")]
    pub(super) grace_period_seconds: Option<i64>,
    #[prost(message, optional, tag = "2")]
    pub(super) preconditions: Option<Preconditions>,
    #[prost(string, optional, tag = "4")]
    pub(super) propagation_policy: Option<String>,
    #[prost(string, repeated, tag = "5")]
    pub(super) dry_run: Vec<String>,
}
