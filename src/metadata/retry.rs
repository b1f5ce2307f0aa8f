//! The one retry loop of PackageRev writes: a write that lost a race with a concurrent writer
//! (409, known by kube's Status reason) is tried again, from a fresh read.

use std::future::Future;

/// How often a write is tried in all.
pub(super) const WRITE_ATTEMPTS: usize = 5;

/// Whether `e` is a lost race: the object changed since it was read (`Conflict`) or was created
/// in between (`AlreadyExists`).
pub(super) fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.is_conflict() || status.is_already_exists())
}

/// Whether `e` is the API's 404.
pub(super) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.is_not_found())
}

/// Runs `write` (given the attempt number, from 1) until it does not fail with a conflict, at
/// most [`WRITE_ATTEMPTS`] times; the last conflict is returned as it is. `conflict` tells
/// which errors are conflicts. A retry should read the object afresh, from the API.
pub(super) async fn retry_on_conflict<T, E, F, Fut>(
    conflict: impl Fn(&E) -> bool,
    mut write: F,
) -> Result<T, E>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match write(attempt).await {
            Err(e) if attempt < WRITE_ATTEMPTS && conflict(&e) => attempt += 1,
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    fn api_error(code: u16, reason: &str) -> kube::Error {
        kube::Error::Api(Box::new(Status::failure("m", reason).with_code(code)))
    }

    #[test]
    fn conflicts_are_known_by_reason() {
        assert!(is_conflict(&api_error(409, "Conflict")));
        assert!(is_conflict(&api_error(409, "AlreadyExists")));
        assert!(!is_conflict(&api_error(409, "Forbidden")), "a known other reason");
        assert!(!is_conflict(&api_error(422, "Invalid")));
        assert!(is_not_found(&api_error(404, "NotFound")));
    }

    #[tokio::test]
    async fn conflicts_are_retried_up_to_the_limit() {
        let tries = std::cell::Cell::new(0);
        let r: Result<(), usize> = retry_on_conflict(
            |e: &usize| *e == 409,
            |attempt| {
                tries.set(attempt);
                async { Err(409) }
            },
        )
        .await;
        assert_eq!((r, tries.get()), (Err(409), WRITE_ATTEMPTS));
        let r: Result<usize, usize> =
            retry_on_conflict(|e: &usize| *e == 409, |a| async move { if a < 3 { Err(409) } else { Ok(a) } })
                .await;
        assert_eq!(r, Ok(3));
        let r: Result<(), usize> = retry_on_conflict(|e: &usize| *e == 409, |_| async { Err(500) }).await;
        assert_eq!(r, Err(500));
    }
}
