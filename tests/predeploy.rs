//! `FargateService.spec.deployment.preDeploy` on the in-memory stand-in
//! (`testing::backend`), where a task ends the way a test says (moto runs no containers:
//! its tasks never exit; tests/moto_apply.rs checks the request shape and the held
//! UpdateService there): a failure holds the rollout (Degraded, naming the exit code) while
//! other service changes still go through, a success lets it through and is never run
//! again for that revision, retries, the deadline, a lost status, the first create,
//! removal and deletion. Each step is one reconcile from the status the previous one
//! wrote, as the controller runs it.

mod support;

use fargate_operator::api::conditions::{condition_types as ct, is_true, reasons};
use fargate_operator::api::fargatetask::{ContainerOverride, TaskOverrides, TaskPhase};
use fargate_operator::api::predeploy::PreDeploySpec;
use fargate_operator::api::{
    FargateService, FargateServiceStatus, TaskDefinition, ATTEMPT_TAG, PRE_DEPLOY_TAG, UID_TAG,
};
use fargate_operator::engine::{
    cleanup_fargate_service, reconcile_fargate_service, reconcile_task_definition, Reconciled, Sync,
};
use fargate_operator::plan::service::referenced_task_definition;
use fargate_operator::plan::{PlanConfig, TaskDefinitionInfo};
use fargate_operator::testing::SimBackend;
use k8s_openapi::jiff::Timestamp;
use support::sim::fresh;

/// When the stand-in's tasks were created.
const CREATED: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn at(offset: i64) -> Timestamp {
    Timestamp::from_second(CREATED + offset).unwrap()
}

/// The web-api example's TaskDefinition and FargateService, as the API server holds them.
struct World {
    backend: SimBackend,
    td: TaskDefinition,
    fs: FargateService,
    info: Option<TaskDefinitionInfo>,
}

fn migrate(backoff_limit: i32, deadline: Option<i64>) -> PreDeploySpec {
    PreDeploySpec {
        overrides: Some(TaskOverrides {
            containers: vec![ContainerOverride {
                name: "api".into(),
                command: vec!["./manage".into(), "migrate".into()],
                environment: vec![],
                cpu: None,
                memory: None,
            }],
            ..Default::default()
        }),
        backoff_limit,
        active_deadline_seconds: deadline,
        ..Default::default()
    }
}

impl World {
    fn new() -> Self {
        let backend = fresh();
        backend.lock().clock = Some(at(0));
        let (mut td, mut fs) = support::examples::web_api_pair();
        td.metadata.uid = Some("0f8e2a4c-0000-4000-8000-0000000000a1".into());
        td.metadata.generation = Some(1);
        fs.metadata.uid = Some("0f8e2a4c-0000-4000-8000-0000000000b1".into());
        fs.metadata.generation = Some(1);
        Self {
            backend,
            td,
            fs,
            info: None,
        }
    }

    /// Registers the TaskDefinition's revision for its spec (a new image: a new revision).
    async fn register(&mut self, image: &str) -> String {
        self.td.spec.containers[0].image = image.into();
        let g = self.td.metadata.generation.unwrap_or(0) + 1;
        self.td.metadata.generation = Some(g);
        let (r, info) = reconcile_task_definition(
            &self.backend.aws(),
            &PlanConfig::default(),
            &self.td,
            &Default::default(),
            5,
            at(0),
        )
        .await;
        self.td.status = Some(r.status);
        let info = info.expect("registered");
        let arn = info.arn.clone().expect("arn");
        self.info = Some(info);
        arn
    }

    /// A spec change of the service: a new generation.
    fn edit(&mut self, change: impl FnOnce(&mut FargateService)) {
        change(&mut self.fs);
        let g = self.fs.metadata.generation.unwrap_or(0) + 1;
        self.fs.metadata.generation = Some(g);
    }

    /// One reconcile at `now`; the status it reports is written back.
    async fn step(&mut self, now: Timestamp) -> Reconciled<FargateServiceStatus> {
        self.backend.lock().clock = Some(now);
        let infos = self
            .info
            .iter()
            .map(|i| (("shop".to_owned(), "web-api".to_owned()), i.clone()))
            .collect();
        let td = referenced_task_definition(&self.fs, &infos);
        let r = reconcile_fargate_service(
            &self.backend.aws(),
            &PlanConfig::default(),
            &self.fs,
            td.as_ref(),
            None,
            5,
            now,
        )
        .await;
        self.fs.status = Some(r.status.clone());
        r
    }

    fn status(&self) -> &FargateServiceStatus {
        self.fs.status.as_ref().expect("status")
    }

    /// The revision the ECS service runs.
    fn running(&self) -> Option<String> {
        let o = self.backend.lock().observe_service("shop", "shop_web-api");
        o.service.map(|s| s.body.task_definition.to_string())
    }

    fn run_tasks(&self) -> usize {
        self.backend
            .lock()
            .calls
            .get("RunTask")
            .copied()
            .unwrap_or(0)
    }

    /// The task of preDeploy attempt `n` (1 first).
    fn task(&self, n: usize) -> String {
        let pd = self.status().pre_deploy.as_ref().expect("status.preDeploy");
        pd.attempts[n - 1].tasks[0].task_arn.clone()
    }

    fn finish(&self, n: usize, code: i32) {
        let arn = self.task(n);
        self.backend.lock().finish_task(&arn, code);
    }

    fn reason(&self, t: &str) -> String {
        let c = self.status().conditions.iter().find(|c| c.type_ == t);
        c.map(|c| c.reason.clone()).unwrap_or_default()
    }

    fn message(&self, t: &str) -> String {
        let c = self.status().conditions.iter().find(|c| c.type_ == t);
        c.map(|c| c.message.clone()).unwrap_or_default()
    }
}

/// A service running revision 1 (created without a preDeploy), then given a preDeploy and
/// a new revision: returns (revision 1, revision 2).
async fn running_then_new_revision(pd: PreDeploySpec) -> (World, String, String) {
    let mut w = World::new();
    let rev1 = w.register("public.ecr.aws/nginx/nginx:1.27.3").await;
    let r = w.step(at(0)).await;
    assert_eq!(r.sync, Sync::InSync, "{:?}", r.sync);
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    w.edit(|fs| {
        fs.spec
            .deployment
            .get_or_insert_with(Default::default)
            .pre_deploy = Some(pd)
    });
    let rev2 = w.register("public.ecr.aws/nginx/nginx:1.27.4").await;
    (w, rev1, rev2)
}

fn applied(r: &Reconciled<FargateServiceStatus>) -> Vec<&str> {
    r.applied.iter().map(|a| a.action).collect()
}

#[tokio::test]
async fn a_failed_pre_deploy_holds_the_revision_other_changes_go_through() {
    let (mut w, rev1, rev2) = running_then_new_revision(migrate(0, None)).await;
    let r = w.step(at(10)).await;
    assert_eq!(applied(&r), vec!["RunTask"], "{:?}", r.applied);
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    let pd = w.status().pre_deploy.clone().expect("status.preDeploy");
    assert_eq!(pd.target_task_definition_arn, rev2);
    assert_eq!(pd.task_definition_arn.as_deref(), Some(rev2.as_str()));
    assert_eq!(pd.phase, TaskPhase::Running);
    assert!(is_true(&w.status().conditions, ct::PROGRESSING));
    assert_eq!(w.reason(ct::PROGRESSING), reasons::PRE_DEPLOY_RUNNING);
    assert!(w.message(ct::PROGRESSING).contains("./manage migrate"));
    {
        // RunTask as asked: the new revision, the override, startedBy naming the service,
        // ownership and the revision gated in the tags.
        let sim = w.backend.lock();
        let t = &sim.tasks[&pd.attempts[0].tasks[0].task_arn];
        assert_eq!(t.task_definition_arn, rev2);
        assert!(t.started_by.as_deref().unwrap().starts_with("web-api-"));
        assert_eq!(t.tags.get(UID_TAG), w.fs.metadata.uid.as_ref());
        assert_eq!(t.tags.get(ATTEMPT_TAG).map(String::as_str), Some("1"));
        let label = rev2.rsplit('/').next().unwrap();
        assert_eq!(t.tags.get(PRE_DEPLOY_TAG).map(String::as_str), Some(label));
    }

    // While it runs, another change of the service goes out; the revision stays.
    w.edit(|fs| fs.spec.health_check_grace_period_seconds = Some(90));
    let r = w.step(at(20)).await;
    assert_eq!(applied(&r), vec!["UpdateService"], "{:?}", r.applied);
    assert!(r.applied[0]
        .description
        .contains("healthCheckGracePeriodSeconds"));
    assert!(!r.applied[0].description.contains("taskDefinition"));
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    let grace = w.backend.lock().observe_service("shop", "shop_web-api");
    assert_eq!(
        grace
            .service
            .unwrap()
            .body
            .health_check_grace_period_seconds,
        Some(90)
    );
    assert_eq!(w.run_tasks(), 1);

    // The migration exits 3: Degraded naming it; the running revision keeps serving.
    w.finish(1, 3);
    let r = w.step(at(30)).await;
    assert!(r.applied.is_empty(), "{:?}", r.applied);
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    assert!(is_true(&w.status().conditions, ct::DEGRADED));
    assert!(!is_true(&w.status().conditions, ct::READY));
    assert!(!is_true(&w.status().conditions, ct::PROGRESSING));
    assert_eq!(w.reason(ct::DEGRADED), reasons::PRE_DEPLOY_FAILED);
    let m = w.message(ct::DEGRADED);
    assert!(m.contains("container api exited with code 3"), "{m}");
    assert!(m.contains("Essential container in task exited"), "{m}");
    let pd = w.status().pre_deploy.clone().unwrap();
    assert_eq!(pd.phase, TaskPhase::Failed);
    assert_eq!(pd.attempts[0].tasks[0].containers[0].exit_code, Some(3));
    assert!(pd.finished_at.is_some());
    assert_eq!(pd.failed_generation, Some(3));

    // Reconciles of the same generation retry nothing.
    w.step(at(40)).await;
    assert_eq!(w.run_tasks(), 1);
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));

    // A new generation runs it again.
    w.edit(|fs| fs.spec.health_check_grace_period_seconds = Some(60));
    let r = w.step(at(50)).await;
    assert!(applied(&r).contains(&"RunTask"), "{:?}", r.applied);
    assert_eq!(w.run_tasks(), 2);
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    assert_eq!(w.reason(ct::PROGRESSING), reasons::PRE_DEPLOY_RUNNING);
}

#[tokio::test]
async fn a_successful_pre_deploy_lets_the_revision_through_once() {
    let (mut w, _, rev2) = running_then_new_revision(migrate(0, None)).await;
    w.step(at(10)).await;
    w.finish(1, 0);
    let r = w.step(at(20)).await;
    assert_eq!(applied(&r), vec!["UpdateService"], "{:?}", r.applied);
    assert!(r.applied[0].description.contains("taskDefinition"));
    assert_eq!(w.running().as_deref(), Some(rev2.as_str()));
    let pd = w.status().pre_deploy.clone().unwrap();
    assert_eq!(pd.phase, TaskPhase::Succeeded);
    assert!(!is_true(&w.status().conditions, ct::DEGRADED));

    // Not run again for the same revision: later reconciles, a new generation, nor a lost
    // status (ECS still lists the stopped task).
    w.step(at(30)).await;
    w.edit(|fs| fs.spec.health_check_grace_period_seconds = Some(45));
    w.step(at(40)).await;
    assert_eq!(w.run_tasks(), 1);
    assert_eq!(
        w.status().pre_deploy.as_ref().unwrap().phase,
        TaskPhase::Succeeded
    );

    // A service settled on its revision does not even list its preDeploy tasks.
    let before = w.backend.lock().requests.get("ListTasks").copied();
    w.step(at(50)).await;
    assert_eq!(w.backend.lock().requests.get("ListTasks").copied(), before);
}

#[tokio::test]
async fn a_lost_status_mid_run_starts_nothing_new() {
    let (mut w, rev1, rev2) = running_then_new_revision(migrate(0, None)).await;
    let before = w.fs.status.clone();
    w.step(at(10)).await;
    assert_eq!(w.run_tasks(), 1);
    // The status write was lost (a crash after RunTask), and the service's generation
    // moved on meanwhile.
    w.fs.status = before;
    w.edit(|fs| fs.spec.health_check_grace_period_seconds = Some(45));
    let r = w.step(at(20)).await;
    assert!(!applied(&r).contains(&"RunTask"), "{:?}", r.applied);
    assert_eq!(w.run_tasks(), 1);
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    let pd = w.status().pre_deploy.clone().unwrap();
    assert_eq!(pd.attempts.len(), 1);
    assert_eq!(
        pd.generation, 2,
        "the run keeps the generation it started at"
    );
    w.finish(1, 0);
    w.fs.status.as_mut().unwrap().pre_deploy = None;
    w.step(at(30)).await;
    assert_eq!(w.running().as_deref(), Some(rev2.as_str()));
    assert_eq!(w.run_tasks(), 1);
}

#[tokio::test]
async fn backoff_limit_retries_each_failure_with_its_reason() {
    let (mut w, rev1, _) = running_then_new_revision(migrate(1, None)).await;
    w.step(at(10)).await;
    w.finish(1, 1);
    let r = w.step(at(20)).await;
    assert_eq!(applied(&r), vec!["RunTask"], "{:?}", r.applied);
    let pd = w.status().pre_deploy.clone().unwrap();
    assert_eq!(pd.attempts.len(), 2);
    assert_eq!(pd.attempts[0].outcome, TaskPhase::Failed);
    assert!(pd.attempts[0].reason.as_deref().unwrap().contains("code 1"));
    assert_eq!(w.reason(ct::PROGRESSING), reasons::PRE_DEPLOY_RUNNING);
    w.finish(2, 2);
    w.step(at(30)).await;
    assert_eq!(w.run_tasks(), 2);
    assert_eq!(w.reason(ct::DEGRADED), reasons::PRE_DEPLOY_FAILED);
    assert!(w.message(ct::DEGRADED).contains("attempt 2 of 2 failed"));
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
}

#[tokio::test]
async fn the_deadline_stops_the_task_and_holds_the_revision() {
    let (mut w, rev1, _) = running_then_new_revision(migrate(3, Some(60))).await;
    w.step(at(10)).await;
    let arn = w.task(1);
    let r = w.step(at(200)).await;
    assert_eq!(applied(&r), vec!["StopTask"], "{:?}", r.applied);
    assert!(w.backend.lock().running_tasks().is_empty());
    assert_eq!(w.reason(ct::DEGRADED), reasons::PRE_DEPLOY_FAILED);
    assert!(w
        .message(ct::DEGRADED)
        .contains("activeDeadlineSeconds (60) exceeded"));
    w.step(at(300)).await;
    assert_eq!(w.run_tasks(), 1, "a deadline is not retried");
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    let sim = w.backend.lock();
    assert_eq!(sim.tasks[&arn].stop_code.as_deref(), Some("UserInitiated"));
}

#[tokio::test]
async fn a_new_service_waits_for_its_first_pre_deploy() {
    let mut w = World::new();
    w.fs.spec
        .deployment
        .get_or_insert_with(Default::default)
        .pre_deploy = Some(migrate(0, None));
    let rev1 = w.register("public.ecr.aws/nginx/nginx:1.27.3").await;
    let r = w.step(at(0)).await;
    // The cluster is made (the task runs in it); the service is not created yet.
    assert_eq!(
        applied(&r),
        vec!["CreateCluster", "RunTask"],
        "{:?}",
        r.applied
    );
    assert_eq!(w.running(), None);
    assert_eq!(w.reason(ct::PROGRESSING), reasons::PRE_DEPLOY_RUNNING);
    w.step(at(10)).await;
    assert_eq!(w.running(), None);
    w.finish(1, 0);
    let r = w.step(at(20)).await;
    assert!(applied(&r).contains(&"CreateService"), "{:?}", r.applied);
    assert!(
        applied(&r).contains(&"RegisterScalableTarget"),
        "{:?}",
        r.applied
    );
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    assert_eq!(w.run_tasks(), 1);
}

#[tokio::test]
async fn removing_the_pre_deploy_stops_it_and_lets_the_rollout_proceed() {
    let (mut w, _, rev2) = running_then_new_revision(migrate(0, None)).await;
    w.step(at(10)).await;
    w.edit(|fs| fs.spec.deployment.as_mut().unwrap().pre_deploy = None);
    let r = w.step(at(20)).await;
    assert_eq!(
        applied(&r),
        vec!["StopTask", "UpdateService"],
        "{:?}",
        r.applied
    );
    assert_eq!(w.running().as_deref(), Some(rev2.as_str()));
    assert!(w.backend.lock().running_tasks().is_empty());
    assert_eq!(w.status().pre_deploy, None);
}

#[tokio::test]
async fn deletion_stops_a_running_pre_deploy_unless_retained() {
    for retain in [false, true] {
        let (mut w, _, _) = running_then_new_revision(migrate(0, None)).await;
        w.step(at(10)).await;
        if retain {
            w.fs.spec.deletion_policy =
                fargate_operator::api::fargateservice::DeletionPolicy::Retain;
        }
        let c = cleanup_fargate_service(&w.backend.aws(), &w.fs, 5).await;
        assert_eq!(c.sync, Sync::InSync, "{:?}", c.sync);
        let running = w.backend.lock().running_tasks().len();
        assert_eq!(running, usize::from(retain), "retain={retain}");
    }
}

/// `plan` shows a pending preDeploy: against an empty account the service waits for the
/// revision this plan registers (no CreateService, a note naming the command); once the
/// revision exists, the RunTask it would start.
#[test]
fn plan_shows_the_pre_deploy_it_waits_for() {
    use fargate_operator::batch::{plan_all, render_text};
    let m = support::examples::load(&["migrate-before-rollout.yaml"]);
    let config = PlanConfig::default();
    let plans = plan_all(
        &m,
        &config,
        |_| Default::default(),
        |_, _, _| Default::default(),
    );
    let text = render_text(&plans);
    assert!(
        text.contains("! PreDeployRunning: the preDeploy task (python -m orders.manage migrate --no-input) runs before the service moves to the revision this plan registers"),
        "{text}"
    );
    assert!(!text.contains("create ECS service"), "{text}");

    // With the revision registered (its TaskDefinition's plan applied).
    let mut aws = fargate_operator::testing::SimAws::new("123456789012", "us-east-1");
    let observe_td =
        |aws: &fargate_operator::testing::SimAws,
         l: &fargate_operator::api::names::TaskDefinitionLookups| {
            aws.observe_task_definition(&l.family, &l.log_groups, &l.roles)
        };
    for p in plan_all(
        &m,
        &config,
        |l| observe_td(&aws, l),
        |c, s, r| aws.observe_service_and_role(c, s, r),
    ) {
        if p.kind == "TaskDefinition" {
            for a in &p.plan().unwrap().actions {
                aws.apply(a).unwrap();
            }
        }
    }
    let plans = plan_all(
        &m,
        &config,
        |l| observe_td(&aws, l),
        |c, s, r| aws.observe_service_and_role(c, s, r),
    );
    let text = render_text(&plans);
    assert!(
        text.contains("+ run 1 × shop_orders:1 in cluster shop (attempt 1, startedBy orders-"),
        "{text}"
    );
    assert!(text.contains("! PreDeployRunning"), "{text}");
    assert!(!text.contains("create ECS service"), "{text}");
}

/// A revision whose preDeploy succeeded and that ECS then rolled back (the circuit breaker
/// failed its deployment) is held by the rollback rule: the service stays on the running
/// revision and no preDeploy runs for it, or for the running one, however often it is
/// reconciled.
#[tokio::test]
async fn a_revision_ecs_rolled_back_starts_no_pre_deploy_loop() {
    let (mut w, rev1, rev2) = running_then_new_revision(migrate(0, None)).await;
    w.step(at(10)).await;
    w.finish(1, 0);
    w.step(at(20)).await;
    assert_eq!(w.running().as_deref(), Some(rev2.as_str()));
    {
        // ECS rolls back: the service runs revision 1 again; revision 2's deployment FAILED.
        let mut sim = w.backend.lock();
        let s = sim.services.values_mut().next().unwrap();
        s.body.task_definition = rev1.as_str().into();
        s.deployments = vec![
            fargate_operator::plan::model::ObservedDeployment {
                id: "ecs-svc/2".into(),
                status: "ACTIVE".into(),
                task_definition: rev2.clone(),
                rollout_state: Some("FAILED".into()),
                rollout_state_reason: Some("circuit breaker".into()),
                ..Default::default()
            },
            fargate_operator::plan::model::ObservedDeployment {
                id: "ecs-svc/1".into(),
                status: "PRIMARY".into(),
                task_definition: rev1.clone(),
                rollout_state: Some("COMPLETED".into()),
                ..Default::default()
            },
        ];
    }
    for t in [30, 40, 50] {
        let r = w.step(at(t)).await;
        assert!(r.applied.is_empty(), "{:?}", r.applied);
    }
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));
    assert_eq!(w.run_tasks(), 1);
    assert_eq!(w.reason(ct::DEGRADED), reasons::ROLLED_BACK);
    assert_eq!(
        w.status().rolled_back.as_ref().unwrap().task_definition_arn,
        rev2
    );
}

/// `preDeploy.taskDefinitionRef`: the task runs that TaskDefinition's registered revision
/// (here the service's own, named explicitly); one that has none yet holds the revision
/// (Progressing, WaitingForTaskDefinition) and starts nothing.
#[tokio::test]
async fn a_pre_deploy_by_reference_runs_its_revision_or_waits_for_it() {
    use fargate_operator::api::fargatetask::TaskDefinitionName;
    let named = |name: &str| PreDeploySpec {
        task_definition_ref: Some(TaskDefinitionName { name: name.into() }),
        ..migrate(0, None)
    };
    let (mut w, rev1, _) = running_then_new_revision(named("migrator")).await;
    let r = w.step(at(10)).await;
    assert!(r.applied.is_empty(), "{:?}", r.applied);
    assert_eq!(
        w.reason(ct::PROGRESSING),
        reasons::WAITING_FOR_TASK_DEFINITION
    );
    assert!(w.message(ct::PROGRESSING).contains("migrator"));
    assert_eq!(w.running().as_deref(), Some(rev1.as_str()));

    w.edit(|fs| fs.spec.deployment.as_mut().unwrap().pre_deploy = Some(named("web-api")));
    let r = w.step(at(20)).await;
    assert_eq!(applied(&r), vec!["RunTask"], "{:?}", r.applied);
    let pd = w.status().pre_deploy.clone().unwrap();
    assert_eq!(pd.task_definition_arn, w.info.as_ref().unwrap().arn);
}
