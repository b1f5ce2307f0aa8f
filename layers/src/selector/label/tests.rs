use std::collections::BTreeMap;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn m(sel: &str, pairs: &[(&str, &str)]) -> bool {
    LabelSelector::parse(sel).unwrap().matches(&labels(pairs))
}

fn e(sel: &str) -> String {
    LabelSelector::parse(sel).unwrap_err().to_string()
}

#[test]
fn empty_selector_matches_everything() {
    assert!(LabelSelector::parse("").unwrap().is_empty());
    assert!(LabelSelector::parse("   ").unwrap().is_empty());
    assert!(m("", &[]));
    assert!(m(" ", &[("a", "b")]));
}

#[test]
fn equality_operators() {
    assert!(m("a=b", &[("a", "b")]));
    assert!(m("a==b", &[("a", "b")]));
    assert!(!m("a=b", &[("a", "c")]));
    assert!(!m("a=b", &[]));
    assert!(m("a!=b", &[("a", "c")]));
    assert!(m("a!=b", &[]));
    assert!(!m("a!=b", &[("a", "b")]));
    assert!(m("a=", &[("a", "")]));
    assert!(!m("a=", &[]));
}

#[test]
fn set_operators() {
    assert!(m("env in (prod, staging)", &[("env", "staging")]));
    assert!(!m("env in (prod,staging)", &[("env", "dev")]));
    assert!(!m("env in (prod)", &[]));
    assert!(m("env notin (prod,staging)", &[("env", "dev")]));
    assert!(m("env notin (prod)", &[]));
    assert!(!m("env notin (prod)", &[("env", "prod")]));
    let sel = LabelSelector::parse("x in (b,a,b)").unwrap();
    assert_eq!(sel.requirements()[0].values(), ["a", "b"]);
    assert_eq!(sel.requirements()[0].operator(), LabelOperator::In);
}

#[test]
fn existence_operators() {
    assert!(m("a", &[("a", "")]));
    assert!(!m("a", &[]));
    assert!(m("!a", &[("b", "x")]));
    assert!(!m("!a", &[("a", "x")]));
    assert!(m(" ! a ", &[]));
}

#[test]
fn numeric_operators() {
    assert!(m("n>1", &[("n", "2")]));
    assert!(!m("n>1", &[("n", "1")]));
    assert!(!m("n>1", &[("n", "x")]));
    assert!(m("n<1", &[("n", "0")]));
    assert!(!m("n<1", &[]));
    assert!(e("n>x").contains("must be an integer"));
}

#[test]
fn requirements_are_anded_and_whitespace_is_tolerated() {
    let l = [("app", "web"), ("env", "prod"), ("kpt.dev/latest-revision", "true")];
    assert!(m(" app = web , env in ( prod ) ,kpt.dev/latest-revision==true, !legacy", &l));
    assert!(!m("app=web,env=dev", &l));
}

#[test]
fn display_round_trips() {
    let s = "a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1,m<2";
    let sel = LabelSelector::parse(s).unwrap();
    assert_eq!(sel.to_string(), s);
    assert_eq!(LabelSelector::parse(&sel.to_string()).unwrap(), sel);
}

#[test]
fn json_and_closure_variants() {
    let sel = LabelSelector::parse("a=b,!c").unwrap();
    assert!(sel.matches_json(&serde_json::json!({"a": "b"})));
    assert!(!sel.matches_json(&serde_json::json!({"a": "b", "c": "d"})));
    assert!(!sel.matches_json(&serde_json::Value::Null));
    assert!(LabelSelector::parse("!c").unwrap().matches_json(&serde_json::Value::Null));
    assert!(sel.matches_with(|k| (k == "a").then_some("b")));
}

#[test]
fn syntax_errors_are_reported() {
    assert_eq!(e("a=b c"), "found 'c', expected: ',' or 'end of string'");
    assert_eq!(e(",a"), "found ',', expected: identifier");
    assert_eq!(e("a=b,"), "found '', expected: identifier");
    assert_eq!(e("a in b"), "found 'b', expected: '('");
    assert_eq!(e("a in ()"), "for 'in', 'notin' operators, values set can't be empty");
    assert_eq!(e("a in (b c)"), "found 'c', expected: ',', ')' or identifier");
    assert_eq!(e("a in (b"), "found '', expected: ',', ')' or identifier");
    assert_eq!(e("a foo b"), "found 'foo', expected: in, notin, =, ==, !=, gt, lt");
    assert_eq!(e("a=(b)"), "found '(', expected: identifier");
    assert_eq!(e("!a=b"), "found '=', expected: ',' or 'end of string'");
}

#[test]
fn invalid_keys_and_values_are_reported() {
    assert!(e("-a=b").starts_with("unable to parse requirement: key: Invalid value: \"-a\": name part"));
    assert!(e("a=b c d").contains("found 'c'"));
    assert!(e("a=-b").starts_with("unable to parse requirement: values[0][a]: Invalid value: \"-b\""));
    assert!(e("a in (ok,zz-)").contains("values[1][a]"));
    assert!(e("UPPER.com/a=b").contains("prefix part"));
}

#[test]
fn without_drops_one_requirement_and_keeps_the_rest() {
    let s = LabelSelector::parse("repo=a,app in (web),!tier").unwrap();
    let rest = s.without(&s.requirements()[0]);
    assert_eq!(rest.to_string(), "app in (web),!tier");
    assert!(rest.matches(&labels(&[("repo", "b"), ("app", "web")])));
    assert!(!rest.matches(&labels(&[("app", "db")])));
    assert_eq!(s.without(&rest.requirements()[0]).without(&rest.requirements()[1]).to_string(), "repo=a");
}
