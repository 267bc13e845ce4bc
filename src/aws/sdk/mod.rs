//! The AWS traits on the AWS SDK for Rust, one file per service (`ecs.rs`, `iam.rs`,
//! `logs.rs`, `scaling.rs`, `elbv2.rs`, `scheduler.rs`), with the ECS conversions between the planner's
//! types and the SDK's in `ecs_convert.rs`. Every request goes through `send`: one
//! rate-limit token, one tracing span and one classified [`AwsError`], all named by its
//! [`AwsOp`].

mod ecs;
mod ecs_convert;
mod ecs_tasks;
mod elbv2;
mod iam;
mod logs;
mod scaling;
mod scheduler;

use std::future::Future;
use std::sync::Arc;

use aws_sdk_applicationautoscaling as aas;
use aws_sdk_cloudwatchlogs as cwl;
use aws_sdk_ecs as ecs_sdk;
use aws_sdk_elasticloadbalancingv2 as elbv2_sdk;
use aws_sdk_iam as iam_sdk;
use aws_sdk_scheduler as scheduler_sdk;
use tracing::Instrument;

use super::error::from_sdk;
use super::limits::{Limits, RateLimits};
use super::{Aws, AwsError, AwsOp, ErrorKind};

pub use ecs::SdkEcs;
pub use elbv2::{resource_label, SdkElb};
pub use iam::SdkIam;
pub use logs::SdkLogs;
pub use scaling::SdkScaling;
pub use scheduler::SdkScheduler;

/// Where and how to reach AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// Region; None uses the standard chain (`AWS_REGION`, profile, IMDS).
    pub region: Option<String>,
    /// Endpoint for every service (a local emulator); None uses `AWS_ENDPOINT_URL` or AWS.
    pub endpoint_url: Option<String>,
    /// Client-side rate limits per API category.
    pub limits: Limits,
}

/// Loads the standard credential chain and region, and builds the SDK clients.
///
/// The SDK makes one attempt per request, bounded in time: retrying is the caller's
/// ([`Aws::retried`]), so that every attempt waits for a rate-limit token and one policy
/// decides which failures are safe to repeat.
pub async fn connect(settings: &AwsSettings) -> (Aws, String) {
    let (conf, region) = load(settings).await;
    let limits = Arc::new(RateLimits::new(&settings.limits));
    (from_config_limited(&conf, limits), region)
}

/// [`connect`], and FargateTenants' accounts and regions made from the same configuration
/// ([`SdkConnector`]).
pub async fn connect_accounts(settings: &AwsSettings) -> (super::accounts::Accounts, String) {
    let (conf, region) = load(settings).await;
    let limits = Arc::new(RateLimits::new(&settings.limits));
    let own = from_config_limited(&conf, limits);
    let connector = SdkConnector::new(conf, settings.limits.clone());
    (
        super::accounts::Accounts::new(own, Some(Arc::new(connector))),
        region,
    )
}

/// The standard credential chain and region, with `settings` applied.
async fn load(settings: &AwsSettings) -> (aws_config::SdkConfig, String) {
    crate::tls::install_crypto_provider();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_attempt_timeout(std::time::Duration::from_secs(30))
                .build(),
        );
    if let Some(r) = &settings.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(e) = &settings.endpoint_url {
        loader = loader.endpoint_url(e.clone());
    }
    let conf = loader.load().await;
    let region = conf
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    (conf, region)
}

/// Makes the SDK clients of a FargateTenant's account and region from the operator's own
/// configuration (its endpoint, timeouts and retry settings): the tenant's region, and its
/// role assumed with STS (session name `fargate-operator`). The SDK caches the role's
/// credentials and refreshes them before they expire.
pub struct SdkConnector {
    base: aws_config::SdkConfig,
    limits: Limits,
}

impl SdkConnector {
    /// Connects scopes from `base` (the operator's own configuration); each scope gets its
    /// own rate limits of `limits`.
    pub fn new(base: aws_config::SdkConfig, limits: Limits) -> Self {
        Self { base, limits }
    }
}

impl super::accounts::Connect for SdkConnector {
    fn connect<'a>(
        &'a self,
        scope: &'a super::accounts::Scope,
    ) -> futures::future::BoxFuture<'a, Result<Aws, String>> {
        Box::pin(async move {
            use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
            let mut conf = self.base.to_builder();
            let region = scope
                .region
                .clone()
                .map(aws_config::Region::new)
                .or_else(|| self.base.region().cloned());
            conf.set_region(region.clone());
            if let Some(role) = &scope.role_arn {
                let mut assume = aws_config::sts::AssumeRoleProvider::builder(role)
                    .session_name("fargate-operator")
                    .configure(&self.base);
                if let Some(r) = region {
                    assume = assume.region(r);
                }
                if let Some(id) = &scope.external_id {
                    assume = assume.external_id(id);
                }
                let provider = assume.build().await;
                // Assumed now, so a role that cannot be assumed is reported once, naming it,
                // rather than as every call's failure.
                provider.provide_credentials().await.map_err(|e| {
                    format!(
                        "assuming {role}: {}",
                        ecs_sdk::error::DisplayErrorContext(&e)
                    )
                })?;
                conf.set_credentials_provider(Some(SharedCredentialsProvider::new(provider)));
            }
            let limits = Arc::new(RateLimits::new(&self.limits));
            Ok(from_config_limited(&conf.build(), limits))
        })
    }
}

/// The SDK clients of one shared configuration, with the default client-side rate limits.
pub fn from_config(conf: &aws_config::SdkConfig) -> Aws {
    from_config_limited(conf, Arc::new(RateLimits::new(&Limits::default())))
}

/// The SDK clients of one shared configuration; every request first waits for a token of
/// its category in `limits`.
pub fn from_config_limited(conf: &aws_config::SdkConfig, limits: Arc<RateLimits>) -> Aws {
    crate::tls::install_crypto_provider();
    Aws {
        ecs: Arc::new(SdkEcs(ecs_sdk::Client::new(conf), limits.clone())),
        iam: Arc::new(SdkIam(iam_sdk::Client::new(conf), limits.clone())),
        logs: Arc::new(SdkLogs(cwl::Client::new(conf), limits.clone())),
        scaling: Arc::new(SdkScaling(aas::Client::new(conf), limits.clone())),
        elb: Arc::new(SdkElb(elbv2_sdk::Client::new(conf), limits.clone())),
        scheduler: Arc::new(SdkScheduler(scheduler_sdk::Client::new(conf), limits)),
    }
}

/// Sends one SDK request inside a span, classifying its error, once its rate-limit bucket
/// has a token.
pub(crate) async fn send<T, E>(
    limits: &RateLimits,
    op: AwsOp,
    request: impl Future<Output = Result<T, ecs_sdk::error::SdkError<E>>>,
) -> Result<T, AwsError>
where
    E: ecs_sdk::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    limits.acquire(op).await;
    let span = tracing::debug_span!("aws", operation = op.iam_action());
    let result = request
        .instrument(span.clone())
        .await
        .map_err(|e| from_sdk(op, e));
    if let Err(e) = &result {
        span.in_scope(|| tracing::debug!(kind = ?e.kind, error = %e.message, "AWS call failed"));
    }
    result
}

/// NotFound → None.
pub(crate) fn found<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The request was refused as invalid before (or after) it reached AWS.
pub(crate) fn invalid(op: AwsOp, e: impl std::fmt::Display) -> AwsError {
    AwsError::new(ErrorKind::Invalid, op, e.to_string())
}
