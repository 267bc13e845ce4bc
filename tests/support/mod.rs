//! What every test binary and the benches share. Tests declare `mod support;`; the benches
//! include this same module (`#[path = "../tests/support/mod.rs"] mod support;`), so there
//! is one copy of each helper. It stays out of the library: it leans on dev-dependencies
//! (tower-test, http-body-util) and on the test doubles behind the `test-util` feature.
//! Each binary uses a part of it.

#[allow(dead_code)]
pub mod apiserver;
#[allow(dead_code)]
pub mod benchmarks;
#[allow(dead_code)]
pub mod crash;
#[allow(dead_code)]
pub mod examples;
#[allow(dead_code)]
pub mod moto;
#[allow(dead_code)]
pub mod results;
#[allow(dead_code)]
pub mod sim;
