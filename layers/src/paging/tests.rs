use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{InvalidToken, Page, page, take_page, token};

type Key = (String, u32);

fn items() -> Vec<Key> {
    (0..5).map(|i| ("ns".to_string(), i)).collect()
}

#[test]
fn tokens_round_trip_keys_with_quotes_and_slashes() {
    let key = ("ns".to_string(), "a/b\"c".to_string(), -1_i32, 2_u8);
    assert_eq!(token::decode::<(String, String, i32, u8)>(&token::encode(&key)).unwrap(), key);
}

#[test]
fn a_token_is_the_json_of_the_key_in_unpadded_base64url() {
    assert_eq!(token::encode(&["a", "b"]), URL_SAFE_NO_PAD.encode(r#"["a","b"]"#));
}

#[test]
fn a_token_that_is_not_base64url_is_invalid_with_the_base64_error() {
    let e = token::decode::<[String; 2]>("!!").unwrap_err();
    assert!(e.to_string().starts_with("continue key is not valid: Invalid"), "{e}");
    assert_eq!(e.naming_token(), r#"continue key is not valid: "!!""#);
    assert_eq!(e.token(), "!!");
}

#[test]
fn a_token_of_another_shape_is_invalid_with_the_json_error() {
    let e = token::decode::<[String; 2]>(&URL_SAFE_NO_PAD.encode("[1]")).unwrap_err();
    assert!(e.cause().contains("invalid type: integer"), "{e}");
}

#[test]
fn tokens_are_not_trimmed() {
    let good = token::encode(&["a", "b"]);
    assert!(token::decode::<[String; 2]>(&format!(" {good}")).is_err());
}

#[test]
fn pages_walk_the_list_once_and_count_what_follows() {
    let mut seen = Vec::new();
    let mut remaining = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let p = page(items(), Clone::clone, Some(2), next.as_deref()).unwrap();
        seen.extend(p.items.iter().map(|k| k.1));
        remaining.push(p.remaining);
        next = p.continue_token;
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    assert_eq!(remaining, [Some(3), Some(1), None]);
}

#[test]
fn a_page_that_ends_the_list_has_no_token() {
    let exact = page(items(), Clone::clone, Some(5), None).unwrap();
    assert_eq!((exact.items.len(), exact.continue_token, exact.remaining), (5, None, None));
    let all = page(items(), Clone::clone, None, None).unwrap();
    assert_eq!(all.items.len(), 5);
    let zero = page(items(), Clone::clone, Some(0), None).unwrap();
    assert_eq!(zero.items.len(), 5, "limit 0 means no limit");
}

#[test]
fn a_token_past_every_item_gives_an_empty_page() {
    let after = token::encode(&("zz".to_string(), 0_u32));
    let p = page(items(), Clone::clone, Some(2), Some(&after)).unwrap();
    assert_eq!(p, Page { items: Vec::new(), continue_token: None, remaining: None });
}

#[test]
fn a_token_of_a_removed_item_continues_after_where_it_was() {
    let after = token::encode(&("ns".to_string(), 1_u32));
    let without_one: Vec<Key> = items().into_iter().filter(|k| k.1 != 1).collect();
    let p = page(without_one, Clone::clone, None, Some(&after)).unwrap();
    assert_eq!(p.items.iter().map(|k| k.1).collect::<Vec<_>>(), [2, 3, 4]);
}

#[test]
fn a_bad_token_fails_the_page() {
    let e: InvalidToken = page(items(), Clone::clone, None, Some("%%%")).unwrap_err();
    assert_eq!(e.token(), "%%%");
}

#[test]
fn take_page_keys_only_the_last_item() {
    let p = take_page(items().into_iter(), Some(3), |k| [k.0.clone(), k.1.to_string()]);
    assert_eq!(token::decode::<[String; 2]>(&p.continue_token.unwrap()).unwrap(), ["ns", "2"]);
    assert_eq!(p.remaining, Some(2));
}
