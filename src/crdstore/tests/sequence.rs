//! The resourceVersion sequence: every number, change or reservation, exactly once, in order.

use super::*;

#[tokio::test]
async fn followers_see_every_resource_version_once_in_order() {
    let (store, _dir) = fresh();
    let (start, mut rx) = store.follow_sequence();
    let created = store.create(StoredKind::Repository, repo("default", "a"), &w()).await.unwrap();
    let first = store.reserve_resource_versions(3).await.unwrap();
    // Concurrent writes land in one group commit; the sequence still interleaves them in order.
    let opts = w();
    let (b, reserved, c) = tokio::join!(
        store.create(StoredKind::Repository, repo("default", "b"), &opts),
        store.reserve_resource_versions(2),
        store.create(StoredKind::Secret, secret("default", "s"), &opts),
    );
    let (b, reserved, c) = (b.unwrap(), reserved.unwrap(), c.unwrap());
    let mut seen: Vec<u64> = Vec::new();
    let mut steps = Vec::new();
    while seen.len() < 8 {
        let step = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        match &step {
            Sequenced::Change { rv, .. } => seen.push(*rv),
            Sequenced::Reserved { first, count } => seen.extend(*first..first + count),
        }
        steps.push(step);
    }
    let expected: Vec<u64> = (start + 1..=start + 8).collect();
    assert_eq!(seen, expected);
    assert_eq!(rv_of(&created), start + 1);
    assert_eq!(first, start + 2);
    let mut others = [rv_of(&b), reserved, reserved + 1, rv_of(&c)];
    others.sort_unstable();
    assert_eq!(others.to_vec(), (start + 5..=start + 8).collect::<Vec<_>>());
    assert!(matches!(&steps[0], Sequenced::Change { kind: StoredKind::Repository, name, .. } if name == "a"));
    // Dry runs take no number.
    store.create(StoredKind::Repository, repo("default", "d"), &dry()).await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(100), rx.recv()).await.is_err());
}
