//! ECS tasks in the in-memory account: RunTask (honouring its client token per cluster, as
//! ECS does for 24 hours), StopTask, and what a test does in ECS's place — the containers
//! exiting with a code ([`SimAws::finish_task`]). Tasks start RUNNING, their containers
//! those of the revision run, with no exit code yet; times come from [`SimAws::clock`].

use crate::plan::model::ObservedRevision;
use crate::plan::task::{ObservedContainer, ObservedTask, RunTaskBody, TaskFilter, STOPPED};

use super::sim::{SimAws, SimError};

impl SimAws {
    /// RunTask: the cluster must exist and the revision be ACTIVE; a client token seen in
    /// this cluster starts nothing new.
    pub(super) fn run_task(&mut self, body: &RunTaskBody) -> Result<Vec<String>, SimError> {
        let key = (body.cluster.clone(), body.client_token.clone());
        if let Some(arns) = self.run_tokens.get(&key) {
            return Ok(arns.clone());
        }
        if !self.clusters.contains_key(&body.cluster) {
            return Err(SimError::NotFound(format!("cluster {}", body.cluster)));
        }
        if !self.runs(&body.task_definition_arn) {
            return Err(SimError::Invalid(format!(
                "TaskDefinition is inactive or does not exist: {}",
                body.task_definition_arn
            )));
        }
        let containers = self
            .revision(&body.task_definition_arn)
            .map(containers_of)
            .unwrap_or_default();
        let mut arns = vec![];
        for _ in 0..body.count {
            let id = format!("{:032x}", self.tasks.len() + 1);
            let arn = format!(
                "arn:aws:ecs:{}:{}:task/{}/{id}",
                self.region, self.account, body.cluster
            );
            self.tasks.insert(
                arn.clone(),
                ObservedTask {
                    task_arn: arn.clone(),
                    last_status: "RUNNING".into(),
                    desired_status: "RUNNING".into(),
                    task_definition_arn: body.task_definition_arn.clone(),
                    started_by: Some(body.started_by.clone()),
                    created_at: Some(self.now()),
                    started_at: Some(self.now()),
                    tags: body.tags.clone(),
                    containers: containers.clone(),
                    ..Default::default()
                },
            );
            arns.push(arn);
        }
        self.run_tokens.insert(key, arns.clone());
        Ok(arns)
    }

    /// StopTask: ECS stops the task (its containers get no exit code here).
    pub(super) fn stop_task(
        &mut self,
        cluster: &str,
        arn: &str,
        reason: &str,
    ) -> Result<(), SimError> {
        let now = self.now();
        let t = self
            .tasks
            .get_mut(arn)
            .filter(|t| t.task_arn.contains(&format!(":task/{cluster}/")))
            .ok_or_else(|| SimError::NotFound(format!("task {arn}")))?;
        t.desired_status = STOPPED.into();
        if t.last_status != STOPPED {
            t.last_status = STOPPED.into();
            t.stop_code = Some("UserInitiated".into());
            t.stopped_reason = Some(reason.to_owned());
            t.stopped_at = Some(now);
        }
        Ok(())
    }

    /// The task's containers exit with `exit_code` and the task stops (what ECS reports when
    /// its essential container exited).
    pub fn finish_task(&mut self, arn: &str, exit_code: i32) {
        let now = self.now();
        if let Some(t) = self.tasks.get_mut(arn) {
            for c in &mut t.containers {
                c.exit_code = Some(exit_code);
            }
            t.last_status = STOPPED.into();
            t.desired_status = STOPPED.into();
            t.stop_code = Some("EssentialContainerExited".into());
            t.stopped_reason = Some("Essential container in task exited".into());
            t.stopped_at = Some(now);
        }
    }

    /// The ARNs RunTask started for a (cluster, client token).
    pub fn started_by_token(&self, key: &(String, String)) -> Vec<String> {
        self.run_tokens.get(key).cloned().unwrap_or_default()
    }

    /// The time to stamp, RFC 3339.
    fn now(&self) -> String {
        self.clock
            .unwrap_or_else(k8s_openapi::jiff::Timestamp::now)
            .to_string()
    }

    /// ARNs of the tasks still running (any cluster), in ARN order.
    pub fn running_tasks(&self) -> Vec<String> {
        self.tasks
            .values()
            .filter(|t| t.last_status != STOPPED)
            .map(|t| t.task_arn.clone())
            .collect()
    }

    /// ListTasks: the tasks of `cluster` that `filter` selects, by desired status. The
    /// stand-in runs no service tasks.
    pub fn listed_tasks(&self, cluster: &str, filter: &TaskFilter, stopped: bool) -> Vec<String> {
        let in_cluster = format!(":task/{cluster}/");
        self.tasks
            .values()
            .filter(|t| t.task_arn.contains(&in_cluster))
            .filter(|t| (t.desired_status == STOPPED) == stopped)
            .filter(|t| match filter {
                TaskFilter::StartedBy(s) => t.started_by.as_deref() == Some(s.as_str()),
                TaskFilter::Family(f) => crate::api::revision_of_arn(&t.task_definition_arn)
                    .is_some_and(|(got, _)| got == f),
                TaskFilter::Service(_) => false,
            })
            .map(|t| t.task_arn.clone())
            .collect()
    }
}

fn containers_of(r: &ObservedRevision) -> Vec<ObservedContainer> {
    r.body
        .containers
        .iter()
        .map(|c| ObservedContainer {
            name: c.name.clone(),
            ..Default::default()
        })
        .collect()
}
