//! create, get, 404 for a missing object, and lists: paging with `limit` and `continue`, label
//! and field selectors.

use serde_json::{Value, json};

use crate::env::Env;
use crate::fixture::{Fixture, Verb};
use crate::wire::{self, NS, failure, names, query, rv};

/// A create answers 201 with the stored object, which a get then returns; a second create of
/// the same object is 409 AlreadyExists (see `Info::duplicate`); a missing object is 404 NotFound. A resource that does
/// not serve create answers 405.
pub(crate) async fn create_get_and_not_found<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: create", info.resource);
    let labels = json!({"conformance/case": "create"});
    let body = fixture.object(env, 0, &labels);
    let r = env.json("POST", &info.collection(), &body).await;
    if info.serves(Verb::Create) {
        let created = wire::ok(&r, 201, &what);
        assert_eq!(
            (created["kind"].as_str(), created["apiVersion"].as_str()),
            (Some(info.kind), Some(info.api_version().as_str())),
            "{what}: {created}"
        );
        let meta = &created["metadata"];
        let name = wire::name(&created);
        assert_eq!(meta["namespace"].as_str(), info.namespaced.then_some(NS), "{what}: {created}");
        assert!(meta["uid"].as_str().is_some_and(|u| !u.is_empty()), "{what}: a uid: {created}");
        assert!(meta["creationTimestamp"].is_string(), "{what}: a creationTimestamp: {created}");
        assert!(rv(&created) > 0, "{what}: {created}");
        assert_eq!(meta["labels"]["conformance/case"], "create", "{what}: {created}");

        let got = super::settled(fixture, env, &name).await;
        if info.controlled {
            assert_eq!(got["metadata"]["uid"], meta["uid"], "{what}: get");
            assert!(rv(&got) >= rv(&created), "{what}: get");
        } else {
            assert_eq!(got, created, "{what}: a get returns the created object");
        }

        let st = failure(&env.json("POST", &info.collection(), &body).await, 409, info.duplicate, &what);
        assert_eq!(st["details"]["name"], name.as_str(), "{what}: {st}");
        if info.duplicate == "AlreadyExists" {
            let message = format!("{} \"{name}\" already exists", info.qualified());
            assert_eq!(st["message"], message, "{what}: {st}");
        }
    } else {
        failure(&r, 405, "MethodNotAllowed", &what);
    }

    let what = format!("{}: get of a missing object", info.resource);
    let missing = super::writes::MISSING;
    let st = failure(&env.get(&info.item(missing)).await, 404, "NotFound", &what);
    assert_eq!(st["message"], format!("{} \"{missing}\" not found", info.qualified()), "{what}: {st}");
    assert_eq!(st["details"]["name"], missing, "{what}: {st}");
    assert_eq!(st["details"]["kind"], info.resource, "{what}: {st}");
    if !info.group.is_empty() {
        assert_eq!(st["details"]["group"], info.group, "{what}: {st}");
    }
}

/// The list of the collection (with `params`), which must succeed; checks its kind and that its
/// resourceVersion is at least each item's.
async fn list<F: Fixture>(fixture: &F, env: &Env, params: &str) -> Value {
    list_at(fixture, env, &fixture.info().collection(), params).await
}

/// [`list`] of `collection`.
async fn list_at<F: Fixture>(fixture: &F, env: &Env, collection: &str, params: &str) -> Value {
    let info = fixture.info();
    let path = format!("{collection}?{params}");
    let list = env.read(&path).await;
    assert_eq!(list["kind"], format!("{}List", info.kind), "{path}: {list}");
    assert_eq!(list["apiVersion"], info.api_version(), "{path}: {list}");
    let list_rv = list["metadata"]["resourceVersion"].as_str().and_then(|v| v.parse::<u64>().ok());
    let list_rv = list_rv.unwrap_or_else(|| panic!("{path}: a list resourceVersion: {list}"));
    for item in list["items"].as_array().into_iter().flatten() {
        assert!(rv(item) <= list_rv, "{path}: an item newer than its list: {item}");
    }
    list
}

/// The names at `params`, read page by page with `limit`: each page holds at most `limit`
/// items, pages but the last carry a `continue` token, and pages of one list share its
/// resourceVersion. With `total` (the size of the whole list, unselected), pages but the last
/// are full and count the items left (`remainingItemCount`).
async fn paged<F: Fixture>(
    fixture: &F,
    env: &Env,
    params: &str,
    limit: usize,
    total: Option<usize>,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut list_rv: Option<Value> = None;
    loop {
        let cont = token.as_deref().map(|t| format!("&continue={}", query(t))).unwrap_or_default();
        let page = list(fixture, env, &format!("{params}&limit={limit}{cont}")).await;
        let items = names(&page);
        assert!(items.len() <= limit, "{params}: a page over the limit: {page}");
        seen.extend(items);
        let rv = page["metadata"]["resourceVersion"].clone();
        assert_eq!(
            list_rv.get_or_insert_with(|| rv.clone()),
            &rv,
            "{params}: pages of one list share its resourceVersion"
        );
        match page["metadata"]["continue"].as_str().filter(|c| !c.is_empty()) {
            Some(next) => {
                let left = page["metadata"]["remainingItemCount"].as_u64();
                match total {
                    Some(total) => {
                        assert_eq!(names(&page).len(), limit, "a page before the last is full: {page}");
                        assert_eq!(left, Some((total - seen.len()) as u64), "the items left: {page}");
                    }
                    // divergence: kube-apiserver leaves remainingItemCount out of a selected
                    // list (it cannot count it); the embedded store counts.
                    None => assert!(left.is_none_or(|left| left > 0), "{params}: nothing left: {page}"),
                }
                token = Some(next.to_string());
            }
            None => {
                assert!(page["metadata"].get("remainingItemCount").is_none(), "{params}: {page}");
                return seen;
            }
        }
        assert!(seen.len() < 1000, "{params}: paging does not end");
    }
}

/// Lists: every object once, paged or not, in the same order, and in its namespace only;
/// label selectors (`=`, `in`,
/// `!=`, `!key`) and field selectors (`metadata.name` `=` and `!=`) select exactly the objects
/// they name, paged too; a selector that does not parse is 400 BadRequest.
pub(crate) async fn list_with_paging_and_selectors<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: list", info.resource);
    let mut made = Vec::new();
    for i in 10..15 {
        let parity = if i % 2 == 0 { "even" } else { "odd" };
        let labels = json!({"conformance/case": "list", "conformance/parity": parity});
        made.push(wire::name(&fixture.make(env, i, &labels).await));
    }
    let all = names(&list(fixture, env, "").await);
    for name in &made {
        assert_eq!(all.iter().filter(|n| *n == name).count(), 1, "{what}: {name} listed once in {all:?}");
    }
    let except = |excluded: &[String]| -> Vec<String> {
        all.iter().filter(|n| !excluded.contains(n)).cloned().collect()
    };
    let only = |included: &[&String]| -> Vec<String> {
        all.iter().filter(|n| included.contains(n)).cloned().collect()
    };
    assert_eq!(paged(fixture, env, "", 2, Some(all.len())).await, all, "{what}: paged by 2");
    assert_eq!(paged(fixture, env, "", 1, Some(all.len())).await, all, "{what}: paged by 1");

    let even: Vec<&String> = made.iter().step_by(2).collect();
    let odd: Vec<&String> = made.iter().skip(1).step_by(2).collect();
    let by_label = |selector: &'static str| async move {
        names(&list(fixture, env, &format!("labelSelector={}", query(selector))).await)
    };
    if info.labels {
        assert_eq!(by_label("conformance/parity=even").await, only(&even), "{what}: =");
        assert_eq!(
            by_label("conformance/parity in (even,odd)").await,
            only(&made.iter().collect::<Vec<_>>()),
            "{what}: in"
        );
        assert_eq!(by_label("conformance/parity,conformance/parity!=even").await, only(&odd), "{what}: !=");
        assert_eq!(by_label("!conformance/parity").await, except(&made), "{what}: !key");
        let paged_even =
            paged(fixture, env, &format!("labelSelector={}", query("conformance/parity=even")), 1, None)
                .await;
        assert_eq!(paged_even, only(&even), "{what}: a label selector, paged");
    } else {
        assert_eq!(by_label("conformance/parity=even").await, Vec::<String>::new(), "{what}: = (no labels)");
        assert_eq!(by_label("!conformance/parity").await, all, "{what}: !key (no labels)");
    }
    let st = failure(
        &env.get(&format!("{}?labelSelector={}", info.collection(), query("a in b"))).await,
        400,
        "BadRequest",
        &what,
    );
    assert!(
        st["message"].as_str().unwrap_or_default().starts_with("unable to parse requirement"),
        "{what}: {st}"
    );

    if info.namespaced {
        // Every object of the suite is in one namespace: across all of them, the same list.
        let everywhere = list_at(fixture, env, &info.collection_in(None), "").await;
        assert_eq!(names(&everywhere), all, "{what}: across all namespaces");
        let elsewhere = list_at(fixture, env, &info.collection_in(Some("elsewhere")), "").await;
        assert_eq!(names(&elsewhere), Vec::<String>::new(), "{what}: in another namespace");
        let path = format!("{}/{}", info.collection_in(Some("elsewhere")), made[0]);
        failure(&env.get(&path).await, 404, "NotFound", &format!("{what}: get in another namespace"));
    }

    let one = &made[1];
    let by_field = |selector: String| async move {
        names(&list(fixture, env, &format!("fieldSelector={}", query(&selector))).await)
    };
    assert_eq!(
        by_field(format!("metadata.name={one}")).await,
        std::slice::from_ref(one),
        "{what}: metadata.name="
    );
    assert_eq!(
        by_field(format!("metadata.name!={one}")).await,
        except(std::slice::from_ref(one)),
        "{what}: metadata.name!="
    );
    if info.namespaced {
        assert_eq!(by_field(format!("metadata.namespace={NS}")).await, all, "{what}: metadata.namespace=");
    }
    let field = format!("fieldSelector={}", query(&format!("metadata.name={one}")));
    assert_eq!(
        paged(fixture, env, &field, 1, None).await,
        std::slice::from_ref(one),
        "{what}: a field selector, paged"
    );
    failure(
        &env.get(&format!("{}?fieldSelector={}", info.collection(), query("no.such.field=x"))).await,
        400,
        "BadRequest",
        &what,
    );
}
