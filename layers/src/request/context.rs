//! [`RequestContext`]: who asks for what, as every layer and the strategy see it.

use crate::strategy::TableOptions;

/// The Kubernetes verb of a request (the RBAC verb, not the HTTP method).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// GET of one object.
    Get,
    /// GET of a collection.
    List,
    /// GET of a collection with `watch=true`.
    Watch,
    /// POST.
    Create,
    /// PUT.
    Update,
    /// PATCH; the layers see the patched object, exactly like an update.
    Patch,
    /// DELETE of one object.
    Delete,
    /// DELETE of a collection.
    DeleteCollection,
}

impl Verb {
    /// The RBAC name, e.g. `deletecollection`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::List => "list",
            Self::Watch => "watch",
            Self::Create => "create",
            Self::Update => "update",
            Self::Patch => "patch",
            Self::Delete => "delete",
            Self::DeleteCollection => "deletecollection",
        }
    }
}

impl std::fmt::Display for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated user (`authentication/v1 UserInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// The user name, e.g. `system:admin`; empty for an anonymous request.
    pub username: String,
    /// The groups the user belongs to.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user with no groups.
    pub fn new(username: impl Into<String>) -> Self {
        Self { username: username.into(), groups: Vec::new() }
    }
}

/// Everything about a request except its objects: verb, target, user and options.
///
/// Built once by the server after routing and authentication (it is `Clone + Send + Sync +
/// 'static`, so it can ride in `http::Request` extensions until the handler builds the
/// [`StorageRequest`](crate::StorageRequest)); read, never changed, by the layers and the
/// [`Strategy`](crate::Strategy).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RequestContext {
    /// The verb.
    pub verb: Verb,
    /// The namespace of the path, `None` for cluster-scoped or all-namespaces requests.
    pub namespace: Option<String>,
    /// The object name of the path, `None` for collection requests.
    pub name: Option<String>,
    /// The subresource of the path, e.g. `status` or `approval`.
    pub subresource: Option<String>,
    /// The requesting user.
    pub user: UserInfo,
    /// `dryRun=All`: run every layer, persist nothing.
    pub dry_run: bool,
    /// The field manager of a write (`fieldManager`, else derived from the User-Agent).
    pub field_manager: Option<String>,
    /// `Some` when the client asked for a `meta.k8s.io/v1 Table`
    /// (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`).
    pub table: Option<TableOptions>,
}

impl RequestContext {
    /// A context for `verb` with everything else empty.
    pub fn new(verb: Verb) -> Self {
        Self {
            verb,
            namespace: None,
            name: None,
            subresource: None,
            user: UserInfo::default(),
            dry_run: false,
            field_manager: None,
            table: None,
        }
    }

    /// Sets the namespace.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the object name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the subresource.
    #[must_use]
    pub fn subresource(mut self, subresource: impl Into<String>) -> Self {
        self.subresource = Some(subresource.into());
        self
    }

    /// Sets the user.
    #[must_use]
    pub fn user(mut self, user: UserInfo) -> Self {
        self.user = user;
        self
    }

    /// Sets dry-run (default `false`).
    #[must_use]
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets the field manager.
    #[must_use]
    pub fn field_manager(mut self, manager: impl Into<String>) -> Self {
        self.field_manager = Some(manager.into());
        self
    }

    /// Asks for a Table response (default: none).
    #[must_use]
    pub fn table(mut self, options: TableOptions) -> Self {
        self.table = Some(options);
        self
    }

    /// Whether the request targets the `status` subresource.
    pub fn is_status(&self) -> bool {
        self.subresource.as_deref() == Some("status")
    }
}
