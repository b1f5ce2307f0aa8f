//! What a push asks of the remote: refs to set or delete, each only if it still has the value
//! the write was based on (git's `--force-with-lease`, per ref).

use git2::Oid;

use crate::git::error::GitError;

/// What a ref must look like on the remote for an update to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The ref must not exist.
    Absent,
    /// The ref must point at this object.
    Is(Oid),
}

impl Expect {
    /// `Is(oid)` or `Absent`.
    pub(crate) fn value(oid: Option<Oid>) -> Self {
        oid.map_or(Self::Absent, Self::Is)
    }

    /// The object the ref must point at (`None`: it must be absent).
    pub(crate) fn target(self) -> Option<Oid> {
        match self {
            Self::Absent => None,
            Self::Is(oid) => Some(oid),
        }
    }

    /// Whether a ref currently at `found` meets the expectation.
    pub(crate) fn allows(self, found: Option<Oid>) -> bool {
        found == self.target()
    }
}

/// One ref to set or delete on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefUpdate {
    /// Remote ref name (`refs/heads/…`, `refs/tags/…`).
    pub(crate) remote_ref: String,
    /// New value; `None` deletes the ref.
    pub(crate) new: Option<Oid>,
    /// Required current value.
    pub(crate) expect: Expect,
}

impl RefUpdate {
    /// Set `remote_ref` to `new` if it currently is `expect`.
    pub(crate) fn set(remote_ref: impl Into<String>, new: Oid, expect: Expect) -> Self {
        Self { remote_ref: remote_ref.into(), new: Some(new), expect }
    }

    /// Delete `remote_ref` if it currently is `expect`.
    pub(crate) fn delete(remote_ref: impl Into<String>, expect: Expect) -> Self {
        Self { remote_ref: remote_ref.into(), new: None, expect }
    }

    /// The [`GitError::Conflict`] of this update finding the remote ref at `found`.
    pub(crate) fn conflict(&self, found: Option<Oid>) -> GitError {
        let show = |oid: Option<Oid>| oid.map_or_else(|| "absent".to_string(), |o| o.to_string());
        GitError::Conflict {
            refname: self.remote_ref.clone(),
            expected: show(self.expect.target()),
            found: show(found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        assert!(Expect::Absent.allows(None) && !Expect::Absent.allows(Some(a)));
        assert!(
            Expect::Is(a).allows(Some(a)) && !Expect::Is(a).allows(Some(b)) && !Expect::Is(a).allows(None)
        );
        assert_eq!(Expect::value(None), Expect::Absent);
    }
}
