//! `fargate-operator run`: connect, wait for the CRDs, start the reflectors, the three
//! controllers (per watched namespace), leader election and the HTTP endpoints; stop
//! gracefully when `shutdown` completes.

use std::net::SocketAddr;
use std::sync::Arc;

use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, Stream, StreamExt};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::runtime::controller::{self, Controller};
use kube::runtime::reflector::{self, Store};
use kube::runtime::wait::{await_condition, conditions};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Resource};

use super::http::{self, Health};
use super::reconcile::{
    error_policy, reconcile_fargate_service, reconcile_fargate_task, reconcile_task_definition,
};
use super::tenancy::{GuardedTenant, NamespaceMeta, TenancyStores};
use super::tenants::{reconcile_tenant, tenant_error_policy, TenantContext};
use super::{
    services_referencing, task_definition_trigger_key, tasks_referencing, trigger_key, Changes,
    Context, GuardedFargateService, GuardedFargateTask, GuardedTaskDefinition, Leadership,
    Settings, Stores,
};
use crate::aws::accounts::Accounts;
use crate::aws::sdk::AwsSettings;
use crate::metrics::Metrics;

/// How far a controller's subscription may fall behind its reflector.
const SUBSCRIBER_BUFFER: usize = 1024;

/// Leader election with a coordination.k8s.io Lease.
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    pub name: String,
    pub namespace: String,
    /// This replica's identity (the pod name).
    pub identity: String,
    /// Seconds a lease is valid without renewal.
    pub duration_secs: u64,
    /// Seconds before expiry the holder renews.
    pub grace_secs: u64,
}

/// Everything `run` needs.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub settings: Settings,
    /// Namespaces to watch; empty watches all.
    pub namespaces: Vec<String>,
    pub label_selector: Option<String>,
    /// Reconciles in flight at once, per kind and scope.
    pub concurrency: u16,
    pub metrics_addr: SocketAddr,
    pub leader_election: Option<LeaseSettings>,
    pub aws: AwsSettings,
}

/// Why the controller could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("connecting to Kubernetes: {0}")]
    Connect(#[source] kube::Error),
    #[error("leader election (Lease {name}): {source}")]
    Lease {
        name: String,
        #[source]
        source: kube_lease_manager::LeaseManagerError,
    },
    #[error("metrics endpoint on {addr}: {source}")]
    Http {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

type Shutdown = Shared<BoxFuture<'static, ()>>;

/// Runs the controller until `shutdown` completes: Kubernetes from the kubeconfig or the
/// pod's service account, AWS from the standard chain.
pub async fn run(
    config: RunConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    crate::tls::install_crypto_provider();
    let kube_config = kube::Config::infer()
        .await
        .map_err(|e| RunError::Connect(kube::Error::InferConfig(e)))?;
    tracing::info!(api_server = %kube_config.cluster_url, "using the Kubernetes API server");
    let client = Client::try_from(kube_config).map_err(RunError::Connect)?;
    let (accounts, region) = crate::aws::sdk::connect_accounts(&config.aws).await;
    let mut config = config;
    config.settings.plan.region = region;
    run_with(client, accounts, Arc::new(Metrics::new()), config, shutdown).await
}

/// [`run`] with the clients given (tests pass a mock API server and an AWS stand-in: an
/// [`Aws`](crate::aws::Aws) alone reaches only the operator's own account). AWS calls are
/// counted into `metrics`.
pub async fn run_with(
    client: Client,
    accounts: impl Into<Accounts>,
    metrics: Arc<Metrics>,
    config: RunConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let shutdown: Shutdown = shutdown.boxed().shared();

    // The probes answer from the start: /healthz while the process lives, /readyz only once
    // the CRDs are established and the caches synced.
    let health = Arc::new(Health::new());
    let server = serve_http(&config, &metrics, &health, &shutdown).await?;

    for name in [
        "taskdefinitions.ecs.fargate.dev",
        "fargateservices.ecs.fargate.dev",
        "fargatetenants.ecs.fargate.dev",
        "fargatetasks.ecs.fargate.dev",
    ] {
        tokio::select! {
            () = wait_for_crd(&client, name) => {}
            () = shutdown.clone() => return Ok(()),
        }
    }

    // Metrics see every attempt; the retry layer sits above them.
    let (hook, retry) = (metrics.clone(), config.settings.retry);
    let accounts = Arc::new(
        accounts
            .into()
            .wrapped(move |aws| aws.instrumented(hook.clone()).retried(retry)),
    );
    let (leadership, lease_task) = elect_leader(&client, config.leader_election.as_ref()).await?;
    health.set_leadership(leadership.clone());

    let shared = ScopeShared {
        accounts,
        settings: config.settings.clone(),
        metrics,
        leadership: leadership.clone(),
        shutdown,
    };
    run_scopes(&client, &config, &shared, &health).await;
    drop(shared);

    // Controllers have drained; give the lease back so a standby takes over at once.
    drop(leadership);
    drop(health);
    if let Some(task) = lease_task {
        release_lease(task).await;
    }
    if let Ok(Err(e)) = server.await {
        tracing::warn!(error = %e, "metrics server");
    }
    Ok(())
}

/// Serves `/metrics`, `/healthz` and `/readyz` on the configured address until shutdown.
async fn serve_http(
    config: &RunConfig,
    metrics: &Arc<Metrics>,
    health: &Arc<Health>,
    shutdown: &Shutdown,
) -> Result<tokio::task::JoinHandle<std::io::Result<()>>, RunError> {
    let listener = tokio::net::TcpListener::bind(config.metrics_addr)
        .await
        .map_err(|source| RunError::Http {
            addr: config.metrics_addr,
            source,
        })?;
    tracing::info!(
        addr = %listener.local_addr().unwrap_or(config.metrics_addr),
        "serving /metrics, /healthz, /readyz"
    );
    Ok(tokio::spawn(http::serve(
        listener,
        http::router(metrics.clone(), health.clone()),
        shutdown.clone(),
    )))
}

/// The Lease's holder, watched until shutdown.
type LeaseTask =
    tokio::task::JoinHandle<kube_lease_manager::Result<kube_lease_manager::LeaseManager>>;

/// Who may write: every replica without leader election, else the holder of the Lease
/// (and the task that keeps holding or watching it).
async fn elect_leader(
    client: &Client,
    lease: Option<&LeaseSettings>,
) -> Result<(Leadership, Option<LeaseTask>), RunError> {
    let Some(l) = lease else {
        return Ok((Leadership::Always, None));
    };
    let manager = kube_lease_manager::LeaseManagerBuilder::new(client.clone(), &l.name)
        .with_namespace(&l.namespace)
        .with_identity(&l.identity)
        .with_duration(l.duration_secs)
        .with_grace(l.grace_secs)
        .build()
        .await
        .map_err(|source| RunError::Lease {
            name: l.name.clone(),
            source,
        })?;
    let (rx, task) = manager.watch().await;
    Ok((Leadership::Lease(rx), Some(task)))
}

/// Waits for the Lease task to end (it releases the Lease once every receiver is gone).
async fn release_lease(task: LeaseTask) {
    match task.await {
        Ok(Ok(_)) => tracing::info!("lease released"),
        Ok(Err(e)) => tracing::warn!(error = %e, "releasing the lease"),
        Err(e) => tracing::warn!(error = %e, "lease task"),
    }
}

/// Runs the controllers of every scope (all namespaces, or each watched one) until they
/// have drained after shutdown; `/readyz` turns ready once every scope's caches synced.
async fn run_scopes(
    client: &Client,
    config: &RunConfig,
    shared: &ScopeShared,
    health: &Arc<Health>,
) {
    let scopes: Vec<Option<String>> = if config.namespaces.is_empty() {
        vec![None]
    } else {
        config.namespaces.iter().cloned().map(Some).collect()
    };
    // Two subscribers per scope (its TaskDefinition and FargateService controllers), and
    // the FargateTenant controller (its tenants, and their changes).
    let mut tenancy = TenancyWatch::start(client, 2 * scopes.len() + 2);
    let tenants = tenancy.stores.tenants.clone();
    let mut readiness = vec![async move {
        let _ = tenants.wait_until_ready().await;
    }
    .boxed()];
    let mut running = vec![];
    let mut stores = vec![];
    for scope in scopes {
        let (ready, controllers, scope_stores) = scope_controllers(
            client,
            scope.as_deref(),
            config,
            shared.clone(),
            &mut tenancy,
        );
        readiness.push(ready);
        running.push(controllers);
        stores.push(scope_stores);
    }
    running.push(tenant_controller(client, shared, &mut tenancy, stores));
    // The tenancy watches run until the scopes' controllers have drained.
    let reflectors = tenancy.reflectors;
    let running = async move {
        tokio::select! {
            _ = futures::future::join_all(running) => {}
            () = reflectors => tracing::error!("FargateTenant / Namespace watch streams ended"),
        }
    };
    let health_for_ready = health.clone();
    let ready = async move {
        futures::future::join_all(readiness).await;
        tracing::info!("caches synced");
        health_for_ready.set_synced();
    };
    tokio::join!(ready, running);
}

/// Waits until the CRD `name` is established. Failing to read it (the API server unreachable,
/// RBAC, ...) is logged and retried with backoff, never fatal: the process stays up and live
/// (`/healthz`), and not ready (`/readyz`), until the API server answers.
async fn wait_for_crd(client: &Client, name: &'static str) {
    tracing::info!(crd = name, "waiting for the CRD to be established");
    let mut delay = CRD_RETRY_FIRST;
    loop {
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        let Err(kube::runtime::wait::Error::ProbeFailed(e)) =
            await_condition(crds, name, conditions::is_crd_established()).await
        else {
            return;
        };
        tracing::warn!(
            crd = name,
            error = %error_chain(&e),
            retry_in = ?delay,
            "{}",
            describe_watch_error(&e)
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(CRD_RETRY_MAX);
    }
}

const CRD_RETRY_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
const CRD_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(30);

/// What a failed read of the API server means, for the log line.
fn describe_watch_error(e: &watcher::Error) -> &'static str {
    let client_error = match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
        watcher::Error::WatchError(_) | watcher::Error::NoResourceVersion => {
            return "the Kubernetes API server failed a watch; retrying"
        }
    };
    match client_error {
        kube::Error::Api(s) if s.code == 401 || s.code == 403 => {
            "the Kubernetes API server refused the operator's credentials or RBAC permissions \
             (see deploy/base/rbac.yaml); retrying"
        }
        kube::Error::Api(_) => "the Kubernetes API server answered with an error; retrying",
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
            "cannot reach the Kubernetes API server (is it running, and does the kubeconfig or \
             the pod's service account point at it?); retrying"
        }
        _ => "reading from the Kubernetes API server failed; retrying",
    }
}

/// An error and its sources, each once: `a: b: c` (kube's messages repeat their source's).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// What every scope's controllers share.
#[derive(Clone)]
struct ScopeShared {
    accounts: Arc<Accounts>,
    settings: Settings,
    metrics: Arc<Metrics>,
    leadership: Leadership,
    shutdown: Shutdown,
}

fn api_for<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The reflectors and both controllers of one scope (all namespaces, or one). Returns a
/// future that completes when the caches are synced, and the future that runs everything
/// until shutdown.
fn scope_controllers(
    client: &Client,
    namespace: Option<&str>,
    config: &RunConfig,
    shared: ScopeShared,
    tenancy: &mut TenancyWatch,
) -> (BoxFuture<'static, ()>, BoxFuture<'static, ()>, Stores) {
    let (td_store, td_writer) = reflector::store_shared::<GuardedTaskDefinition>(SUBSCRIBER_BUFFER);
    let (fs_store, fs_writer) = reflector::store_shared::<GuardedFargateService>(SUBSCRIBER_BUFFER);
    let (ft_store, ft_writer) = reflector::store_shared::<GuardedFargateTask>(SUBSCRIBER_BUFFER);
    // Subscriptions exist before the reflectors run, so nothing is missed.
    let (Some(td_for_td), Some(td_for_fs), Some(fs_for_fs), Some(td_for_ft), Some(ft_for_ft)) = (
        td_writer.subscribe(),
        td_writer.subscribe(),
        fs_writer.subscribe(),
        td_writer.subscribe(),
        ft_writer.subscribe(),
    ) else {
        unreachable!("store_shared writers always allow subscriptions")
    };
    let reflectors = reflectors(client, namespace, config, td_writer, fs_writer, ft_writer);

    let mut ctx = Context::new(
        client.clone(),
        shared.accounts.own().clone(),
        shared.settings.clone(),
        shared.metrics.clone(),
        Stores {
            task_definitions: td_store.clone(),
            services: fs_store.clone(),
            tenancy: tenancy.stores.clone(),
        },
        shared.leadership.clone(),
    );
    ctx.accounts = shared.accounts.clone();
    let ctx = Arc::new(ctx);
    let stores = ctx.stores.clone();
    let controller_config = controller::Config::default().concurrency(config.concurrency);
    let woken = wake_observed_services(&ctx, fs_store.clone());

    let mut td_changes = Changes::new(trigger_key::<GuardedTaskDefinition>);
    let td_controller = Controller::for_shared_stream(
        td_for_td.filter(move |o| std::future::ready(td_changes.changed(o))),
        td_store.clone(),
    )
    .with_config(controller_config.clone())
    .reconcile_all_on(became_leader(shared.leadership.clone()))
    .reconcile_all_on(tenancy.changes())
    .graceful_shutdown_on(shared.shutdown.clone())
    .run(reconcile_task_definition, error_policy, ctx.clone())
    .for_each(log_result);

    let mut fs_changes = Changes::new(trigger_key::<GuardedFargateService>);
    let mut td_changes_for_fs = Changes::new(task_definition_trigger_key);
    let services = fs_store.clone();
    let fs_controller = Controller::for_shared_stream(
        fs_for_fs.filter(move |o| std::future::ready(fs_changes.changed(o))),
        fs_store.clone(),
    )
    .watches_shared_stream(
        td_for_fs.filter(move |o| std::future::ready(td_changes_for_fs.changed(o))),
        move |td| services_referencing(&td, &services),
    )
    .with_config(controller_config)
    .reconcile_on(woken)
    .reconcile_all_on(became_leader(shared.leadership.clone()))
    .reconcile_all_on(tenancy.changes())
    .graceful_shutdown_on(shared.shutdown.clone())
    .run(reconcile_fargate_service, error_policy, ctx.clone())
    .for_each(log_result);

    let ft_controller = task_controller(
        (ft_for_ft, td_for_ft),
        ft_store.clone(),
        ctx,
        config,
        &shared,
    );

    let ready = wait_ready(td_store, fs_store, ft_store).boxed();
    let shutdown = shared.shutdown;
    let all = async move {
        let controllers = futures::future::join3(td_controller, fs_controller, ft_controller);
        // The reflectors run until the controllers have drained after shutdown.
        tokio::select! {
            _ = controllers => {}
            _ = reflectors => tracing::error!("watch streams ended"),
        }
        drop(shutdown);
    }
    .boxed();
    (ready, all, stores)
}

/// The FargateTenant controller: tenants' statuses, refreshed when a tenant or a namespace's
/// labels change and every resync.
fn tenant_controller(
    client: &Client,
    shared: &ScopeShared,
    tenancy: &mut TenancyWatch,
    scopes: Vec<Stores>,
) -> BoxFuture<'static, ()> {
    let ctx = Arc::new(TenantContext {
        client: client.clone(),
        accounts: shared.accounts.clone(),
        leadership: shared.leadership.clone(),
        tenancy: tenancy.stores.clone(),
        scopes,
        resync: shared.settings.resync,
        now: k8s_openapi::jiff::Timestamp::now,
    });
    let Some((tenants, _)) = tenancy.subscriptions.pop() else {
        unreachable!("one subscription per controller was made in TenancyWatch::start")
    };
    let mut tenant_changes = Changes::new(trigger_key::<GuardedTenant>);
    Controller::for_shared_stream(
        tenants.filter(move |t| std::future::ready(tenant_changes.changed(t))),
        tenancy.stores.tenants.clone(),
    )
    .reconcile_all_on(tenancy.changes())
    .reconcile_all_on(became_leader(shared.leadership.clone()))
    .graceful_shutdown_on(shared.shutdown.clone())
    .run(reconcile_tenant, tenant_error_policy, ctx)
    .for_each(log_result)
    .boxed()
}

/// The FargateTask controller of one scope: woken by its own kind's changes and by a
/// TaskDefinition's a run waits for.
fn task_controller(
    (tasks, task_definitions): (
        impl Stream<Item = Arc<GuardedFargateTask>> + Send + 'static,
        impl Stream<Item = Arc<GuardedTaskDefinition>> + Send + 'static,
    ),
    store: Store<GuardedFargateTask>,
    ctx: Arc<Context>,
    config: &RunConfig,
    shared: &ScopeShared,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut ft_changes = Changes::new(trigger_key::<GuardedFargateTask>);
    let mut td_changes = Changes::new(task_definition_trigger_key);
    let referencing = store.clone();
    Controller::for_shared_stream(
        tasks.filter(move |o| std::future::ready(ft_changes.changed(o))),
        store,
    )
    .watches_shared_stream(
        task_definitions.filter(move |o| std::future::ready(td_changes.changed(o))),
        move |td| tasks_referencing(&td, &referencing),
    )
    .with_config(controller::Config::default().concurrency(config.concurrency))
    .reconcile_all_on(became_leader(shared.leadership.clone()))
    .graceful_shutdown_on(shared.shutdown.clone())
    .run(reconcile_fargate_task, error_policy, ctx)
    .for_each(log_result)
}

/// Every kind's watches of one scope, feeding their shared stores (objects trimmed first).
fn reflectors(
    client: &Client,
    namespace: Option<&str>,
    config: &RunConfig,
    td_writer: reflector::store::Writer<GuardedTaskDefinition>,
    fs_writer: reflector::store::Writer<GuardedFargateService>,
    ft_writer: reflector::store::Writer<GuardedFargateTask>,
) -> impl std::future::Future<Output = ((), (), ())> + Send + 'static {
    let mut wc = watcher::Config::default().any_semantic();
    if let Some(selector) = &config.label_selector {
        wc = wc.labels(selector);
    }
    futures::future::join3(
        drain(
            "TaskDefinition",
            watcher(
                api_for::<GuardedTaskDefinition>(client, namespace),
                wc.clone(),
            )
            .default_backoff()
            .modify(trim_for_cache)
            .reflect_shared(td_writer),
        ),
        drain(
            "FargateService",
            watcher(
                api_for::<GuardedFargateService>(client, namespace),
                wc.clone(),
            )
            .default_backoff()
            .modify(trim_for_cache)
            .reflect_shared(fs_writer),
        ),
        drain(
            "FargateTask",
            watcher(api_for::<GuardedFargateTask>(client, namespace), wc)
                .default_backoff()
                .modify(trim_for_cache)
                .reflect_shared(ft_writer),
        ),
    )
}

/// The services a batched DescribeServices observed ahead are reconciled now, while their
/// observations are fresh: the stream of them, for the FargateService controller.
fn wake_observed_services(
    ctx: &Context,
    services: Store<GuardedFargateService>,
) -> futures::channel::mpsc::UnboundedReceiver<reflector::ObjectRef<GuardedFargateService>> {
    let (wake, woken) = futures::channel::mpsc::unbounded();
    ctx.observations.wake_with(Box::new(move |cluster, names| {
        for r in super::services_named(cluster, names, &services) {
            // Fails only once the controller is gone.
            let _ = wake.unbounded_send(r);
        }
    }));
    woken
}

/// The cluster-wide caches tenancy reads, shared by every scope: FargateTenants (objects
/// wait for them: a tenant not yet seen might govern their namespace) and namespaces' labels
/// (not waited for: without RBAC to list namespaces, only tenants that select by label are
/// affected, and their namespaces' objects wait, saying why).
struct TenancyWatch {
    stores: TenancyStores,
    /// Subscriptions to each cache, one per controller that reacts to tenancy changes.
    subscriptions: Vec<(
        reflector::ReflectHandle<GuardedTenant>,
        reflector::ReflectHandle<NamespaceMeta>,
    )>,
    reflectors: BoxFuture<'static, ()>,
}

impl TenancyWatch {
    /// Starts nothing yet (the reflectors run when `reflectors` is polled); `subscribers`
    /// controllers may call [`TenancyWatch::changes`].
    fn start(client: &Client, subscribers: usize) -> Self {
        let (tenants, tenant_writer) = reflector::store_shared::<GuardedTenant>(SUBSCRIBER_BUFFER);
        let (namespaces, namespace_writer) =
            reflector::store_shared::<NamespaceMeta>(SUBSCRIBER_BUFFER);
        // Subscriptions exist before the reflectors run, so nothing is missed.
        let subscriptions = (0..subscribers)
            .filter_map(|_| Some((tenant_writer.subscribe()?, namespace_writer.subscribe()?)))
            .collect();
        let wc = watcher::Config::default().any_semantic();
        let tenant_stream = watcher(Api::<GuardedTenant>::all(client.clone()), wc.clone())
            .default_backoff()
            .modify(trim_for_cache)
            .reflect_shared(tenant_writer);
        let namespace_stream = watcher(Api::<NamespaceMeta>::all(client.clone()), wc)
            .default_backoff()
            .modify(trim_for_cache)
            .reflect_shared(namespace_writer);
        let reflectors = futures::future::join(
            drain("FargateTenant", tenant_stream),
            drain("Namespace", namespace_stream),
        )
        .map(|_| ())
        .boxed();
        Self {
            stores: TenancyStores {
                tenants,
                namespaces,
            },
            subscriptions,
            reflectors,
        }
    }

    /// Emits when a tenant's spec changes, one is made or goes, or a namespace's labels
    /// change: every object may be governed differently now (tenant changes are rare).
    fn changes(&mut self) -> impl Stream<Item = ()> + Send + 'static {
        let Some((tenants, namespaces)) = self.subscriptions.pop() else {
            unreachable!("one subscription per controller was made in TenancyWatch::start")
        };
        let mut tenant_changes = Changes::new(trigger_key::<GuardedTenant>);
        let mut label_changes =
            Changes::new(|n: &NamespaceMeta| crate::util::hashed(&n.metadata.labels));
        futures::stream::select(
            tenants
                .filter(move |t| std::future::ready(tenant_changes.changed(t)))
                .map(|_| ()),
            namespaces
                .filter(move |n| std::future::ready(label_changes.changed(n)))
                .map(|_| ()),
        )
    }
}

/// kubectl's copy of the last applied object, kept in an annotation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops from an object, before it is cached, what no reconcile reads and what makes up most
/// of a typical object's memory: `metadata.managedFields` and kubectl's last-applied
/// annotation. (Status is written with server-side apply, which needs neither.)
fn trim_for_cache<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
}

async fn wait_ready(
    td: Store<GuardedTaskDefinition>,
    fs: Store<GuardedFargateService>,
    ft: Store<GuardedFargateTask>,
) {
    let _ = futures::future::join3(
        td.wait_until_ready(),
        fs.wait_until_ready(),
        ft.wait_until_ready(),
    )
    .await;
}

/// Runs a reflector stream, logging watch errors (the watcher retries with backoff).
async fn drain<K: std::fmt::Debug>(
    kind: &'static str,
    stream: impl Stream<Item = Result<watcher::Event<K>, watcher::Error>>,
) {
    stream
        .for_each(|event| {
            if let Err(e) = event {
                tracing::warn!(kind, error = %e, "watch failed; retrying");
            }
            std::future::ready(())
        })
        .await;
}

/// Emits once each time this replica becomes the leader (never without leader election):
/// the new leader reconciles everything at once instead of waiting for resyncs.
fn became_leader(leadership: Leadership) -> impl Stream<Item = ()> + Send + 'static {
    let rx = match leadership {
        Leadership::Always => None,
        Leadership::Lease(rx) => Some(rx),
    };
    futures::stream::unfold(rx, |rx| async move {
        let mut rx = rx?;
        loop {
            rx.changed().await.ok()?;
            if *rx.borrow_and_update() {
                tracing::info!("became the leader; reconciling everything");
                return Some(((), Some(rx)));
            }
            tracing::warn!("lost the lease; standing by");
        }
    })
}

fn log_result<T: std::fmt::Debug, E: std::fmt::Display>(
    result: Result<T, E>,
) -> std::future::Ready<()> {
    match result {
        Ok(obj) => tracing::debug!(object = ?obj, "reconciled"),
        Err(e) => tracing::debug!(error = %e, "reconcile not run"),
    }
    std::future::ready(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    #[test]
    fn a_failed_crd_read_says_what_went_wrong() {
        let forbidden = watcher::Error::InitialListFailed(kube::Error::Api(
            kube::core::Status::failure("customresourcedefinitions is forbidden", "Forbidden")
                .with_code(403)
                .boxed(),
        ));
        assert!(describe_watch_error(&forbidden).contains("RBAC"));
        let unreachable = watcher::Error::InitialListFailed(kube::Error::Service(Box::new(
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
        )));
        assert!(describe_watch_error(&unreachable).starts_with("cannot reach"));
        // Each message of the chain once, the innermost (the actual cause) included.
        assert_eq!(
            error_chain(&unreachable),
            "failed to perform initial object list: ServiceError: connection refused"
        );
    }

    #[test]
    fn the_cache_drops_managed_fields_and_the_last_applied_copy_only() {
        let mut obj = ConfigMap::default();
        obj.metadata.managed_fields = Some(vec![ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            ..Default::default()
        }]);
        obj.metadata.annotations = Some(
            [
                (LAST_APPLIED.to_owned(), "{\"big\": true}".to_owned()),
                (crate::api::ADOPT_ANNOTATION.to_owned(), "true".to_owned()),
            ]
            .into(),
        );
        trim_for_cache(&mut obj);
        assert_eq!(obj.metadata.managed_fields, None);
        assert_eq!(
            obj.metadata.annotations,
            Some([(crate::api::ADOPT_ANNOTATION.to_owned(), "true".to_owned())].into()),
            "annotations the reconcile reads stay"
        );
    }
}
