//! Replays the committed fuzz corpus, `fuzz/corpus/<target>/`, through the same entry points the
//! cargo-fuzz targets drive (`porch_server::fuzzing`): every input that ever mattered — the seeds,
//! what the fuzzer found and minimized, and the regressions — must still get no panic and no
//! 5xx, on any machine and toolchain, with no fuzzer installed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use porch_server::fuzzing::{self, Harness, TARGETS};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus")
}

/// The corpus files of `target`, in name order.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Runs every corpus file of `target` on one harness and reports every file that fails.
fn replay(target: &str) {
    let files = corpus(target);
    assert!(files.len() >= 5, "the {target} corpus has {} files; seeds are missing", files.len());
    let harness = Harness::new();
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("reading a corpus file");
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| fuzzing::run(target, &harness, &data))) {
            failures.push(format!("{}: {}", file.display(), panic_text(payload.as_ref())));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {target} inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_target_has_a_corpus_and_every_corpus_a_target() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("reading fuzz/corpus")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut targets: Vec<String> = TARGETS.iter().map(|t| t.to_string()).collect();
    targets.sort();
    assert_eq!(dirs, targets);
}

/// Corpus inputs name remotes only through the placeholders `@REMOTE@` and `@EMPTY@`: a URL of
/// its own would send this test (which runs outside the fuzzer's network namespace) to another
/// host or into another local repository.
#[test]
fn corpus_files_name_no_url() {
    for target in TARGETS {
        for file in corpus(target) {
            let data = std::fs::read(&file).expect("reading a corpus file").to_ascii_lowercase();
            assert!(
                !data.windows(3).any(|w| w == b"://"),
                "{} holds a URL; use @REMOTE@ or @EMPTY@",
                file.display()
            );
        }
    }
}

#[test]
fn http_corpus() {
    replay("http");
}

#[test]
fn decode_corpus() {
    replay("decode");
}

#[test]
fn selectors_corpus() {
    replay("selectors");
}

#[test]
fn continue_tokens_corpus() {
    replay("continue_tokens");
}

#[test]
fn names_corpus() {
    replay("names");
}

#[test]
fn patch_corpus() {
    replay("patch");
}

#[test]
fn kptfile_corpus() {
    replay("kptfile");
}
