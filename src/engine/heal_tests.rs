use super::*;

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

const COMMENTED: &str = "\
# the app's settings
apiVersion: v1
kind: ConfigMap
metadata: # kpt-merge: prod/settings
  name: settings
  namespace: prod
data:
  size: \"3\" # kpt-set: ${size}
";

#[test]
fn comments_a_client_dropped_come_back_from_the_previous_version() {
    let old = files(&[("cm.yaml", COMMENTED)]);
    let mut new = files(&[(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n  size: \"5\"\n",
    )]);
    heal_comments(&old, &mut new);
    assert_eq!(text(&new, "cm.yaml"), COMMENTED.replace("\"3\"", "\"5\""));
}

#[test]
fn a_resource_moved_to_another_file_is_found_by_its_identity() {
    let old = files(&[("cm.yaml", COMMENTED)]);
    let mut new = files(&[(
        "moved.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n  size: \"3\"\n",
    )]);
    heal_comments(&old, &mut new);
    assert_eq!(text(&new, "moved.yaml"), COMMENTED);
}

#[test]
fn another_identity_gets_nothing() {
    let old = files(&[("cm.yaml", COMMENTED)]);
    let dropped = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: dev\ndata:\n  size: \"3\"\n";
    let other_kind = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: settings\n  namespace: prod\n";
    let mut new = files(&[("cm.yaml", dropped), ("secret.yaml", other_kind)]);
    heal_comments(&old, &mut new);
    assert_eq!(text(&new, "cm.yaml"), dropped);
    assert_eq!(text(&new, "secret.yaml"), other_kind);
}

#[test]
fn comments_the_user_wrote_are_kept() {
    let old = files(&[("cm.yaml", COMMENTED)]);
    let mine = COMMENTED.replace("# the app's settings", "# mine now").replace(" # kpt-set: ${size}", "");
    let mut new = files(&[("cm.yaml", &mine)]);
    heal_comments(&old, &mut new);
    assert_eq!(text(&new, "cm.yaml"), COMMENTED.replace("# the app's settings", "# mine now"));
}

#[test]
fn files_the_user_did_not_change_keep_their_bytes_however_they_are_formatted() {
    // Four-space indentation and a flow map: Porch would write both back reformatted.
    let odd = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: odd\ndata: {a: '1',   b: \"2\"}\n";
    let old = files(&[("cm.yaml", COMMENTED), ("odd.yaml", odd), ("README.md", "# readme\n")]);
    let mut new = old.clone();
    new.insert("odd.yaml".into(), odd.replace("odd\n", "odd # renamed? no\n").into_bytes());
    let before = new.clone();
    heal_comments(&old, &mut new);
    assert_eq!(new, before);
}

#[test]
fn ytt_templates_are_left_alone() {
    let template = "#@ load(\"@ytt:data\", \"data\")\napiVersion: v1\nkind: ConfigMap\nmetadata: # kpt-merge: /t\n  name: t\n";
    let old = files(&[("t.yaml", template)]);
    let stripped = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata: {}\n";
    let mut new = files(&[("t.yaml", stripped)]);
    heal_comments(&old, &mut new);
    assert_eq!(text(&new, "t.yaml"), stripped);
}

#[test]
fn the_kptfile_heals_too_and_unparsable_files_pass_through() {
    let kptfile = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: # kpt-merge: /pkg\n  name: pkg\n";
    let old = files(&[("Kptfile", kptfile)]);
    let broken = "a: [unclosed\n";
    let mut new = files(&[
        ("Kptfile", "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n"),
        ("broken.yaml", broken),
    ]);
    heal_comments(&old, &mut new);
    assert_eq!(text(&new, "Kptfile"), kptfile);
    assert_eq!(text(&new, "broken.yaml"), broken);
}
