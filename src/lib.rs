//! fargate-operator: run containers on Amazon ECS/Fargate by writing Kubernetes objects.
//!
//! Data flows one way: observe → plan → act → report. [`api`] is the public contract,
//! [`plan`] the pure planner.
#![forbid(unsafe_code)]
#![deny(rust_2018_idioms)]

pub mod api;
pub mod aws;
pub mod batch;
pub mod cli;
pub mod controller;
pub mod crdgen;
pub mod engine;
pub mod manifests;
pub mod metrics;
pub mod plan;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod tls;
pub mod util;
