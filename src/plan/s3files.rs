//! The managed task role's grant for the task definition's Amazon S3 Files volumes: exactly
//! the file systems (and access points) the volumes name. See `api::s3files` for what is
//! granted and why.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::model::{S3FilesDef, TaskDefBody};

/// The inline policy name the operator puts on a managed task role with S3 Files volumes.
pub const S3FILES_INLINE_POLICY: &str = "fargate-operator-s3files";

/// The task role's policy for `body`'s S3 Files volumes, if it has any: per file system and
/// access point, `s3files:ClientMount`, and `s3files:ClientWrite` when a container mounts
/// the volume writable (a mount without `readOnly: true`).
pub fn task_policy(body: &TaskDefBody) -> Option<Value> {
    // (file system, access point) → writable by some mount.
    let mut grants: BTreeMap<(&str, Option<&str>), bool> = BTreeMap::new();
    for v in &body.volumes {
        let Some(S3FilesDef {
            file_system_arn,
            access_point_arn,
            ..
        }) = &v.s3files
        else {
            continue;
        };
        let writable = body
            .containers
            .iter()
            .flat_map(|c| &c.mount_points)
            .any(|m| m.source_volume == v.name && m.read_only != Some(true));
        *grants
            .entry((file_system_arn.as_str(), access_point_arn.as_deref()))
            .or_default() |= writable;
    }
    let statements: Vec<Value> = grants
        .into_iter()
        .enumerate()
        .map(|(i, ((fs, ap), writable))| {
            let mut actions = vec!["s3files:ClientMount"];
            if writable {
                actions.push("s3files:ClientWrite");
            }
            let mut s = json!({
                "Sid": format!("MountS3Files{i}"),
                "Effect": "Allow",
                "Action": actions,
                "Resource": fs,
            });
            if let Some(ap) = ap {
                s["Condition"] = json!({"StringEquals": {"s3files:AccessPointArn": ap}});
            }
            s
        })
        .collect();
    (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}))
}
