//! Amazon EventBridge Scheduler on the SDK: a scheduled FargateTask's schedule, with its
//! templated ECS RunTask target, in the planner's types ([`crate::plan::schedule`]).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_scheduler as sch;

use super::{found, invalid, send};
use crate::aws::limits::RateLimits;
use crate::aws::{self as aws, AwsError, AwsOp};
use crate::plan::model::{NetworkDef, RoleRef, StrategyItem, Tags};
use crate::plan::schedule::{ObservedSchedule, ScheduleBody, ScheduleTarget};

/// EventBridge Scheduler on the SDK.
pub struct SdkScheduler(pub sch::Client, pub Arc<RateLimits>);

/// The role of a body about to be sent: by ARN (the executor resolves managed roles).
fn role_arn(op: AwsOp, body: &ScheduleBody) -> Result<String, AwsError> {
    match &body.target.role {
        RoleRef::Arn(a) => Ok(a.clone()),
        RoleRef::Managed(name) => Err(invalid(
            op,
            format!("the schedule's role {name} has no ARN yet"),
        )),
    }
}

/// The task tags as Scheduler takes them: a list of `{"key": .., "value": ..}` maps.
fn tags_to_sdk(tags: &Tags) -> Vec<HashMap<String, String>> {
    tags.iter()
        .map(|(k, v)| {
            HashMap::from([
                ("key".to_owned(), k.clone()),
                ("value".to_owned(), v.clone()),
            ])
        })
        .collect()
}

/// The task tags GetSchedule returns: `{"key", "value"}` maps (each other map read as
/// `key: value` entries).
fn tags_from_sdk(tags: &[HashMap<String, String>]) -> Tags {
    let mut out = Tags::new();
    for m in tags {
        match (m.get("key"), m.get("value")) {
            (Some(k), v) if m.len() <= 2 => {
                out.insert(k.clone(), v.cloned().unwrap_or_default());
            }
            _ => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
        }
    }
    out
}

/// The target of `body` (its role already an ARN).
fn target_to_sdk(op: AwsOp, body: &ScheduleBody) -> Result<sch::types::Target, AwsError> {
    let t = &body.target;
    let vpc = sch::types::AwsVpcConfiguration::builder()
        .set_subnets(Some(t.network.subnets.clone()))
        .set_security_groups(
            (!t.network.security_groups.is_empty()).then(|| t.network.security_groups.clone()),
        )
        .assign_public_ip(if t.network.assign_public_ip {
            sch::types::AssignPublicIp::Enabled
        } else {
            sch::types::AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| invalid(op, e))?;
    let strategy = t
        .capacity_provider_strategy
        .iter()
        .map(|s| {
            sch::types::CapacityProviderStrategyItem::builder()
                .capacity_provider(&s.capacity_provider)
                .base(s.base)
                .weight(s.weight)
                .build()
                .map_err(|e| invalid(op, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ecs = sch::types::EcsParameters::builder()
        .task_definition_arn(&t.task_definition_arn)
        .task_count(t.task_count)
        .set_launch_type(t.launch_type.as_deref().map(sch::types::LaunchType::from))
        .set_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
        .set_platform_version(t.platform_version.clone())
        .network_configuration(
            sch::types::NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        // ECS's own tags (cluster) help cost reports; ours prove ownership of each run.
        .enable_ecs_managed_tags(true)
        .set_tags(Some(tags_to_sdk(&t.tags)))
        .build()
        .map_err(|e| invalid(op, e))?;
    sch::types::Target::builder()
        .arn(&t.cluster_arn)
        .role_arn(role_arn(op, body)?)
        .ecs_parameters(ecs)
        .set_input(t.input.clone())
        .retry_policy(
            sch::types::RetryPolicy::builder()
                .maximum_retry_attempts(t.maximum_retry_attempts)
                .maximum_event_age_in_seconds(t.maximum_event_age_seconds)
                .build(),
        )
        .build()
        .map_err(|e| invalid(op, e))
}

/// A job runs at its time: no flexible window.
fn window_off(op: AwsOp) -> Result<sch::types::FlexibleTimeWindow, AwsError> {
    sch::types::FlexibleTimeWindow::builder()
        .mode(sch::types::FlexibleTimeWindowMode::Off)
        .build()
        .map_err(|e| invalid(op, e))
}

fn state(body: &ScheduleBody) -> sch::types::ScheduleState {
    if body.enabled {
        sch::types::ScheduleState::Enabled
    } else {
        sch::types::ScheduleState::Disabled
    }
}

/// A target as GetSchedule reports it; None when it is not an ECS target.
fn target_from_sdk(t: &sch::types::Target) -> Option<ScheduleTarget> {
    let ecs = t.ecs_parameters()?;
    let vpc = ecs
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let retry = t.retry_policy();
    Some(ScheduleTarget {
        cluster_arn: t.arn().to_owned(),
        role: RoleRef::Arn(t.role_arn().to_owned()),
        task_definition_arn: ecs.task_definition_arn().to_owned(),
        task_count: ecs.task_count().unwrap_or(1),
        launch_type: ecs.launch_type().map(|l| l.as_str().to_owned()),
        capacity_provider_strategy: ecs
            .capacity_provider_strategy()
            .iter()
            .map(|s| StrategyItem {
                capacity_provider: s.capacity_provider().to_owned(),
                base: s.base(),
                weight: s.weight(),
            })
            .collect(),
        platform_version: ecs.platform_version().map(str::to_owned),
        network: NetworkDef {
            subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
            security_groups: vpc
                .map(|v| v.security_groups().to_vec())
                .unwrap_or_default(),
            assign_public_ip: vpc.and_then(|v| v.assign_public_ip())
                == Some(&sch::types::AssignPublicIp::Enabled),
        },
        tags: tags_from_sdk(ecs.tags()),
        input: t.input().map(str::to_owned),
        // Scheduler's defaults when it reports none.
        maximum_retry_attempts: retry
            .and_then(|r| r.maximum_retry_attempts())
            .unwrap_or(crate::api::schedule::DEFAULT_RETRY_ATTEMPTS),
        maximum_event_age_seconds: retry
            .and_then(|r| r.maximum_event_age_in_seconds())
            .unwrap_or(crate::api::schedule::DEFAULT_EVENT_AGE_SECONDS),
    })
}

/// CreateSchedule and UpdateSchedule take the same fields (all of the schedule): `body`'s,
/// the flexible window off, on the fluent `builder` of either.
macro_rules! with_body {
    ($builder:expr, $op:expr, $body:expr) => {
        $builder
            .name(&$body.name)
            .group_name(&$body.group)
            .schedule_expression(&$body.expression)
            .schedule_expression_timezone(&$body.timezone)
            .state(state($body))
            .set_start_date($body.start_date.map(sch::primitives::DateTime::from_secs))
            .set_end_date($body.end_date.map(sch::primitives::DateTime::from_secs))
            .description(&$body.description)
            .flexible_time_window(window_off($op)?)
            .target(target_to_sdk($op, $body)?)
    };
}

#[async_trait]
impl aws::Scheduler for SdkScheduler {
    async fn get_schedule(
        &self,
        group: &str,
        name: &str,
    ) -> Result<Option<ObservedSchedule>, AwsError> {
        let out = found(
            send(
                &self.1,
                AwsOp::GetSchedule,
                self.0.get_schedule().group_name(group).name(name).send(),
            )
            .await,
        )?;
        // The exact schedule asked for, whatever the backend answered.
        let Some(out) =
            out.filter(|o| o.name() == Some(name) && o.group_name().is_none_or(|g| g == group))
        else {
            return Ok(None);
        };
        let Some(target) = out.target().and_then(target_from_sdk) else {
            // Not an ECS target: not anything the operator made. Reported with no tags,
            // so the planner refuses it as a schedule of someone else.
            return Ok(Some(foreign(&out, group, name)));
        };
        Ok(Some(observed(&out, group, name, target)))
    }

    async fn create_schedule(&self, body: &ScheduleBody) -> Result<String, AwsError> {
        let op = AwsOp::CreateSchedule;
        let request = with_body!(self.0.create_schedule(), op, body);
        let out = send(&self.1, op, request.send()).await?;
        Ok(out.schedule_arn().to_owned())
    }

    async fn update_schedule(&self, body: &ScheduleBody) -> Result<(), AwsError> {
        let op = AwsOp::UpdateSchedule;
        let request = with_body!(self.0.update_schedule(), op, body);
        send(&self.1, op, request.send()).await.map(drop)
    }

    async fn delete_schedule(&self, group: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteSchedule,
            self.0.delete_schedule().group_name(group).name(name).send(),
        )
        .await
        .map(drop)
    }
}

/// A schedule as GetSchedule reports it, with its target in the planner's terms.
fn observed(
    out: &sch::operation::get_schedule::GetScheduleOutput,
    group: &str,
    name: &str,
    target: ScheduleTarget,
) -> ObservedSchedule {
    ObservedSchedule {
        arn: out.arn().unwrap_or_default().to_owned(),
        body: ScheduleBody {
            name: name.to_owned(),
            group: group.to_owned(),
            expression: out.schedule_expression().unwrap_or_default().to_owned(),
            timezone: out
                .schedule_expression_timezone()
                .unwrap_or("UTC")
                .to_owned(),
            enabled: out.state() != Some(&sch::types::ScheduleState::Disabled),
            start_date: out.start_date().map(seconds),
            end_date: out.end_date().map(seconds),
            description: out.description().unwrap_or_default().to_owned(),
            target,
        },
    }
}

/// A date GetSchedule reports, as whole seconds since the epoch: Scheduler's wire format is
/// epoch seconds, and a fraction (none is sent) would not change when it runs (it starts
/// runs with 60-second precision).
fn seconds(d: &sch::primitives::DateTime) -> i64 {
    d.secs()
}

/// A schedule that is not an ECS RunTask schedule, in the planner's terms: no task tags, so
/// it is nobody's the operator knows.
fn foreign(
    out: &sch::operation::get_schedule::GetScheduleOutput,
    group: &str,
    name: &str,
) -> ObservedSchedule {
    let target = ScheduleTarget {
        cluster_arn: out.target().map(|t| t.arn().to_owned()).unwrap_or_default(),
        role: RoleRef::Arn(String::new()),
        task_definition_arn: String::new(),
        task_count: 0,
        launch_type: None,
        capacity_provider_strategy: vec![],
        platform_version: None,
        network: NetworkDef {
            subnets: vec![],
            security_groups: vec![],
            assign_public_ip: false,
        },
        tags: Tags::new(),
        input: None,
        maximum_retry_attempts: 0,
        maximum_event_age_seconds: 0,
    };
    observed(out, group, name, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> ScheduleBody {
        ScheduleBody {
            name: "fgo_shop_nightly".into(),
            group: "default".into(),
            expression: "cron(0 5 ? * * *)".into(),
            timezone: "Europe/Berlin".into(),
            enabled: false,
            start_date: Some(1_893_456_000),
            end_date: Some(1_924_991_999),
            description: "FargateTask shop/nightly".into(),
            target: ScheduleTarget {
                cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/shop".into(),
                role: RoleRef::Arn(
                    "arn:aws:iam::123456789012:role/fargate-operator/scheduler/fgo_shop_nightly_sched"
                        .into(),
                ),
                task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/shop_web:3"
                    .into(),
                task_count: 2,
                launch_type: None,
                capacity_provider_strategy: vec![StrategyItem {
                    capacity_provider: "FARGATE_SPOT".into(),
                    base: 0,
                    weight: 1,
                }],
                platform_version: Some("1.4.0".into()),
                network: NetworkDef {
                    subnets: vec!["subnet-0123456789abcdef0".into()],
                    security_groups: vec!["sg-0123456789abcdef0".into()],
                    assign_public_ip: true,
                },
                tags: [("ecs.fargate.dev/uid".to_owned(), "u".to_owned())].into(),
                input: Some(r#"{"containerOverrides":[{"name":"api","command":["x"]}]}"#.into()),
                maximum_retry_attempts: 0,
                maximum_event_age_seconds: 3600,
            },
        }
    }

    #[test]
    fn the_target_request_round_trips_through_what_get_schedule_reads() {
        let b = body();
        let sent = target_to_sdk(AwsOp::CreateSchedule, &b).unwrap();
        let ecs = sent.ecs_parameters().unwrap();
        assert_eq!(ecs.enable_ecs_managed_tags(), Some(true));
        assert_eq!(
            ecs.launch_type(),
            None,
            "a capacity provider strategy, no launch type"
        );
        assert_eq!(target_from_sdk(&sent), Some(b.target.clone()));
        // A managed role not resolved to its ARN is refused before sending.
        let mut unresolved = b;
        unresolved.target.role = RoleRef::Managed("fgo_shop_nightly_sched".into());
        assert!(target_to_sdk(AwsOp::CreateSchedule, &unresolved).is_err());
    }

    #[test]
    fn dates_are_sent_as_epoch_seconds_and_read_back_as_sent() {
        let b = body();
        let client = sch::Client::from_conf(
            sch::Config::builder()
                .behavior_version(sch::config::BehaviorVersion::latest())
                .region(sch::config::Region::new("us-east-1"))
                .build(),
        );
        let op = AwsOp::UpdateSchedule;
        let request =
            (|| -> Result<_, AwsError> { Ok(with_body!(client.update_schedule(), op, &b)) })()
                .unwrap();
        let input = request.as_input();
        let start = input.get_start_date().unwrap();
        assert_eq!((start.secs(), start.subsec_nanos()), (1_893_456_000, 0));
        assert_eq!(input.get_end_date().map(|d| d.secs()), Some(1_924_991_999));
        // GetSchedule reports them back (a fraction of a second is dropped).
        let out = sch::operation::get_schedule::GetScheduleOutput::builder()
            .arn("arn:aws:scheduler:us-east-1:123456789012:schedule/default/fgo_shop_nightly")
            .name(&b.name)
            .schedule_expression(&b.expression)
            .schedule_expression_timezone(&b.timezone)
            .state(sch::types::ScheduleState::Disabled)
            .description(&b.description)
            .start_date(sch::primitives::DateTime::from_fractional_secs(
                1_893_456_000,
                0.25,
            ))
            .end_date(sch::primitives::DateTime::from_secs(1_924_991_999))
            .build();
        let target = target_from_sdk(&target_to_sdk(op, &b).unwrap()).unwrap();
        assert_eq!(observed(&out, "default", &b.name, target).body, b);
        // No dates: none sent, none read.
        let mut none = b;
        none.start_date = None;
        none.end_date = None;
        let request = (|| -> Result<_, AwsError> {
            Ok(with_body!(
                client.create_schedule(),
                AwsOp::CreateSchedule,
                &none
            ))
        })()
        .unwrap();
        assert!(request.as_input().get_start_date().is_none());
        assert!(request.as_input().get_end_date().is_none());
    }

    #[test]
    fn a_target_without_retry_policy_reads_as_schedulers_defaults() {
        let mut sent = target_to_sdk(AwsOp::CreateSchedule, &body()).unwrap();
        sent.retry_policy = None;
        let got = target_from_sdk(&sent).unwrap();
        assert_eq!(
            (got.maximum_retry_attempts, got.maximum_event_age_seconds),
            (185, 86_400)
        );
    }

    #[test]
    fn task_tags_round_trip_as_key_value_maps() {
        let tags: Tags = [
            ("ecs.fargate.dev/owner".to_owned(), "ns/a".to_owned()),
            ("team".to_owned(), "data".to_owned()),
        ]
        .into();
        let sent = tags_to_sdk(&tags);
        assert_eq!(
            sent[0].get("key").map(String::as_str),
            Some("ecs.fargate.dev/owner")
        );
        assert_eq!(tags_from_sdk(&sent), tags);
        // A map of `key: value` entries is read too.
        let other = vec![HashMap::from([("team".to_owned(), "data".to_owned())])];
        assert_eq!(
            tags_from_sdk(&other).get("team").map(String::as_str),
            Some("data")
        );
    }
}
