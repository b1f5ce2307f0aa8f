//! Conformance of every served resource to kube-apiserver's REST semantics, in the style of
//! k8s.io/apiserver's `resttest`: one generic suite ([`suite`]) that each of the seven resources
//! runs, adapted by a small description of the resource ([`resources`]): how to make a valid
//! object, which verbs and patch types it serves, what an update changes, whether it can be
//! labelled. Verbs a resource does not serve are checked for their 405.
//!
//! The real server runs in-process on a loopback socket and is spoken to in raw HTTP/1.1, so the
//! assertions are on the wire: status codes, `Status` bodies and their `reason`, list metadata,
//! resourceVersions, watch event types and order. Git remotes are bare repositories made with
//! the git CLI and reached over `file://`.
//!
//! One test binary (modules below) so that the server is linked once.

#[allow(dead_code)] // `reopen` is for the binaries that restart the server
#[path = "../support/app.rs"]
mod app_support;
#[path = "../support/git.rs"]
mod git_support;
#[path = "../support/served.rs"]
mod served;

mod env;
mod fixture;
mod resources;
mod suite;
mod wire;
