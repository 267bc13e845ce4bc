//! Test doubles, compiled only with the `test-util` feature (the crate's own tests and
//! benches turn it on through their dev-dependency on the crate itself), never into the
//! operator's binary:
//!
//! - [`sim`]: the in-memory AWS account model ([`SimAws`]) the planner is tested against;
//! - [`backend`]: the AWS traits on that model ([`SimBackend`]), a stand-in for the SDK;
//! - [`sim_tasks`]: the model's ECS tasks (RunTask, StopTask, and a test finishing them);
//! - [`sim_schedules`]: the model's EventBridge Scheduler schedules (and a test firing one);
//! - [`faults`]: fault injection ([`Faults`]), a call hook that makes AWS misbehave.
//!
//! They sit above every layer (they use the planner's model and the AWS traits), so no
//! layer imports them.

pub mod backend;
pub mod faults;
pub mod sim;
pub mod sim_schedules;
pub mod sim_tasks;

pub use backend::SimBackend;
pub use faults::{FaultRates, Faults, Injected};
pub use sim::{aws_fill_defaults, Inventory, SimAws, SimError};
