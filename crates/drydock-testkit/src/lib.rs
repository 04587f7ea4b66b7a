//! Test support shared by the crates' integration tests: where the built test images are, a real
//! `docker-registry` on a loopback port, and a stub server for faults a real registry cannot produce.
#![allow(clippy::print_stdout)]

pub mod images;
pub mod registry;
