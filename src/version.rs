//! `/version`: the server's build, in the shape of `version.Info`.

use serde_json::{Value, json};

/// The `version.Info` document.
pub(crate) fn info() -> Value {
    let version = env!("CARGO_PKG_VERSION");
    json!({
        "major": "1",
        "minor": "35",
        "gitVersion": format!("v{version}-porch-rs"),
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    })
}
