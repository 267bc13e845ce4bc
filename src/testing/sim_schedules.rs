//! EventBridge Scheduler in the in-memory account: schedules created, replaced and deleted
//! as Scheduler does (a name is unique in its group; the role must be an ARN; the target's
//! cluster must be a cluster ARN), and what a test does in Scheduler's place: firing a
//! schedule ([`SimAws::fire_schedule`]) starts its target's tasks as RunTask would, with
//! the target's tags. Neither moto nor this stand-in fires schedules by themselves.

use crate::plan::model::RoleRef;
use crate::plan::schedule::{ObservedSchedule, ScheduleBody};
use crate::plan::task::RunTaskBody;

use super::sim::{SimAws, SimError};

impl SimAws {
    fn key(group: &str, name: &str) -> (String, String) {
        (group.to_owned(), name.to_owned())
    }

    /// What Scheduler checks of a body before it stores it.
    fn check_schedule(&self, body: &ScheduleBody) -> Result<(), SimError> {
        if !matches!(&body.target.role, RoleRef::Arn(a) if a.starts_with("arn:")) {
            return Err(SimError::Invalid(format!(
                "schedule {}: RoleArn must be a role ARN",
                body.name
            )));
        }
        if !body.target.cluster_arn.contains(":cluster/") {
            return Err(SimError::Invalid(format!(
                "schedule {}: Target.Arn must be an ECS cluster ARN",
                body.name
            )));
        }
        // Scheduler refuses a StartDate more than 5 minutes before its clock ("The
        // StartDate you specify cannot be earlier than 5 minutes ago"; documented for
        // CreateSchedule, held here for UpdateSchedule too: the operator sends neither) and,
        // as AWS's CDK checks, a start not before the end.
        let now = self.clock.map(|c| c.as_second());
        if let (Some(start), Some(now)) = (body.start_date, now) {
            if start < now - 300 {
                return Err(SimError::Invalid(format!(
                    "schedule {}: The StartDate you specify cannot be earlier than 5 minutes ago.",
                    body.name
                )));
            }
        }
        if let (Some(start), Some(end)) = (body.start_date, body.end_date) {
            if start >= end {
                return Err(SimError::Invalid(format!(
                    "schedule {}: StartDate must come before EndDate",
                    body.name
                )));
            }
        }
        Ok(())
    }

    pub(super) fn create_schedule(&mut self, body: &ScheduleBody) -> Result<(), SimError> {
        self.check_schedule(body)?;
        let key = Self::key(&body.group, &body.name);
        if self.schedules.contains_key(&key) {
            return Err(SimError::Conflict(format!("schedule {}", body.name)));
        }
        let arn = format!(
            "arn:aws:scheduler:{}:{}:schedule/{}/{}",
            self.region, self.account, body.group, body.name
        );
        self.schedules.insert(
            key,
            ObservedSchedule {
                arn,
                body: body.clone(),
            },
        );
        Ok(())
    }

    pub(super) fn update_schedule(&mut self, body: &ScheduleBody) -> Result<(), SimError> {
        self.check_schedule(body)?;
        let s = self
            .schedules
            .get_mut(&Self::key(&body.group, &body.name))
            .ok_or_else(|| SimError::NotFound(format!("schedule {}", body.name)))?;
        s.body = body.clone();
        Ok(())
    }

    pub(super) fn delete_schedule(&mut self, group: &str, name: &str) -> Result<(), SimError> {
        self.schedules
            .remove(&Self::key(group, name))
            .map(drop)
            .ok_or_else(|| SimError::NotFound(format!("schedule {name}")))
    }

    /// Scheduler's invocation of a schedule (a test's stand-in for the clock reaching its
    /// time): RunTask of its target with its tags, started by `chronos-schedule/<name>`.
    /// Nothing when the schedule is missing or disabled, or (by the clock) before its
    /// StartDate or after its EndDate. Returns the started tasks' ARNs.
    pub fn fire_schedule(&mut self, group: &str, name: &str) -> Result<Vec<String>, SimError> {
        let Some(s) = self.schedules.get(&Self::key(group, name)).cloned() else {
            return Ok(vec![]);
        };
        // Disabled, not started yet or ended (by the clock, when a test sets one): no run.
        let now = self.clock.map(|c| c.as_second());
        let outside = now.is_some_and(|now| {
            s.body.start_date.is_some_and(|st| st > now)
                || s.body.end_date.is_some_and(|e| e <= now)
        });
        if !s.body.enabled || outside {
            return Ok(vec![]);
        }
        let t = &s.body.target;
        let cluster = crate::api::names::cluster_name_of_arn(&t.cluster_arn)
            .unwrap_or_default()
            .to_owned();
        // Each invocation is a new run: a token never used before.
        let n = self.run_tokens.len();
        let body = RunTaskBody {
            cluster,
            task_definition_arn: t.task_definition_arn.clone(),
            count: t.task_count,
            started_by: format!("chronos-schedule/{name}"),
            client_token: format!("{name}-{n}"),
            tags: t.tags.clone(),
            launch_type: t.launch_type.clone(),
            capacity_provider_strategy: t.capacity_provider_strategy.clone(),
            platform_version: t.platform_version.clone(),
            network: t.network.clone(),
            overrides: None,
        };
        self.run_task(&body)
    }
}
