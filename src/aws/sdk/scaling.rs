//! Application Auto Scaling on the SDK.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_applicationautoscaling as aas;

use super::{invalid, send};
use crate::aws::limits::RateLimits;
use crate::aws::{self as aws, AwsError, AwsOp, ErrorKind};
use crate::plan::model::*;

/// Application Auto Scaling on the SDK.
pub struct SdkScaling(pub aas::Client, pub Arc<RateLimits>);

const ECS_NS: aas::types::ServiceNamespace = aas::types::ServiceNamespace::Ecs;
const DESIRED_COUNT: aas::types::ScalableDimension =
    aas::types::ScalableDimension::EcsServiceDesiredCount;

/// Whether an Application Auto Scaling item (scalable target, scaling policy or scheduled
/// action) is the one of the ECS service `resource_id`: the same ResourceId exactly, in the
/// `ecs` namespace, on `ecs:service:DesiredCount`. Real AWS filters this way already; the
/// check holds whatever the backend's filter does.
fn belongs_to(
    resource_id: &str,
    item_resource_id: &str,
    namespace: &aas::types::ServiceNamespace,
    dimension: Option<&aas::types::ScalableDimension>,
) -> bool {
    item_resource_id == resource_id && *namespace == ECS_NS && dimension == Some(&DESIRED_COUNT)
}

const DESCRIBE_TARGETS: AwsOp = AwsOp::DescribeScalableTargets;
const DESCRIBE_POLICIES: AwsOp = AwsOp::DescribeScalingPolicies;
const DESCRIBE_ACTIONS: AwsOp = AwsOp::DescribeScheduledActions;

/// At most this many pages of one Describe call; a backend that keeps answering with a next
/// token is an error, not a loop.
const MAX_PAGES: usize = 100;

/// Every item of the paginated call `operation`: `fetch` gets the next token (None first) and
/// returns a page's items and its next token.
async fn pages<T, F, Fut>(op: AwsOp, mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Option<Vec<T>>, Option<String>), AwsError>>,
{
    let mut all = vec![];
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let (items, next) = fetch(token).await?;
        all.extend(items.unwrap_or_default());
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(all),
        }
    }
    Err(AwsError::new(
        ErrorKind::Transient,
        op,
        format!("still paginating after {MAX_PAGES} pages"),
    ))
}

impl SdkScaling {
    /// Every page of DescribeScalableTargets for `resource_id`.
    async fn targets(
        &self,
        resource_id: &str,
    ) -> Result<Vec<aas::types::ScalableTarget>, AwsError> {
        pages(DESCRIBE_TARGETS, |token| async move {
            let page = send(
                &self.1,
                DESCRIBE_TARGETS,
                self.0
                    .describe_scalable_targets()
                    .service_namespace(ECS_NS)
                    .resource_ids(resource_id)
                    .scalable_dimension(DESIRED_COUNT)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            let next = page.next_token().map(str::to_owned);
            Ok((page.scalable_targets, next))
        })
        .await
    }

    /// Every page of DescribeScalingPolicies for `resource_id`.
    async fn policies(
        &self,
        resource_id: &str,
    ) -> Result<Vec<aas::types::ScalingPolicy>, AwsError> {
        pages(DESCRIBE_POLICIES, |token| async move {
            let page = send(
                &self.1,
                DESCRIBE_POLICIES,
                self.0
                    .describe_scaling_policies()
                    .service_namespace(ECS_NS)
                    .resource_id(resource_id)
                    .scalable_dimension(DESIRED_COUNT)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            let next = page.next_token().map(str::to_owned);
            Ok((page.scaling_policies, next))
        })
        .await
    }

    /// Every page of DescribeScheduledActions for `resource_id`.
    async fn scheduled_actions(
        &self,
        resource_id: &str,
    ) -> Result<Vec<aas::types::ScheduledAction>, AwsError> {
        pages(DESCRIBE_ACTIONS, |token| async move {
            let page = send(
                &self.1,
                DESCRIBE_ACTIONS,
                self.0
                    .describe_scheduled_actions()
                    .service_namespace(ECS_NS)
                    .resource_id(resource_id)
                    .scalable_dimension(DESIRED_COUNT)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
            let next = page.next_token().map(str::to_owned);
            Ok((page.scheduled_actions, next))
        })
        .await
    }
}

/// A target-tracking policy on a predefined metric (the only kind the operator puts), by
/// name; other policies are `None`.
fn target_tracking_from_sdk(p: &aas::types::ScalingPolicy) -> Option<(String, TargetTrackingDef)> {
    let c = p.target_tracking_scaling_policy_configuration()?;
    let m = c.predefined_metric_specification()?;
    Some((
        p.policy_name().to_owned(),
        TargetTrackingDef {
            metric: m.predefined_metric_type().as_str().to_owned(),
            resource_label: m.resource_label().map(str::to_owned),
            target_value: c.target_value(),
            scale_in_cooldown: c.scale_in_cooldown().unwrap_or_default(),
            scale_out_cooldown: c.scale_out_cooldown().unwrap_or_default(),
        },
    ))
}

/// A scheduled action, by name.
fn scheduled_action_from_sdk(a: &aas::types::ScheduledAction) -> (String, ScheduledActionDef) {
    let target = a.scalable_target_action();
    (
        a.scheduled_action_name().to_owned(),
        ScheduledActionDef {
            schedule: a.schedule().to_owned(),
            timezone: a.timezone().map(str::to_owned),
            min_capacity: target.and_then(|t| t.min_capacity()),
            max_capacity: target.and_then(|t| t.max_capacity()),
        },
    )
}

#[async_trait]
impl aws::Scaling for SdkScaling {
    async fn describe(&self, resource_id: &str) -> Result<ObservedScaling, AwsError> {
        // Every item is checked against `resource_id` here, whatever the request filtered
        // by: scaling policies and scheduled actions carry no ownership tags, so their
        // ResourceId is the only proof they are this service's, and a backend that
        // matches the filter loosely (moto matches DescribeScalingPolicies' ResourceId as
        // a substring) would otherwise hand `service/c/app9` the items of
        // `service/c/app99`, which the planner would then delete.
        let targets = self.targets(resource_id).await?;
        let Some(target) = targets.iter().find(|t| {
            belongs_to(
                resource_id,
                t.resource_id(),
                t.service_namespace(),
                Some(t.scalable_dimension()),
            )
        }) else {
            return Ok(ObservedScaling::default());
        };
        let policies = self.policies(resource_id).await?;
        let actions = self.scheduled_actions(resource_id).await?;
        Ok(ObservedScaling {
            target: Some((target.min_capacity(), target.max_capacity())),
            policies: policies
                .iter()
                .filter(|p| {
                    belongs_to(
                        resource_id,
                        p.resource_id(),
                        p.service_namespace(),
                        Some(p.scalable_dimension()),
                    )
                })
                .filter_map(target_tracking_from_sdk)
                .collect(),
            scheduled_actions: actions
                .iter()
                .filter(|a| {
                    belongs_to(
                        resource_id,
                        a.resource_id(),
                        a.service_namespace(),
                        a.scalable_dimension(),
                    )
                })
                .map(scheduled_action_from_sdk)
                .collect(),
        })
    }

    async fn register_scalable_target(
        &self,
        resource_id: &str,
        min: i32,
        max: i32,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::RegisterScalableTarget,
            self.0
                .register_scalable_target()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .min_capacity(min)
                .max_capacity(max)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeregisterScalableTarget,
            self.0
                .deregister_scalable_target()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
        policy: &TargetTrackingDef,
    ) -> Result<(), AwsError> {
        const OP: AwsOp = AwsOp::PutScalingPolicy;
        use aas::types as t;
        let metric = t::PredefinedMetricSpecification::builder()
            .predefined_metric_type(t::MetricType::from(policy.metric.as_str()))
            .set_resource_label(policy.resource_label.clone())
            .build()
            .map_err(|e| invalid(OP, e))?;
        let config = t::TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(policy.target_value)
            .predefined_metric_specification(metric)
            .scale_in_cooldown(policy.scale_in_cooldown)
            .scale_out_cooldown(policy.scale_out_cooldown)
            .build()
            .map_err(|e| invalid(OP, e))?;
        send(
            &self.1,
            OP,
            self.0
                .put_scaling_policy()
                .policy_name(name)
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .policy_type(t::PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(config)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteScalingPolicy,
            self.0
                .delete_scaling_policy()
                .policy_name(name)
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_scheduled_action(
        &self,
        resource_id: &str,
        name: &str,
        action: &ScheduledActionDef,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::PutScheduledAction,
            self.0
                .put_scheduled_action()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .scheduled_action_name(name)
                .schedule(&action.schedule)
                .set_timezone(action.timezone.clone())
                .scalable_target_action(
                    aas::types::ScalableTargetAction::builder()
                        .set_min_capacity(action.min_capacity)
                        .set_max_capacity(action.max_capacity)
                        .build(),
                )
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteScheduledAction,
            self.0
                .delete_scheduled_action()
                .service_namespace(ECS_NS)
                .resource_id(resource_id)
                .scalable_dimension(DESIRED_COUNT)
                .scheduled_action_name(name)
                .send(),
        )
        .await
        .map(drop)
    }
}
