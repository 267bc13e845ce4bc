//! TaskDefinition `spec.volumes[].s3files` end to end on the in-memory stand-in: the volume
//! registered as given, an unchanged spec planning nothing, and the managed task role's
//! least-privilege grant (exactly the file system, the access point as a condition,
//! `ClientWrite` only for a writable mount). The SDK request shape and its round trip are
//! checked in `aws::sdk::ecs_convert`'s tests (moto drops S3 Files volumes).

mod support;

use fargate_operator::api::taskdefinition::{
    ManagedRole, MountPoint, RoleSpec, S3FilesVolume, Volume,
};
use fargate_operator::manifests::Manifests;
use fargate_operator::plan::s3files::S3FILES_INLINE_POLICY;
use fargate_operator::testing::SimBackend;
use serde_json::json;
use support::results::assert_converged;
use support::sim::{apply, fresh, requests};

const FS: &str = "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0";

fn access_point() -> String {
    format!("{FS}/access-point/fsap-0123456789abcdef0")
}

/// The web-api example with an S3 Files volume (through the access point, or not) mounted
/// read-only, or writable, and the task role `role`.
fn with_files(access_point: Option<String>, read_only: bool, role: RoleSpec) -> Manifests {
    let mut m = support::examples::web_api();
    let spec = &mut m.task_definitions[0].spec;
    spec.task_role = Some(role);
    spec.volumes.push(Volume {
        name: "files".into(),
        efs: None,
        configured_at_launch: None,
        s3files: Some(S3FilesVolume {
            file_system_arn: FS.into(),
            root_directory: None,
            transit_encryption_port: None,
            access_point_arn: access_point,
        }),
    });
    spec.containers[0].mount_points.push(MountPoint {
        source_volume: "files".into(),
        container_path: "/mnt/files".into(),
        read_only: read_only.then_some(true),
    });
    m
}

fn managed() -> RoleSpec {
    RoleSpec {
        arn: None,
        managed: Some(ManagedRole::default()),
    }
}

/// The S3 Files policy of the managed task role (`fgo_<ns>_<name>_task`).
fn task_role_policy(backend: &SimBackend) -> Option<serde_json::Value> {
    let sim = backend.lock();
    let (_, role) = sim
        .roles
        .iter()
        .find(|(name, _)| name.ends_with("_task"))
        .expect("the managed task role");
    role.inline_policies.get(S3FILES_INLINE_POLICY).cloned()
}

#[tokio::test]
async fn a_writable_mount_through_an_access_point_gets_mount_and_write_on_that_access_point() {
    let backend = fresh();
    let aws = backend.aws();
    let m = with_files(Some(access_point()), false, managed());
    assert_converged(&apply(&aws, &m).await);
    assert_eq!(
        task_role_policy(&backend),
        Some(json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "MountS3Files0",
                "Effect": "Allow",
                "Action": ["s3files:ClientMount", "s3files:ClientWrite"],
                "Resource": FS,
                "Condition": {"StringEquals": {"s3files:AccessPointArn": access_point()}},
            }],
        }))
    );
    // Unchanged: nothing registered or written again.
    let before = requests(&backend);
    assert_converged(&apply(&aws, &m).await);
    let after = requests(&backend);
    for write in ["ecs:RegisterTaskDefinition", "iam:PutRolePolicy"] {
        assert_eq!(before.get(write), after.get(write), "{write}");
    }
}

#[tokio::test]
async fn a_read_only_mount_gets_mount_alone_and_no_access_point_condition() {
    let backend = fresh();
    let aws = backend.aws();
    let m = with_files(None, true, managed());
    assert_converged(&apply(&aws, &m).await);
    let policy = task_role_policy(&backend).unwrap();
    assert_eq!(
        policy["Statement"][0]["Action"],
        json!(["s3files:ClientMount"])
    );
    assert_eq!(policy["Statement"][0]["Resource"], json!(FS));
    assert!(policy["Statement"][0].get("Condition").is_none());
    let sim = backend.lock();
    let (registered, _) = sim.revisions.values().next().unwrap().last().unwrap();
    let volume = registered
        .body
        .volumes
        .iter()
        .find(|v| v.name == "files")
        .unwrap();
    assert_eq!(volume.s3files.as_ref().unwrap().file_system_arn, FS);
}

#[tokio::test]
async fn a_task_role_given_by_arn_is_left_to_the_user() {
    let backend = fresh();
    let aws = backend.aws();
    let m = with_files(
        None,
        false,
        RoleSpec {
            arn: Some("arn:aws:iam::123456789012:role/app".into()),
            managed: None,
        },
    );
    assert_converged(&apply(&aws, &m).await);
    assert!(backend
        .lock()
        .roles
        .values()
        .all(|r| !r.inline_policies.contains_key(S3FILES_INLINE_POLICY)));
}
