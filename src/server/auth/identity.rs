//! The user a request was authenticated as, and the well-known names Kubernetes gives to groups
//! and users that authentication itself assigns.

use porch_layers::UserInfo;
use std::collections::BTreeMap;

/// The user of a request that was not authenticated (kube's `user.Anonymous`).
pub(crate) const ANONYMOUS: &str = "system:anonymous";
/// The group of [`ANONYMOUS`] (kube's `user.AllUnauthenticated`).
pub(crate) const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The group kube's authenticators add to every authenticated user (`user.AllAuthenticated`).
pub(crate) const AUTHENTICATED: &str = "system:authenticated";
/// The group an extension server allows everything without asking (kube's delegating
/// authorizer's default `AlwaysAllowGroups`): kube-apiserver allows it everything anyway.
pub(crate) const MASTERS: &str = "system:masters";
/// The `extra` key under which kube records which credential authenticated a user.
pub(crate) const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";

/// Who made a request, as kube's `user.Info`: put in the request's extensions next to the
/// [`UserInfo`] the handler reads, for code that needs the uid or the extra values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The user name; never empty for an authenticated user.
    pub(crate) username: String,
    /// The user's uid, empty when the authenticator did not give one.
    pub(crate) uid: String,
    /// The groups, in the order the authenticator gave them.
    pub(crate) groups: Vec<String>,
    /// Extra values (scopes, credential ids, …) by key.
    pub(crate) extra: BTreeMap<String, Vec<String>>,
}

impl Identity {
    /// A user with a name and nothing else.
    pub(crate) fn named(username: impl Into<String>) -> Self {
        Self { username: username.into(), ..Self::default() }
    }

    /// `system:anonymous` in `system:unauthenticated`.
    pub(crate) fn anonymous() -> Self {
        Self { username: ANONYMOUS.into(), groups: vec![UNAUTHENTICATED.into()], ..Self::default() }
    }

    /// The identity with [`AUTHENTICATED`] appended to its groups, as kube's
    /// `AuthenticatedGroupAdder` does for every authenticated user: unless the user is
    /// [`ANONYMOUS`] or already in [`AUTHENTICATED`] or [`UNAUTHENTICATED`].
    #[must_use]
    pub(crate) fn with_authenticated_group(mut self) -> Self {
        let marked = self.groups.iter().any(|g| g == AUTHENTICATED || g == UNAUTHENTICATED);
        if self.username != ANONYMOUS && !marked {
            self.groups.push(AUTHENTICATED.into());
        }
        self
    }

    /// Whether the user is in `group`.
    pub(crate) fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// The name and groups, as the handler reads them.
    pub(crate) fn user_info(&self) -> UserInfo {
        UserInfo { username: self.username.clone(), groups: self.groups.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticated_group_is_added_once() {
        let id = Identity { groups: vec!["dev".into()], ..Identity::named("alice") };
        let id = id.with_authenticated_group();
        assert_eq!(id.groups, ["dev", AUTHENTICATED]);
        assert_eq!(id.clone().with_authenticated_group(), id);
    }

    #[test]
    fn anonymous_and_unauthenticated_users_get_no_authenticated_group() {
        assert_eq!(Identity::anonymous().with_authenticated_group(), Identity::anonymous());
        let forwarded = Identity::named(ANONYMOUS).with_authenticated_group();
        assert!(forwarded.groups.is_empty());
        let id = Identity { groups: vec![UNAUTHENTICATED.into()], ..Identity::named("x") };
        assert_eq!(id.clone().with_authenticated_group(), id);
    }
}
