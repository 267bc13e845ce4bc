//! `docs/ecs-fields.md` accounts for every field of the ECS API types a Fargate task or
//! service is made of, at the `aws-sdk-ecs` version Cargo resolved.
//!
//! How it finds the fields: `cargo metadata` (offline, host platform only) names the
//! `aws-sdk-ecs` package Cargo resolved and its `Cargo.toml` in the registry; the generated
//! source declares each shape as `pub struct Name { pub field: Type, ... }` in
//! `src/types/_snake_name.rs` (or `src/operation/<op>/_<op>_input.rs` for an operation's
//! input), which this test reads. So an SDK update that adds a field fails here, naming it,
//! until the page maps it to a CRD path or excludes it with a reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;
use serde_json::Value;

const PAGE: &str = "docs/ecs-fields.md";
const STATES: [&str; 4] = ["mapped", "operator", "missing", "excluded"];
/// The top-level inputs whose fields the totals count.
const TOP: [&str; 4] = [
    "ContainerDefinition",
    "RegisterTaskDefinitionInput",
    "CreateServiceInput",
    "UpdateServiceInput",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `aws-sdk-ecs` Cargo resolved for this build: its version and source folder.
fn sdk_source() -> (String, PathBuf) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let rustc = Command::new("rustc").arg("-vV").output().unwrap();
    let host = String::from_utf8(rustc.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap();
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pkg = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-sdk-ecs")
        .expect("aws-sdk-ecs is a dependency");
    let manifest = PathBuf::from(pkg["manifest_path"].as_str().unwrap());
    (
        pkg["version"].as_str().unwrap().to_owned(),
        manifest.parent().unwrap().join("src"),
    )
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The file that declares a shape.
fn shape_file(src: &Path, name: &str) -> PathBuf {
    match name.strip_suffix("Input") {
        Some(op) => src
            .join("operation")
            .join(snake(op))
            .join(format!("_{}.rs", snake(name))),
        None => src.join("types").join(format!("_{}.rs", snake(name))),
    }
}

/// A struct's public fields and their types, or `None` when `name` is not a struct (an
/// enum, or no such shape).
fn sdk_fields(src: &Path, name: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(shape_file(src, name)).ok()?;
    let start = text.find(&format!("pub struct {name} {{"))?;
    let body = &text[start..];
    let body = &body[..body.find("\n}")?];
    // A field named by a Rust keyword is a raw identifier (`pub r#type: ...`): named
    // without its `r#`, as the API does.
    let field = Regex::new(r"(?m)^    pub (?:r#)?(\w+): (.+),$").unwrap();
    Some(
        field
            .captures_iter(body)
            .map(|c| (c[1].to_owned(), c[2].to_owned()))
            .collect(),
    )
}

#[derive(Debug)]
struct Row {
    state: String,
    why: String,
}

#[derive(Debug, Default)]
struct Level {
    totals: Option<String>,
    /// Section name → field → row, in page order of sections.
    sections: Vec<(String, BTreeMap<String, Row>)>,
}

fn read_page() -> (String, Vec<(String, Level)>) {
    let text = std::fs::read_to_string(root().join(PAGE)).unwrap();
    let version = Regex::new(r"`aws-sdk-ecs` (\d+\.\d+\.\d+)")
        .unwrap()
        .captures(&text)
        .map(|c| c[1].to_owned())
        .expect("the page names the aws-sdk-ecs version it was checked against");
    let row = Regex::new(r"^\| `(\w+)` \| (\w+) \| (.*) \|$").unwrap();
    let mut levels: Vec<(String, Level)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            levels.push((name.to_owned(), Level::default()));
        } else if let Some(name) = line.strip_prefix("### ") {
            let level = &mut levels.last_mut().expect("a section inside a level").1;
            level
                .sections
                .push((name.trim().to_owned(), BTreeMap::new()));
        } else if line.starts_with("Totals:") {
            levels.last_mut().expect("totals inside a level").1.totals = Some(line.to_owned());
        } else if let Some(c) = row.captures(line) {
            let level = &mut levels.last_mut().unwrap().1;
            let (section, rows) = level.sections.last_mut().expect("a row inside a section");
            let previous = rows.insert(
                c[1].to_owned(),
                Row {
                    state: c[2].to_owned(),
                    why: c[3].trim().to_owned(),
                },
            );
            assert!(previous.is_none(), "{PAGE}: {section}.{} twice", &c[1]);
        }
    }
    (version, levels)
}

/// The schema node at a dotted CRD path (`spec.containers[].image`), if there is one.
fn crd_node<'a>(crd: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    for part in path.split('.') {
        let (name, items) = match part.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (part, false),
        };
        node = node.get("properties")?.get(name)?;
        if items {
            node = node.get("items")?;
        }
    }
    Some(node)
}

fn crd(kind: &str) -> Value {
    let file = match kind {
        "TaskDefinition" => "crds/ecs.fargate.dev_taskdefinitions.yaml",
        "FargateService" => "crds/ecs.fargate.dev_fargateservices.yaml",
        other => panic!("{PAGE}: unknown kind {other}"),
    };
    serde_norway::from_str(&std::fs::read_to_string(root().join(file)).unwrap()).unwrap()
}

/// Checks a mapped row's `Kind` `path`; returns an error naming what is wrong.
fn check_mapped(why: &str, sources: &str) -> Result<(), String> {
    let place = Regex::new(r"^`(\w+)` `([^`]+)`$").unwrap();
    let c = place
        .captures(why)
        .ok_or_else(|| format!("a mapped row names `Kind` `path`, not {why:?}"))?;
    let (kind, path) = (&c[1], &c[2]);
    if let Some(key) = path
        .strip_prefix("metadata.annotations[")
        .and_then(|k| k.strip_suffix(']'))
    {
        // An annotation: the operator must read it.
        return match sources.contains(&format!("\"{key}\"")) {
            true => Ok(()),
            false => Err(format!("no source file names the annotation {key}")),
        };
    }
    match crd_node(&crd(kind), path) {
        Some(_) => Ok(()),
        None => Err(format!("{kind} has no field {path} in crds/")),
    }
}

fn all_sources() -> String {
    let mut text = String::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    text
}

fn totals_line(rows: &BTreeMap<&str, &str>) -> String {
    let count = |s: &str| rows.values().filter(|v| **v == s).count();
    let (mapped, operator, missing) = (count("mapped"), count("operator"), count("missing"));
    format!(
        "Totals: {} of {} Fargate-relevant fields covered ({mapped} mapped, {operator} set by \
         the operator, {missing} missing); {} excluded.",
        mapped + operator,
        mapped + operator + missing,
        count("excluded"),
    )
}

#[test]
fn the_field_page_accounts_for_every_field_of_the_resolved_sdk() {
    let (version, src) = sdk_source();
    let (page_version, levels) = read_page();
    let sources = all_sources();
    let mut problems = Vec::new();
    let nested_type = Regex::new(r"crate::types::(\w+)").unwrap();
    assert_eq!(
        page_version, version,
        "{PAGE} was checked against aws-sdk-ecs {page_version}, Cargo resolved {version}: \
         update the page"
    );
    let sections: BTreeSet<&str> = levels
        .iter()
        .flat_map(|(_, l)| l.sections.iter().map(|(n, _)| n.as_str()))
        .collect();
    for top in TOP {
        if !sections.contains(top) {
            problems.push(format!("{PAGE} has no table for {top}"));
        }
    }
    for (level_name, level) in &levels {
        let mut top_rows: BTreeMap<&str, &str> = BTreeMap::new();
        for (section, rows) in &level.sections {
            let Some(fields) = sdk_fields(&src, section) else {
                problems.push(format!(
                    "{section}: no such struct in aws-sdk-ecs {version}"
                ));
                continue;
            };
            for (field, ty) in &fields {
                let Some((key, row)) = rows.get_key_value(field) else {
                    problems.push(format!(
                        "aws-sdk-ecs {version} {section}.{field} is in neither column of {PAGE}: \
                         map it to a CRD field or exclude it with a reason"
                    ));
                    continue;
                };
                if !STATES.contains(&row.state.as_str()) {
                    problems.push(format!("{section}.{field}: unknown state {}", row.state));
                }
                if ["operator", "excluded"].contains(&row.state.as_str()) && row.why.is_empty() {
                    problems.push(format!("{section}.{field}: {} needs a reason", row.state));
                }
                if row.state == "mapped" {
                    if let Err(e) = check_mapped(&row.why, &sources) {
                        problems.push(format!("{section}.{field}: {e}"));
                    }
                    // A mapped field of a nested shape: that shape needs its own table.
                    for nested in nested_type.captures_iter(ty) {
                        let nested = &nested[1];
                        if sdk_fields(&src, nested).is_some() && !sections.contains(nested) {
                            problems.push(format!(
                                "{section}.{field} is mapped but {PAGE} has no table for {nested}"
                            ));
                        }
                    }
                }
                if TOP.contains(&section.as_str()) {
                    if let Some(before) = top_rows.insert(key, &row.state) {
                        if before != row.state {
                            problems.push(format!(
                                "{field}: {before} in one input, {} in another",
                                row.state
                            ));
                        }
                    }
                }
            }
            for field in rows.keys().filter(|f| !fields.contains_key(*f)) {
                problems.push(format!(
                    "{section}.{field}: not a field in aws-sdk-ecs {version}"
                ));
            }
        }
        let expected = totals_line(&top_rows);
        if level.totals.as_deref() != Some(expected.as_str()) {
            problems.push(format!(
                "{level_name}: the totals line should read {expected:?}, it reads {:?}",
                level.totals
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checks_can_fail() {
    // A field of the SDK that the page does not list, a stale row, a path the CRD lacks.
    let (_, src) = sdk_source();
    let fields = sdk_fields(&src, "ContainerDefinition").unwrap();
    assert!(fields.contains_key("stop_timeout") && fields.len() > 30);
    assert!(sdk_fields(&src, "EnvironmentFile")
        .unwrap()
        .contains_key("type"));
    assert!(
        sdk_fields(&src, "TransportProtocol").is_none(),
        "an enum is not a struct"
    );
    assert!(sdk_fields(&src, "CreateServiceInput")
        .unwrap()
        .contains_key("desired_count"));
    assert!(sdk_fields(&src, "ThresholdConfiguration")
        .unwrap()
        .contains_key("type"));
    assert!(check_mapped("`TaskDefinition` `spec.containers[].image`", "").is_ok());
    assert!(check_mapped("`TaskDefinition` `spec.containers[].noSuchField`", "").is_err());
    assert!(check_mapped("`FargateService` `metadata.annotations[x/y]`", "\"x/z\"").is_err());
    assert!(check_mapped("spec.containers", "").is_err());
    let rows = BTreeMap::from([("a", "mapped"), ("b", "missing"), ("c", "excluded")]);
    assert_eq!(
        totals_line(&rows),
        "Totals: 1 of 2 Fargate-relevant fields covered (1 mapped, 0 set by the operator, \
         1 missing); 1 excluded."
    );
}
