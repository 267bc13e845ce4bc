//! The example manifests (`examples/`), and copies of them, as the tests and benches use
//! them.

use std::path::PathBuf;

use fargate_operator::api::{FargateService, TaskDefinition};
use fargate_operator::manifests::{self, Manifests};

/// `examples/<file>`, or the folder itself for `""`.
pub fn path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(file)
}

/// The example files named (or every example, for `&[""]`), loaded.
pub fn load(files: &[&str]) -> Manifests {
    let paths: Vec<PathBuf> = files.iter().map(|f| path(f)).collect();
    manifests::load(&paths).expect("examples load")
}

/// Every example.
pub fn all() -> Manifests {
    load(&[""])
}

/// examples/web-api.yaml: one TaskDefinition and the FargateService running it.
pub fn web_api() -> Manifests {
    load(&["web-api.yaml"])
}

/// The web-api example's TaskDefinition and FargateService.
pub fn web_api_pair() -> (TaskDefinition, FargateService) {
    let m = web_api();
    (m.task_definitions[0].clone(), m.services[0].clone())
}

/// A copy of `example` (a TaskDefinition and the service running it): both named `name`
/// (in `namespace`, if given), the service referencing the TaskDefinition, in `cluster`.
pub fn copy(
    example: &(TaskDefinition, FargateService),
    name: &str,
    namespace: Option<&str>,
    cluster: String,
) -> (TaskDefinition, FargateService) {
    let (mut td, mut fs) = example.clone();
    for meta in [&mut td.metadata, &mut fs.metadata] {
        meta.name = Some(name.to_owned());
        if let Some(ns) = namespace {
            meta.namespace = Some(ns.to_owned());
        }
    }
    fs.spec.task_definition_ref.as_mut().expect("ref").name = name.to_owned();
    fs.spec.cluster.name = cluster;
    (td, fs)
}

/// `m` with only the objects named `name` (of any kind).
pub fn only(m: &Manifests, name: &str) -> Manifests {
    Manifests {
        task_definitions: m
            .task_definitions
            .iter()
            .filter(|t| t.metadata.name.as_deref() == Some(name))
            .cloned()
            .collect(),
        services: m
            .services
            .iter()
            .filter(|s| s.metadata.name.as_deref() == Some(name))
            .cloned()
            .collect(),
        tasks: m
            .tasks
            .iter()
            .filter(|t| t.metadata.name.as_deref() == Some(name))
            .cloned()
            .collect(),
        skipped: vec![],
        ..Default::default()
    }
}

/// `m` with its (last) FargateService replaced by copies of it named `names`, each running
/// an ECS service of its own name (`spec.serviceName`).
pub fn with_services_named(mut m: Manifests, names: &[&str]) -> Manifests {
    let template = m.services.pop().expect("a FargateService");
    m.services = names
        .iter()
        .map(|name| {
            let mut fs = template.clone();
            fs.metadata.name = Some((*name).to_owned());
            fs.spec.service_name = Some((*name).to_owned());
            fs
        })
        .collect();
    m
}
