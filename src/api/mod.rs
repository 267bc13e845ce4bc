//! The public contract: CRD types, conditions, validation. No I/O.

pub mod conditions;
pub mod containers;
pub mod ebs;
pub mod fargateservice;
pub mod fargatetask;
pub mod gateway;
pub mod images;
pub mod monitoring;
pub mod names;
pub mod patterns;
pub mod predeploy;
pub mod restart;
pub mod s3files;
pub mod schedule;
pub mod service_connect;
pub mod taskdefinition;
pub mod tenant;
pub mod validation;

pub use conditions::{condition_types, reasons};
pub use fargateservice::{FargateService, FargateServiceSpec, FargateServiceStatus};
pub use fargatetask::{FargateTask, FargateTaskSpec, FargateTaskStatus};
// The ARN parser the AWS adapters and the in-memory stand-in share (`crate::api::revision_of_arn`).
pub use names::revision_of_arn;
pub use taskdefinition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};
pub use tenant::{FargateTenant, FargateTenantSpec, FargateTenantStatus};
pub use validation::{FieldError, ValidationErrors};

/// API group of every kind.
pub const GROUP: &str = "ecs.fargate.dev";
/// API version of every kind.
pub const VERSION: &str = "v1alpha1";

/// Tag naming the owning object (`namespace/name`) on every AWS resource the operator creates.
pub const OWNER_TAG: &str = "ecs.fargate.dev/owner";
/// Tag carrying the owning object's UID.
pub const UID_TAG: &str = "ecs.fargate.dev/uid";
/// Tag carrying the hash of the normalised spec a task-definition revision was registered from.
pub const SPEC_HASH_TAG: &str = "ecs.fargate.dev/spec-hash";
/// Tag on an ECS service recording the last `restartedAt` annotation value acted on, as a
/// short hash of it (`pending:<hash>` while its deployment is being forced).
pub const RESTARTED_AT_TAG: &str = "ecs.fargate.dev/restarted-at";
/// Tag carrying the `metadata.generation` a task-definition revision was registered for.
pub const GENERATION_TAG: &str = "ecs.fargate.dev/generation";
/// Tag on clusters the operator created (clusters are shared, so they name no owner).
pub const MANAGED_BY_TAG: &str = "ecs.fargate.dev/managed-by";
/// Tag on an ECS service whose service revision the operator reads (DescribeServiceRevisions)
/// because the spec sets, or the revision still has, settings only a revision reports
/// (`monitoring`): services without it cost no extra read.
pub const REVISION_SETTINGS_TAG: &str = "ecs.fargate.dev/revision-settings";
/// Tag prefix reserved for the operator; users may not set tags under it.
pub const RESERVED_TAG_PREFIX: &str = "ecs.fargate.dev/";

/// Tag on an ECS task naming the attempt of its run it was started for (`1` first).
pub const ATTEMPT_TAG: &str = "ecs.fargate.dev/attempt";
/// Tag on the tasks a scheduled FargateTask's schedule starts: the schedule's name (what
/// tells them from the object's one-off runs).
pub const SCHEDULE_TAG: &str = "ecs.fargate.dev/schedule";
/// Tag on a FargateService's preDeploy task naming the revision whose rollout it gates
/// (`family:revision`).
pub const PRE_DEPLOY_TAG: &str = "ecs.fargate.dev/pre-deploy-for";

/// Annotation: `"true"` lets an object adopt an existing ECS service it does not own.
pub const ADOPT_ANNOTATION: &str = "ecs.fargate.dev/adopt";
/// Annotation: a changed value forces a new ECS deployment (like `kubectl rollout restart`).
pub const RESTARTED_AT_ANNOTATION: &str = "ecs.fargate.dev/restartedAt";

/// Annotation: pins a FargateService to this revision number of its TaskDefinition's family
/// (a one-step rollback); takes precedence over `spec.taskDefinitionRef.revision`.
pub const ROLLBACK_TO_ANNOTATION: &str = "ecs.fargate.dev/rollback-to";

/// Finalizer guarding the AWS resources an object owns.
pub const FINALIZER: &str = "ecs.fargate.dev/cleanup";
/// The one field manager used for server-side apply.
pub const FIELD_MANAGER: &str = "fargate-operator";
