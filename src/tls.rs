//! The process's one TLS crypto provider.
//!
//! Both HTTPS clients of the operator use rustls 0.23: kube's (hyper-rustls) and the AWS SDK's
//! (aws-smithy-http-client). The AWS SDK always brings rustls's `aws-lc-rs` provider and hands
//! it to rustls explicitly; kube asks rustls for the *process default* provider. rustls picks
//! that default by itself only when exactly one provider is compiled in: with kube built on
//! `ring` as well, building the kube client panicked ("Could not automatically determine the
//! process-level CryptoProvider from Rustls crate features").
//!
//! The operator therefore uses **aws-lc-rs** everywhere:
//! - kube is built with its `aws-lc-rs` feature, not `ring` (Cargo.toml), so rustls 0.23 has
//!   one provider and kube's own client builder installs aws-lc-rs when no default is set;
//! - [`install_crypto_provider`] makes aws-lc-rs the process default explicitly. `main`, the
//!   controller's start-up ([`crate::controller::run::run`]) and the AWS client constructors
//!   ([`crate::aws::sdk`]) call it first, so a dependency that one day switches rustls's `ring`
//!   feature back on cannot bring the panic back on any of those paths.
//!
//! (The `ring` crate is still compiled, for the AWS SDK's legacy rustls 0.21 client, which has no
//! process-level provider.)

use rustls::crypto::CryptoProvider;

/// Makes aws-lc-rs the process's default rustls crypto provider, unless one is installed
/// already (by an earlier call, by kube, or by a program embedding this library): then that
/// one stays. Cheap; call it before building any kube or AWS client.
pub fn install_crypto_provider() {
    if CryptoProvider::get_default().is_none() {
        // Err only when another thread installed a default in between; that one stays.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}
