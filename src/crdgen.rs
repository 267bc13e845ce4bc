//! The CRD YAML, generated from the Rust types.

use std::path::Path;

use kube::CustomResourceExt;

use crate::api::{FargateService, FargateTask, FargateTenant, TaskDefinition};

/// Errors writing CRD files.
#[derive(Debug, thiserror::Error)]
pub enum CrdgenError {
    /// Serialising a CRD failed.
    #[error("serialising CRD {0}: {1}")]
    Serialize(&'static str, #[source] serde_norway::Error),
    /// Writing a file failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Every directory of the repository that carries the CRDs (the plain manifests, the Helm
/// chart, the kustomize base), relative to the repository root. `crdgen --write` refreshes
/// them all; tests/crds.rs fails when one is stale.
pub const CRD_DIRS: [&str; 3] = ["crds", "charts/fargate-operator/crds", "deploy/base/crds"];

/// `(file name, YAML)` for each CRD, in a stable order.
pub fn crds() -> Result<Vec<(&'static str, String)>, CrdgenError> {
    let td = serde_norway::to_string(&TaskDefinition::crd())
        .map_err(|e| CrdgenError::Serialize("TaskDefinition", e))?;
    let fs = serde_norway::to_string(&FargateService::crd())
        .map_err(|e| CrdgenError::Serialize("FargateService", e))?;
    let ft = serde_norway::to_string(&FargateTask::crd())
        .map_err(|e| CrdgenError::Serialize("FargateTask", e))?;
    let tenant = serde_norway::to_string(&FargateTenant::crd())
        .map_err(|e| CrdgenError::Serialize("FargateTenant", e))?;
    Ok(vec![
        ("ecs.fargate.dev_taskdefinitions.yaml", td),
        ("ecs.fargate.dev_fargateservices.yaml", fs),
        ("ecs.fargate.dev_fargatetasks.yaml", ft),
        ("ecs.fargate.dev_fargatetenants.yaml", tenant),
    ])
}

/// Every CRD as one multi-document YAML stream.
pub fn crds_yaml() -> Result<String, CrdgenError> {
    Ok(crds()?
        .into_iter()
        .map(|(_, y)| format!("---\n{y}"))
        .collect::<String>())
}

/// Writes each CRD to `dir/<file name>`.
pub fn write_crds(dir: &Path) -> Result<(), CrdgenError> {
    std::fs::create_dir_all(dir).map_err(|source| CrdgenError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    for (file, yaml) in crds()? {
        let path = dir.join(file);
        std::fs::write(&path, yaml).map_err(|source| CrdgenError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}
