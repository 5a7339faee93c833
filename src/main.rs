//! The `carrier-sim` command line.
fn main() {}
