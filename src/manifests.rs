//! Reading TaskDefinition, FargateService and FargateTask YAML from files, for `plan` and
//! `apply`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kube::ResourceExt;
use serde::Deserialize;

use crate::api::{FargateService, FargateTask, FargateTenant, TaskDefinition, GROUP};

/// Errors reading manifests.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A file or directory could not be read.
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A document is not valid YAML or does not match the kind's schema.
    #[error("{path} (document {doc}): {message}")]
    Parse {
        path: String,
        doc: usize,
        message: String,
    },
    /// Two documents name the same object.
    #[error("{kind} {namespace}/{name} is defined twice ({path})")]
    Duplicate {
        kind: &'static str,
        namespace: String,
        name: String,
        path: String,
    },
    /// No TaskDefinition, FargateService or FargateTask was found.
    #[error("no TaskDefinition, FargateService or FargateTask found in {0}")]
    Empty(String),
}

/// The objects read from a set of files.
#[derive(Debug, Default, Clone)]
pub struct Manifests {
    pub task_definitions: Vec<TaskDefinition>,
    pub services: Vec<FargateService>,
    pub tasks: Vec<FargateTask>,
    /// FargateTenants: which account, defaults and rules each namespace's objects get.
    pub tenants: Vec<FargateTenant>,
    /// The labels of the `v1` Namespaces in the files (tenants may select by label).
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// `kind name (file)` of documents of other kinds, which are ignored.
    pub skipped: Vec<String>,
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
    let read_err = |source| ManifestError::Read {
        path: path.display().to_string(),
        source,
    };
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                collect_files(&e, out)?;
            } else if matches!(
                e.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(e);
            }
        }
        Ok(())
    } else if path.exists() {
        out.push(path.to_path_buf());
        Ok(())
    } else {
        Err(read_err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or directory",
        )))
    }
}

/// Reads every `.yaml`/`.yml`/`.json` file under `paths` (directories recursively, in name
/// order). Objects without a namespace go to `default`.
pub fn load(paths: &[PathBuf]) -> Result<Manifests, ManifestError> {
    let mut files = vec![];
    for p in paths {
        collect_files(p, &mut files)?;
    }
    let mut out = Manifests::default();
    let mut seen = Seen::new();
    for file in &files {
        let path = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        for (i, doc) in serde_norway::Deserializer::from_str(&text).enumerate() {
            let parse = |message: String| ManifestError::Parse {
                path: path.clone(),
                doc: i + 1,
                message,
            };
            let value = serde_json::Value::deserialize(doc).map_err(|e| parse(e.to_string()))?;
            if value.is_null() {
                continue;
            }
            let api_version = value
                .get("apiVersion")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let kind = value.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            let ours = api_version.split('/').next() == Some(GROUP);
            match (ours, kind) {
                (true, "TaskDefinition") => {
                    let td = object("TaskDefinition", value, &mut seen, parse, &path)?;
                    out.task_definitions.push(td);
                }
                (true, "FargateService") => {
                    let fs = object("FargateService", value, &mut seen, parse, &path)?;
                    out.services.push(fs);
                }
                (true, "FargateTenant") => {
                    let t = tenant(value, &mut seen, parse, &path)?;
                    out.tenants.push(t);
                }
                (true, "FargateTask") => {
                    let ft = object("FargateTask", value, &mut seen, parse, &path)?;
                    out.tasks.push(ft);
                }
                (true, other) => return Err(parse(format!("unknown kind {other:?} in {GROUP}"))),
                (false, "Namespace") if api_version == "v1" => {
                    let name = value.pointer("/metadata/name").and_then(|v| v.as_str());
                    let labels = value
                        .pointer("/metadata/labels")
                        .cloned()
                        .map(serde_json::from_value)
                        .transpose()
                        .map_err(|e| parse(format!("Namespace: metadata.labels: {e}")))?;
                    if let Some(name) = name {
                        out.namespace_labels
                            .insert(name.to_owned(), labels.unwrap_or_default());
                    }
                }
                _ => {
                    let name = value
                        .pointer("/metadata/name")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?");
                    out.skipped.push(format!("{kind} {name} ({path})"));
                }
            }
        }
    }
    if out.task_definitions.is_empty() && out.services.is_empty() && out.tasks.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(ManifestError::Empty(names.join(", ")));
    }
    Ok(out)
}

/// A FargateTenant from a document (cluster-scoped: no namespace), not already in the set.
fn tenant(
    value: serde_json::Value,
    seen: &mut Seen,
    parse: impl Fn(String) -> ManifestError,
    path: &str,
) -> Result<FargateTenant, ManifestError> {
    let t: FargateTenant = serde_path_to_error::deserialize(value)
        .map_err(|e| parse(format!("FargateTenant: {}: {}", e.path(), e.inner())))?;
    if !seen.insert(("FargateTenant", None, t.name_any())) {
        return Err(ManifestError::Duplicate {
            kind: "FargateTenant",
            namespace: String::new(),
            name: t.name_any(),
            path: path.to_owned(),
        });
    }
    Ok(t)
}

/// The objects of a set so far, by kind, namespace and name.
type Seen = BTreeSet<(&'static str, Option<String>, String)>;

/// One of the operator's objects from a document: deserialised (an error names the field),
/// in `default` when it names no namespace, and not already in the set.
fn object<K: kube::Resource + serde::de::DeserializeOwned>(
    kind: &'static str,
    value: serde_json::Value,
    seen: &mut Seen,
    parse: impl Fn(String) -> ManifestError,
    path: &str,
) -> Result<K, ManifestError> {
    let mut obj: K = serde_path_to_error::deserialize(value)
        .map_err(|e| parse(format!("{kind}: {}: {}", e.path(), e.inner())))?;
    obj.meta_mut()
        .namespace
        .get_or_insert_with(|| "default".into());
    if !seen.insert((kind, obj.namespace(), obj.name_any())) {
        return Err(ManifestError::Duplicate {
            kind,
            namespace: obj.namespace().unwrap_or_default(),
            name: obj.name_any(),
            path: path.to_owned(),
        });
    }
    Ok(obj)
}
