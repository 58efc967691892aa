//! Placeholder until the runner lands (issue 5).
fn main() {}
