//! Integration tests of the compiler: one test binary (faster to link), one
//! module per area.

mod agreement;
mod cli;
mod corpus;
mod render;
mod support;
