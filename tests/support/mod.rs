// Each test binary uses a part of the support code.
#[allow(dead_code)]
pub mod apiserver;
#[allow(dead_code)]
pub mod crash;
#[allow(dead_code)]
pub mod moto;
