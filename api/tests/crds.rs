//! The CRDs checked in under `manifests/crds/` must match the types.
//! `UPDATE_CRDS=1 cargo test -p porch-api --test crds` rewrites them.

use std::path::PathBuf;

fn crd_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("manifests").join("crds")
}

#[test]
fn checked_in_crds_match_the_generated_ones() {
    let dir = crd_dir();
    let update = std::env::var_os("UPDATE_CRDS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, yaml) in porch_api::crd_yaml_files() {
        let path = dir.join(file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &yaml).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(current) if current == yaml => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "CRD manifests are out of date:\n  {}\nRegenerate them with:\n  UPDATE_CRDS=1 cargo test -p porch-api --test crds",
        stale.join("\n  ")
    );
}
