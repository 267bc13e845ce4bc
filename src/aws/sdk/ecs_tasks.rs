//! ECS tasks on the SDK: RunTask's request (overrides, network, tags) and DescribeTasks'
//! answer in the planner's types ([`crate::plan::task`]).

use aws_sdk_ecs as ecs;

use super::ecs_convert::{ecs_tags, from_ecs_tags, network_to_sdk, rfc3339, strategy_to_sdk};
use super::invalid;
use crate::api::fargatetask::TaskOverrides;
use crate::aws::{AwsError, AwsOp};
use crate::plan::task::{ObservedContainer, ObservedTask, RunTaskBody};

/// The RunTask request of `body`.
pub(super) fn run_task_request(
    client: &ecs::Client,
    body: &RunTaskBody,
) -> Result<ecs::operation::run_task::builders::RunTaskFluentBuilder, AwsError> {
    let op = AwsOp::RunTask;
    let strategy = strategy_to_sdk(op, &body.capacity_provider_strategy)?;
    Ok(client
        .run_task()
        .cluster(&body.cluster)
        .task_definition(&body.task_definition_arn)
        .count(body.count)
        .started_by(&body.started_by)
        .client_token(&body.client_token)
        .set_tags(Some(ecs_tags(&body.tags)))
        // ECS's own tags (cluster, service-less) help cost reports; ours prove ownership.
        .enable_ecs_managed_tags(true)
        .set_launch_type(
            body.launch_type
                .as_deref()
                .map(ecs::types::LaunchType::from),
        )
        .set_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
        .set_platform_version(body.platform_version.clone())
        .network_configuration(network_to_sdk(op, &body.network)?)
        .set_overrides(body.overrides.as_ref().map(overrides_to_sdk).transpose()?))
}

/// RunTask's `overrides`: the task size as strings, each container's command, environment,
/// cpu and memory.
pub(super) fn overrides_to_sdk(o: &TaskOverrides) -> Result<ecs::types::TaskOverride, AwsError> {
    let containers = o
        .containers
        .iter()
        .map(|c| {
            let env = c
                .environment
                .iter()
                .map(|e| {
                    ecs::types::KeyValuePair::builder()
                        .name(&e.name)
                        .value(&e.value)
                        .build()
                })
                .collect::<Vec<_>>();
            ecs::types::ContainerOverride::builder()
                .name(&c.name)
                .set_command((!c.command.is_empty()).then(|| c.command.clone()))
                .set_environment((!env.is_empty()).then_some(env))
                .set_cpu(c.cpu)
                .set_memory(c.memory)
                .build()
        })
        .collect::<Vec<_>>();
    if o.containers.iter().any(|c| c.name.is_empty()) {
        return Err(invalid(AwsOp::RunTask, "a container override needs a name"));
    }
    Ok(ecs::types::TaskOverride::builder()
        .set_cpu(o.cpu.map(|c| c.to_string()))
        .set_memory(o.memory.map(|m| m.to_string()))
        .set_container_overrides((!containers.is_empty()).then_some(containers))
        .build())
}

/// A described task in the planner's terms.
pub(super) fn task_from_sdk(t: &ecs::types::Task) -> ObservedTask {
    ObservedTask {
        task_arn: t.task_arn().unwrap_or_default().to_owned(),
        last_status: t.last_status().unwrap_or_default().to_owned(),
        desired_status: t.desired_status().unwrap_or_default().to_owned(),
        task_definition_arn: t.task_definition_arn().unwrap_or_default().to_owned(),
        started_by: t.started_by().map(str::to_owned),
        created_at: rfc3339(t.created_at()),
        started_at: rfc3339(t.started_at()),
        stopped_at: rfc3339(t.stopped_at()),
        stopped_reason: t.stopped_reason().map(str::to_owned),
        stop_code: t.stop_code().map(|c| c.as_str().to_owned()),
        tags: from_ecs_tags(t.tags()),
        containers: t
            .containers()
            .iter()
            .map(|c| ObservedContainer {
                name: c.name().unwrap_or_default().to_owned(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_owned),
            })
            .collect(),
    }
}

/// RunTask's answer: the started tasks' ARNs, or an error naming why ECS placed none (or
/// fewer than asked).
pub(super) fn run_task_result(
    out: &ecs::operation::run_task::RunTaskOutput,
) -> Result<Vec<String>, AwsError> {
    let arns: Vec<String> = out
        .tasks()
        .iter()
        .filter_map(|t| t.task_arn().map(str::to_owned))
        .collect();
    if out.failures().is_empty() {
        return Ok(arns);
    }
    let why: Vec<String> = out
        .failures()
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f.reason().unwrap_or("failure"),
                f.detail().unwrap_or_default()
            )
        })
        .collect();
    Err(AwsError::new(
        crate::aws::ErrorKind::Invalid,
        AwsOp::RunTask,
        format!(
            "ECS started {} task(s) and could not start others: {}",
            arns.len(),
            why.join("; ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::fargatetask::ContainerOverride;
    use crate::api::taskdefinition::EnvVar;

    #[test]
    fn overrides_become_ecs_task_overrides() {
        let o = TaskOverrides {
            cpu: Some(512),
            memory: Some(1024),
            containers: vec![ContainerOverride {
                name: "app".into(),
                command: vec!["./migrate".into(), "up".into()],
                environment: vec![EnvVar {
                    name: "DRY_RUN".into(),
                    value: "0".into(),
                }],
                cpu: Some(256),
                memory: None,
            }],
        };
        let t = overrides_to_sdk(&o).unwrap();
        assert_eq!(t.cpu(), Some("512"));
        assert_eq!(t.memory(), Some("1024"));
        let c = &t.container_overrides()[0];
        assert_eq!(c.name(), Some("app"));
        assert_eq!(c.command(), ["./migrate", "up"]);
        assert_eq!(c.environment()[0].name(), Some("DRY_RUN"));
        assert_eq!(c.cpu(), Some(256));
        assert_eq!(c.memory(), None);
    }
}
