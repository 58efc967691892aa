//! Integration tests of the compiler: one test binary (faster to link), one
//! module per area.

mod agreement;
mod cli;
mod corpus;
mod dependencies;
mod e2e;
mod environments;
mod gitops;
mod hardening;
mod msrv;
mod network;
mod overlap;
mod plan_comment;
mod plan_resolve;
mod pod;
mod policy;
mod render;
mod retire;
mod roundtrip;
mod runner_contract;
mod status;
mod support;
mod template_errors;
mod tls;
mod trust;
mod version;
mod walkthrough;
