//! A scheduled FargateTask (`spec.schedule`): the retry policy of its EventBridge Scheduler
//! schedule, the status of the schedule and its recent runs, the names the schedule and its
//! role get, and the `validate()` twins of the CRD rules on the schedule fields.
//!
//! Facts from the EventBridge Scheduler API reference: a schedule name is 1-64 of
//! `[0-9a-zA-Z-_.]`; `ScheduleExpression` is at most 256 characters,
//! `ScheduleExpressionTimezone` at most 50; `RetryPolicy.MaximumRetryAttempts` is 0-185
//! (default 185) and `MaximumEventAgeInSeconds` 60-86400 (default 86400). Schedules cannot
//! be tagged (only schedule groups can), so ownership is proven by the tags the schedule
//! puts on the tasks it starts (`Target.EcsParameters.Tags`), which GetSchedule returns.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fargatetask::{FargateTaskSpec, TaskPhase, TaskRun};
use super::names::{bounded_name, Owner};
use super::validation::Check;

/// Scheduler's default `MaximumRetryAttempts`.
pub const DEFAULT_RETRY_ATTEMPTS: i32 = 185;
/// Scheduler's default `MaximumEventAgeInSeconds` (24 hours).
pub const DEFAULT_EVENT_AGE_SECONDS: i32 = 86_400;
/// The schedule group of every schedule the operator makes: Scheduler's own `default`
/// group, which always exists (a group of the operator's would need an owner of its own,
/// and deleting a group deletes every schedule in it).
pub const SCHEDULE_GROUP: &str = "default";
/// A scheduler name is at most 64 characters (Scheduler API reference, `Name`).
const SCHEDULE_NAME_MAX: usize = 64;
/// The prefix of every schedule the operator names: the controller's IAM policy grants
/// the schedule actions on `schedule/default/fgo_*` only.
pub const SCHEDULE_NAME_PREFIX: &str = "fgo_";
/// How many runs a scheduled FargateTask's status keeps.
pub const RECENT_RUNS: usize = 5;

/// How hard EventBridge Scheduler retries starting a run it could not start.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRetryPolicy {
    /// Attempts after the first (0-185; Scheduler's default 185). 0: a run that cannot be
    /// started is skipped until the next scheduled time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 185))]
    pub maximum_retry_attempts: Option<i32>,
    /// How long after its scheduled time a run may still be started, in seconds
    /// (60-86400; Scheduler's default 86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 86400))]
    pub maximum_event_age_seconds: Option<i32>,
}

impl ScheduleRetryPolicy {
    /// `(attempts, age)` with Scheduler's defaults filled in: what is sent and compared.
    pub fn effective(policy: Option<&Self>) -> (i32, i32) {
        let p = policy.cloned().unwrap_or_default();
        (
            p.maximum_retry_attempts.unwrap_or(DEFAULT_RETRY_ATTEMPTS),
            p.maximum_event_age_seconds
                .unwrap_or(DEFAULT_EVENT_AGE_SECONDS),
        )
    }
}

/// A scheduled FargateTask's schedule, as the operator last saw it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStatus {
    /// The schedule's name (in the `default` schedule group).
    pub name: String,
    /// Its ARN, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `ENABLED`, or `DISABLED` while `spec.suspend` is true. (Scheduler does not report
    /// when it runs next.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The task-definition revision each run starts (the TaskDefinition's current one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// The schedule's `StartDate` as Scheduler reports it (RFC 3339, UTC): `spec.startDate`,
    /// or for a `rate` schedule whose start had passed when it was last written, the first
    /// of its times then still to come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// The schedule's `EndDate` as Scheduler reports it (RFC 3339, UTC). Once it has passed
    /// Scheduler starts no more runs (Ready's reason is `Ended`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// The role EventBridge Scheduler runs the tasks with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The latest runs the schedule started (at most 5), newest first. Runs ECS no longer
    /// reports (it forgets stopped tasks after about an hour) are kept from the previous
    /// status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_runs: Vec<ScheduledRun>,
}

/// One run a schedule started: one ECS task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRun {
    /// Running, Succeeded or Failed.
    pub outcome: TaskPhase,
    /// Why it failed: the first non-zero exit code, or why the task stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When ECS created the task (RFC 3339): the order of the runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The task, its containers' exit codes and log streams.
    pub task: TaskRun,
}

/// A `startDate` / `endDate` as whole seconds since the epoch (UTC; fractions of a second
/// dropped: Scheduler takes and reports epoch seconds and starts runs with 60-second
/// precision). None when it is not an RFC 3339 date-time with an offset.
pub fn date_seconds(s: &str) -> Option<i64> {
    s.parse::<k8s_openapi::jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

/// Epoch seconds as the status shows a date: RFC 3339 in UTC.
pub fn date_text(seconds: i64) -> String {
    k8s_openapi::jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

/// The `validate()` twins of the CRD's `startDate` / `endDate` rules and pattern.
fn validate_dates(c: &mut Check, spec: &FargateTaskSpec) {
    use super::patterns::DATE_TIME;
    let recurring = spec
        .schedule
        .as_deref()
        .is_some_and(|e| !e.starts_with("at("));
    for (field, value) in [
        ("spec.startDate", &spec.start_date),
        ("spec.endDate", &spec.end_date),
    ] {
        let Some(v) = value else { continue };
        c.pattern(
            field,
            v,
            DATE_TIME,
            "an RFC 3339 date-time such as 2030-01-01T00:00:00Z",
        );
        if !recurring {
            c.fail(
                field,
                "needs a cron(...) or rate(...) spec.schedule (EventBridge Scheduler ignores it for a one-time at(...) schedule)",
            );
        }
    }
    // The CRD compares the full timestamps; a fraction of a second apart counts as after.
    let parsed = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<k8s_openapi::jiff::Timestamp>().ok())
    };
    if let (Some(start), Some(end)) = (parsed(&spec.start_date), parsed(&spec.end_date)) {
        if end <= start {
            c.fail("spec.endDate", "must be after spec.startDate");
        }
    }
}

/// The schedule of a FargateTask: `fgo_<namespace>_<name>` (Kubernetes names contain no
/// `_`, so two objects never share it), at most 64 characters (a longer one keeps a prefix
/// and a hash of the whole). Kubernetes names use only characters Scheduler allows.
pub fn schedule_name(owner: &Owner) -> String {
    bounded_name(
        &format!("{SCHEDULE_NAME_PREFIX}{}_{}", owner.namespace, owner.name),
        SCHEDULE_NAME_MAX,
    )
}

/// The `validate()` twins of the CRD's schedule rules and bounds.
pub(super) fn validate(c: &mut Check, spec: &FargateTaskSpec) {
    use super::patterns::{SCHEDULER_EXPRESSION, SCHEDULER_TIMEZONE};
    if let Some(expr) = &spec.schedule {
        c.pattern(
            "spec.schedule",
            expr,
            SCHEDULER_EXPRESSION,
            "cron(<six fields>), rate(<n> minute(s)|hour(s)|day(s)) or at(yyyy-mm-ddThh:mm:ss)",
        );
        if spec.backoff_limit != 0 {
            c.fail(
                "spec.backoffLimit",
                "a scheduled FargateTask does not retry a failed run: leave backoffLimit unset",
            );
        }
        if spec.active_deadline_seconds.is_some() {
            c.fail(
                "spec.activeDeadlineSeconds",
                "applies to a one-off run only, not to a scheduled FargateTask",
            );
        }
        if spec.ttl_seconds_after_finished.is_some() {
            c.fail(
                "spec.ttlSecondsAfterFinished",
                "applies to a one-off run only: a scheduled FargateTask never finishes",
            );
        }
    } else {
        let without = [
            ("spec.timezone", spec.timezone.is_some()),
            ("spec.suspend", spec.suspend),
            ("spec.retryPolicy", spec.retry_policy.is_some()),
        ];
        for (field, set) in without {
            if set {
                c.fail(field, "needs spec.schedule");
            }
        }
    }
    validate_dates(c, spec);
    if let Some(tz) = &spec.timezone {
        c.pattern(
            "spec.timezone",
            tz,
            SCHEDULER_TIMEZONE,
            "an IANA time-zone name such as UTC or Europe/Berlin",
        );
    }
    if let Some(p) = &spec.retry_policy {
        c.opt_range(
            "spec.retryPolicy.maximumRetryAttempts",
            p.maximum_retry_attempts,
            0,
            185,
        );
        c.opt_range(
            "spec.retryPolicy.maximumEventAgeSeconds",
            p.maximum_event_age_seconds,
            60,
            86_400,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(ns: &str, name: &str) -> Owner {
        Owner {
            namespace: ns.into(),
            name: name.into(),
            uid: "u".into(),
            generation: 1,
            adopt: false,
            adopt_forbidden: None,
            legacy_names: false,
        }
    }

    #[test]
    fn schedule_names_fit_scheduler_and_never_collide() {
        assert_eq!(schedule_name(&owner("shop", "nightly")), "fgo_shop_nightly");
        assert_ne!(
            schedule_name(&owner("a-b", "c")),
            schedule_name(&owner("a", "b-c"))
        );
        let long = schedule_name(&owner(&"n".repeat(63), &"x.y".repeat(80)));
        assert!(long.len() <= 64, "{long}");
        assert!(long
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        assert!(long.starts_with(SCHEDULE_NAME_PREFIX));
    }

    #[test]
    fn retry_policy_defaults_are_schedulers() {
        assert_eq!(ScheduleRetryPolicy::effective(None), (185, 86_400));
        let p = ScheduleRetryPolicy {
            maximum_retry_attempts: Some(0),
            maximum_event_age_seconds: None,
        };
        assert_eq!(ScheduleRetryPolicy::effective(Some(&p)), (0, 86_400));
    }

    #[test]
    fn expressions_the_pattern_admits_and_refuses() {
        let re = regex::Regex::new(super::super::patterns::SCHEDULER_EXPRESSION).unwrap();
        for ok in [
            "cron(0 5 ? * * *)",
            "cron(0/15 8-17 ? * MON-FRI *)",
            "cron(0 12 L * ? 2030)",
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(2 days)",
            "at(2030-01-31T05:00:00)",
        ] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in [
            "cron(0 5 * * *)",
            "cron(0 5 ? * * * *)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "at(2030-01-31 05:00)",
            "0 5 * * *",
            "cron(0 5 ? * * *) ",
        ] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }
}
