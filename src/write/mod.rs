//! Stage "write": from what `out/` holds to what it should hold.
//!
//! Every spec is rendered every time, and a file is current only when its
//! bytes are exactly the rendered ones: [`existing`](mod@existing) reads what `out/` holds,
//! [`changes`](mod@changes) compares it with what was rendered, and [`apply`](mod@apply) makes
//! `out/` hold the result, under a lock and so that a render killed at any
//! point leaves a folder that still builds. [`repository`] keeps all of it
//! inside the repository.

pub mod apply;
pub mod changes;
pub mod existing;
pub mod repository;

pub use apply::{Applied, Lock, Staging, apply, lock, write_atomically};
pub use changes::{Change, Content, Desired, File, changes, diff};
pub use existing::{Existing, State, read_existing};
pub use repository::{leads_out_of_repository, normalize};
