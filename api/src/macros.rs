//! Code generators shared by the type modules: string enums that keep unknown values, and the
//! top-level object/list pairs of the aggregated API.

/// A string enum with the given known values plus `Other(String)` for anything else, so that a
/// request carrying an unknown value still deserialises and validation can report it with
/// Porch's message. Its JSON schema is `type: string` with the known values as `enum`.
/// An optional `default = Variant;` after the enum implements `Default`.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
        $( default = $default:ident; )?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($value),+];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )+
                    Self::Other(s) => s,
                }
            }

            /// Whether this is one of the known values (not [`Self::Other`]).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        $(
            impl Default for $name {
                fn default() -> Self {
                    Self::$default
                }
            }
        )?

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $value => Self::$variant, )+
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(de)?;
                Ok(Self::from(s))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "enum": [$($value),+],
                })
            }
        }
    };
}

/// A namespaced object of the aggregated API (`apiVersion`, `kind`, `metadata`, `spec`,
/// `status`) and its list type, with the `k8s_openapi` traits (hence `kube::Resource`).
///
/// `spec` and `status` are always serialised, as Go does for non-pointer structs; `apiVersion`
/// and `kind` are always written from the constants and ignored on input.
macro_rules! aggregated_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident;
        $(#[$list_meta:meta])*
        pub struct $list:ident;
        info = $info:path,
        spec = $spec:ty,
        status = $status:ty $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, schemars::JsonSchema)]
        #[serde(default, rename_all = "camelCase")]
        #[schemars(transform = crate::object::add_type_meta)]
        pub struct $name {
            /// Standard object metadata.
            pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
            /// The desired state.
            pub spec: $spec,
            /// The observed state.
            pub status: $status,
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut obj = ser.serialize_struct(stringify!($name), 5)?;
                obj.serialize_field("apiVersion", $info.api_version)?;
                obj.serialize_field("kind", $info.kind)?;
                obj.serialize_field("metadata", &self.metadata)?;
                obj.serialize_field("spec", &self.spec)?;
                obj.serialize_field("status", &self.status)?;
                obj.end()
            }
        }

        impl k8s_openapi::Resource for $name {
            const API_VERSION: &'static str = $info.api_version;
            const GROUP: &'static str = $info.group;
            const KIND: &'static str = $info.kind;
            const VERSION: &'static str = $info.version;
            const URL_PATH_SEGMENT: &'static str = $info.plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::ListableResource for $name {
            const LIST_KIND: &'static str = $info.list_kind;
        }

        impl k8s_openapi::Metadata for $name {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }

        $(#[$list_meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, schemars::JsonSchema)]
        #[serde(default, rename_all = "camelCase")]
        #[schemars(transform = crate::object::add_type_meta)]
        pub struct $list {
            /// Standard list metadata.
            pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta,
            /// The objects.
            pub items: Vec<$name>,
        }

        impl serde::Serialize for $list {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut obj = ser.serialize_struct(stringify!($list), 4)?;
                obj.serialize_field("apiVersion", $info.api_version)?;
                obj.serialize_field("kind", $info.list_kind)?;
                obj.serialize_field("metadata", &self.metadata)?;
                obj.serialize_field("items", &self.items)?;
                obj.end()
            }
        }

        impl k8s_openapi::Resource for $list {
            const API_VERSION: &'static str = $info.api_version;
            const GROUP: &'static str = $info.group;
            const KIND: &'static str = $info.list_kind;
            const VERSION: &'static str = $info.version;
            const URL_PATH_SEGMENT: &'static str = "";
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $list {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }
    };
}
