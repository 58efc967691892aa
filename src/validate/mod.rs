//! Stage "validate" (compiler only): what the compiler holds a read spec to
//! beyond the reader's own rules.
//!
//! Each file against the published JSON Schema ([`schema`], passed to the
//! reader as its [`SchemaCheck`](crate::read::SchemaCheck)), and the specs
//! against each other: one request, one spec ([`conflicts`]), and no two
//! specs over the same partitions ([`overlap`]).

pub mod conflicts;
pub mod overlap;
pub mod schema;

pub use schema::SchemaValidator;
