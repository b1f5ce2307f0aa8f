//! Creating a review object (TokenReview, SubjectAccessReview) in the cluster: one deadline for
//! the whole call, and transient failures retried with backoff, as kube's webhook clients do.

use kube::api::{Api, PostParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::time::Duration;

/// How long a review may take in all, retries included (kube's `ClientTimeout` and
/// `TokenRequestTimeout`, 10 s).
pub(crate) const REVIEW_TIMEOUT: Duration = Duration::from_secs(10);

/// The waits between attempts (kube's webhook backoff: 500 ms, ×1.5, five attempts).
const BACKOFF: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_millis(750),
    Duration::from_millis(1125),
    Duration::from_millis(1688),
];

/// A review that could not be created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReviewError {
    /// The cluster refused the review, or could not be reached.
    #[error("failed to create a {kind}: {message}")]
    Failed {
        /// `TokenReview` or `SubjectAccessReview`.
        kind: &'static str,
        /// What went wrong (the cluster's Status message, or the transport error).
        message: String,
    },
    /// No answer within [`REVIEW_TIMEOUT`].
    #[error("failed to create a {kind}: no answer within {}s", REVIEW_TIMEOUT.as_secs())]
    TimedOut {
        /// `TokenReview` or `SubjectAccessReview`.
        kind: &'static str,
    },
}

/// Creates `review` through `api` and returns the cluster's answer (the object with its status).
///
/// # Errors
/// [`ReviewError`] when the last attempt failed or the deadline passed.
pub(crate) async fn create<K>(api: &Api<K>, review: &K, kind: &'static str) -> Result<K, ReviewError>
where
    K: Clone + Serialize + DeserializeOwned + Debug,
{
    let attempts = async {
        let mut waits = BACKOFF.iter();
        loop {
            match api.create(&PostParams::default(), review).await {
                Ok(answer) => return Ok(answer),
                Err(e) => match waits.next() {
                    Some(wait) if transient(&e) => {
                        tracing::debug!(kind, error = %describe(&e), "review failed; retrying");
                        tokio::time::sleep(*wait).await;
                    }
                    _ => return Err(ReviewError::Failed { kind, message: describe(&e) }),
                },
            }
        }
    };
    tokio::time::timeout(REVIEW_TIMEOUT, attempts).await.unwrap_or(Err(ReviewError::TimedOut { kind }))
}

/// Whether another attempt may succeed: the connection failed, or the cluster answered 429,
/// 500, 503 or 504 (kube's `DefaultShouldRetry` also retries whatever carries `Retry-After`).
fn transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(status) => matches!(status.code, 429 | 500 | 503 | 504),
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// The cluster's message for an API error; the error itself otherwise.
fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    }
}
