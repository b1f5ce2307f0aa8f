//! The [`Strategy`] of a resource: k8s.io/apiserver's create/update strategies and table
//! convertor over JSON objects, plus the [`Column`]s and [`TableOptions`] of Table output.
//!
//! A strategy is per resource; the layers hold it in an `Arc` and call it at fixed points:
//!
//! | method | called by | when | mutates |
//! |---|---|---|---|
//! | `prepare_for_create` / `prepare_for_update` / `prepare_for_status_update` | [`Admission`](crate::Admission) | first, on writes | the new object |
//! | `validate` / `validate_update` / `validate_status_update`, `warnings_on_*` | [`Validation`](crate::Validation) | after prepare | never |
//! | `canonicalize` | [`Canonicalize`](crate::Canonicalize) | after validation, before persist | the new object |
//! | `convert_to_table` | [`TableConversion`](crate::TableConversion) | on the way back, Table requests | never |
//! | `field_value`, `matches_fields`, `check_field_selector` | REST storage | list and watch | never |
//!
//! A strategy whose rules storage applies inside its own write transaction says so with
//! [`applied_by_storage`](Strategy::applied_by_storage); the three write layers then leave its
//! writes to storage, and only Table conversion and field selectors use it above storage.

mod definition;
mod duration;
mod table;

pub use definition::{Strategy, unknown_field};
pub use duration::human_duration;
pub use table::{Column, IncludeObject, TableList, TableOptions};

#[cfg(test)]
mod tests;
