//! Amazon S3 Files volumes on a TaskDefinition (issue 19): an S3 bucket's file system,
//! mounted over NFS with TLS (ECS's `S3FilesVolumeConfiguration`). `taskdefinition`
//! re-exports it.
//!
//! From the ECS API reference (`aws-sdk-ecs` 1.157's doc comments): the task definition
//! needs a task role; `rootDirectory` must be omitted (or `/`) with an access point, whose
//! path it then is. ARN patterns and lengths from the S3 Files API reference. The file system
//! always encrypts in transit (no setting turns it off); `transitEncryptionPort` only picks
//! the local port.
//!
//! The managed task role (`spec.taskRole.managed`) gets exactly what mounting needs, in its
//! operator-written inline policy `fargate-operator-s3files`: `s3files:ClientMount` on each
//! referenced file system (limited to the access point with the `s3files:AccessPointArn`
//! condition when one is given), and `s3files:ClientWrite` when a container mounts the
//! volume without `readOnly: true`. Not `s3files:ClientRootAccess`: root in the container is squashed to an
//! unprivileged user unless the role allows it (`managed.policy` may, under the permissions
//! boundary, which allows all three actions). A task role given by ARN is the user's to
//! grant.

#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::Rule;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use super::patterns;
use super::validation::Check;

/// An Amazon S3 Files file system to mount.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.accessPointArn) || !has(self.rootDirectory) || self.rootDirectory == '/'")
        .message("s3files.rootDirectory must be omitted (or /) with an accessPointArn: the access point sets the root")
        .field_path(".rootDirectory"),
    validation = Rule::new("!has(self.accessPointArn) || self.accessPointArn.split('/access-point/')[0] == self.fileSystemArn")
        .message("s3files.accessPointArn must be an access point of s3files.fileSystemArn")
        .field_path(".accessPointArn"),
)]
pub struct S3FilesVolume {
    /// The file system, e.g.
    /// `arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0`.
    #[schemars(regex(pattern = patterns::S3FILES_FILE_SYSTEM_ARN), length(max = 256))]
    pub file_system_arn: String,
    /// Directory of the file system to mount as the root (default `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ABSOLUTE_PATH), length(max = 4096))]
    pub root_directory: Option<String>,
    /// Local port of the encrypted NFS traffic (1-65535). Unset, the S3 Files mount helper
    /// picks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub transit_encryption_port: Option<i32>,
    /// An access point of the file system (its ARN), which sets the root directory and the
    /// POSIX user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::S3FILES_ACCESS_POINT_ARN), length(max = 256))]
    pub access_point_arn: Option<String>,
}

/// The Rust twin of the schema's and the CEL rules' checks of an S3 Files volume at `at`
/// (`spec.volumes[i]`).
pub(super) fn validate_s3files_volume(c: &mut Check, at: &str, v: &S3FilesVolume) {
    let at = format!("{at}.s3files");
    c.pattern(
        format!("{at}.fileSystemArn"),
        &v.file_system_arn,
        patterns::S3FILES_FILE_SYSTEM_ARN,
        "an S3 Files file system ARN like arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0",
    );
    if let Some(root) = &v.root_directory {
        c.pattern(
            format!("{at}.rootDirectory"),
            root,
            patterns::ABSOLUTE_PATH,
            "an absolute path",
        );
    }
    c.opt_range(
        format!("{at}.transitEncryptionPort"),
        v.transit_encryption_port,
        1,
        65535,
    );
    let Some(ap) = &v.access_point_arn else {
        return;
    };
    c.pattern(
        format!("{at}.accessPointArn"),
        ap,
        patterns::S3FILES_ACCESS_POINT_ARN,
        "an S3 Files access point ARN: the file system's ARN, then /access-point/fsap-...",
    );
    if ap.split("/access-point/").next() != Some(v.file_system_arn.as_str()) {
        c.fail(
            format!("{at}.accessPointArn"),
            "must be an access point of s3files.fileSystemArn",
        );
    }
    if v.root_directory.as_deref().is_some_and(|r| r != "/") {
        c.fail(
            format!("{at}.rootDirectory"),
            "must be omitted (or /) with an accessPointArn: the access point sets the root",
        );
    }
}
