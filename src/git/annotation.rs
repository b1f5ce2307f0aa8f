//! The `kpt:` commit trailer Porch writes into every commit message (§7.3).

use porch_api::porch::Task;
use serde::{Deserialize, Serialize};

/// Prefix of the trailer line.
pub const TRAILER_PREFIX: &str = "kpt:";

/// The JSON of a `kpt:` trailer. Field order and names match Porch's `gitAnnotation`
/// (`package`, `workspaceName`, `revision`, `task`, all omitted when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// Full path of the package (repository directory included).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package: String,
    /// Workspace name of the revision.
    #[serde(rename = "workspaceName", default, skip_serializing_if = "String::is_empty")]
    pub workspace_name: String,
    /// Revision as a string: `"0"` for drafts, `"N"` for approvals.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub revision: String,
    /// The task that produced the commit, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
}

impl Annotation {
    /// The trailer line, `kpt:{…}`, encoded as Go's `encoding/json` does (`<`, `>`, `&` escaped).
    pub fn to_trailer(&self) -> String {
        // Serialising plain data to JSON cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut out = String::with_capacity(TRAILER_PREFIX.len() + json.len());
        out.push_str(TRAILER_PREFIX);
        for c in json.chars() {
            match c {
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                c => out.push(c),
            }
        }
        out
    }

    /// Every well-formed `kpt:` annotation in a commit message, in order. Malformed ones are
    /// skipped, as Porch does.
    pub fn parse_all(message: &str) -> Vec<Annotation> {
        message
            .lines()
            .filter_map(|line| line.trim().strip_prefix(TRAILER_PREFIX))
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect()
    }

    /// Whether this annotation belongs to revision (`full_path`, `workspace`): same package and
    /// workspace, or (for revisions made before workspaces existed) no workspace and
    /// `revision == workspace`.
    pub fn matches(&self, full_path: &str, workspace: &str) -> bool {
        self.package == full_path
            && (self.workspace_name == workspace
                || (self.workspace_name.is_empty() && self.revision == workspace))
    }
}

/// `message`, a blank line and the trailer, newline-terminated.
pub fn annotate(message: &str, annotation: &Annotation) -> String {
    format!("{message}\n\n{}\n", annotation.to_trailer())
}

#[cfg(test)]
mod tests {
    use porch_api::porch::{InitTaskSpec, TaskType};

    use super::*;

    fn init_task() -> Task {
        Task {
            type_: TaskType::Init,
            init: Some(InitTaskSpec { description: "a <b> & c".into(), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn trailer_matches_porch_encoding() {
        let a = Annotation {
            package: "dir/pkg".into(),
            workspace_name: "ws".into(),
            revision: "0".into(),
            task: Some(init_task()),
        };
        assert_eq!(
            a.to_trailer(),
            r#"kpt:{"package":"dir/pkg","workspaceName":"ws","revision":"0","task":{"type":"init","init":{"description":"a \u003cb\u003e \u0026 c"}}}"#
        );
        let approve =
            Annotation { package: "p".into(), workspace_name: "ws".into(), revision: "2".into(), task: None };
        assert_eq!(approve.to_trailer(), r#"kpt:{"package":"p","workspaceName":"ws","revision":"2"}"#);
    }

    #[test]
    fn annotations_round_trip_through_messages() {
        let a = Annotation {
            package: "p".into(),
            workspace_name: "w".into(),
            revision: "0".into(),
            task: Some(init_task()),
        };
        let msg = annotate("Creating new empty revision", &a);
        assert_eq!(msg.lines().nth(1), Some(""));
        assert_eq!(Annotation::parse_all(&msg), vec![a]);
        assert!(Annotation::parse_all("plain\n\nkpt:{not json}\n").is_empty());
    }

    #[test]
    fn matching_follows_porch() {
        let a = Annotation { package: "p".into(), revision: "v1".into(), ..Default::default() };
        assert!(a.matches("p", "v1"));
        assert!(!a.matches("q", "v1"));
        let b = Annotation { package: "p".into(), workspace_name: "ws".into(), ..Default::default() };
        assert!(b.matches("p", "ws") && !b.matches("p", "v1"));
    }
}
