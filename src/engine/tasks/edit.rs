//! The `edit` ("copy") task: a new draft starts as a copy of a published revision of the same
//! package (porch-api.md §4.1). The source checks are in [`super::select`].

use crate::engine::Files;

/// The files of the new revision: the source revision's files unchanged (the Kptfile keeps its
/// `metadata.name`, upstream and conditions; the render step rewrites `Rendered`). Does not
/// mutate.
pub fn edit_package(source: &Files) -> Files {
    source.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_copies_every_file_byte_for_byte() {
        let source = Files::from([
            (
                "Kptfile".to_string(),
                b"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n".to_vec(),
            ),
            ("sub/cm.yaml".to_string(), b"# comment kept\nkind: ConfigMap\n".to_vec()),
        ]);
        assert_eq!(edit_package(&source), source);
    }
}
