//! Integration tests of the compiler: one test binary (faster to link), one
//! module per area.

mod agreement;
mod cli;
mod corpus;
mod e2e;
mod gitops;
mod hardening;
mod network;
mod policy;
mod render;
mod runner_contract;
mod support;
mod walkthrough;
