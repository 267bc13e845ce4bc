//! Managed Amazon EBS volumes (issue 19): a TaskDefinition volume with `configuredAtLaunch:
//! true`, and the FargateService's `volumeConfigurations` that says what ECS creates for it,
//! one volume per task. `fargateservice` re-exports the service side.
//!
//! Limits come from the ECS API reference (the doc comments of `aws-sdk-ecs`'s
//! `ServiceManagedEbsVolumeConfiguration`, `EbsTagSpecification` and `Volume`) unless a
//! comment says otherwise.

use std::collections::BTreeMap;

#[allow(unused_imports)] // used inside the KubeSchema derive
use kube::core::Rule;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fargateservice::{FargateServiceSpec, PropagateTags};
use super::patterns;
use super::taskdefinition::TaskDefinitionSpec;
use super::validation::Check;

/// AWS's managed policy of the ECS infrastructure role for volumes, in `partition`.
pub fn volumes_policy_arn(partition: &str) -> String {
    format!(
        "arn:{partition}:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes"
    )
}

/// Whether the service asks for an operator-managed infrastructure role: a managed EBS
/// volume without `roleArn`.
pub fn wants_managed_role(spec: &FargateServiceSpec) -> bool {
    spec.volume_configurations
        .iter()
        .any(|v| v.managed_ebs_volume.role_arn.is_none())
}

/// Tag keys ECS reserves on the volumes it creates (`EbsTagSpecification.tags`).
pub const RESERVED_VOLUME_TAGS: [&str; 2] = ["AmazonECSCreated", "AmazonECSManaged"];

/// A volume ECS creates and attaches to each task of the service when it starts it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeConfiguration {
    /// The name of the task definition's volume with `configuredAtLaunch: true`.
    #[schemars(regex(pattern = patterns::VOLUME_NAME), length(max = 64))]
    pub name: String,
    /// The Amazon EBS volume ECS creates for each task (and deletes when the task stops).
    #[serde(rename = "managedEBSVolume")]
    pub managed_ebs_volume: ManagedEbsVolume,
}

/// An Amazon EBS volume ECS creates for each task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.sizeInGiB) || has(self.snapshotId)")
        .message("managedEBSVolume needs sizeInGiB or snapshotId (or both: a size at least the snapshot's)")
        .field_path(".sizeInGiB"),
    validation = Rule::new("!has(self.sizeInGiB) || !has(self.volumeType) || (self.volumeType in ['io1', 'io2'] ? self.sizeInGiB >= 4 : (self.volumeType in ['st1', 'sc1'] ? self.sizeInGiB >= 125 : true))")
        .message("managedEBSVolume.sizeInGiB is too small for volumeType: io1 and io2 take 4-16384 GiB, st1 and sc1 125-16384")
        .field_path(".sizeInGiB"),
    validation = Rule::new("!has(self.iops) || (has(self.volumeType) && (self.volumeType == 'gp3' ? self.iops >= 3000 && self.iops <= 16000 : (self.volumeType == 'io1' ? self.iops <= 64000 : self.volumeType == 'io2')))")
        .message("managedEBSVolume.iops needs volumeType gp3 (3000-16000), io1 (100-64000) or io2 (100-256000)")
        .field_path(".iops"),
    validation = Rule::new("!has(self.volumeType) || !(self.volumeType in ['io1', 'io2']) || has(self.iops)")
        .message("managedEBSVolume.iops is required with volumeType io1 and io2")
        .field_path(".iops"),
    validation = Rule::new("!has(self.throughput) || (has(self.volumeType) && self.volumeType == 'gp3')")
        .message("managedEBSVolume.throughput needs volumeType gp3")
        .field_path(".throughput"),
    validation = Rule::new("!has(self.volumeInitializationRate) || has(self.snapshotId)")
        .message("managedEBSVolume.volumeInitializationRate applies to volumes created from a snapshot: set snapshotId")
        .field_path(".volumeInitializationRate"),
    validation = Rule::new("!has(self.kmsKeyId) || !has(self.encrypted) || self.encrypted")
        .message("managedEBSVolume.kmsKeyId encrypts the volume: it cannot go with encrypted: false")
        .field_path(".kmsKeyId"),
    validation = Rule::new("!has(self.tags) || self.tags.all(k, k.size() >= 1 && k.size() <= 128 && !k.startsWith('aws:') && k != 'AmazonECSCreated' && k != 'AmazonECSManaged')")
        .message("managedEBSVolume.tags: a key is 1 to 128 characters, and aws:, AmazonECSCreated and AmazonECSManaged are reserved")
        .field_path(".tags"),
)]
pub struct ManagedEbsVolume {
    /// The ECS infrastructure role ECS uses to create, attach and delete the volumes, e.g.
    /// `arn:aws:iam::123456789012:role/ecsInfrastructureRole`: trusted by
    /// `ecs.amazonaws.com`, with AWS's managed policy
    /// `AmazonECSInfrastructureRolePolicyForVolumes`. The operator passes it to ECS: its
    /// policy must allow `iam:PassRole` on it (iam/README.md). Unset: a role the operator
    /// creates for this service (`/fargate-operator/fgo_<namespace>_<name>_infra`, trusted
    /// only by `ecs.amazonaws.com`, with that policy alone and the operator's permissions
    /// boundary), and deletes once the service is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ROLE_ARN), length(max = 2048))]
    pub role_arn: Option<String>,
    /// Size in GiB: gp2 and gp3 1-16384, io1 and io2 4-16384, st1 and sc1 125-16384. With a
    /// `snapshotId`, defaults to (and must be at least) the snapshot's size.
    #[serde(default, rename = "sizeInGiB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16384))]
    pub size_in_gib: Option<i32>,
    /// `gp3`, `gp2`, `io1`, `io2`, `st1` or `sc1` (Fargate has no `standard` magnetic
    /// volumes). Unset: ECS's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<EbsVolumeType>,
    /// Provisioned IOPS: gp3 3000-16000 (default 3000), io1 100-64000, io2 100-256000;
    /// required with io1 and io2, refused with the other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 256000))]
    pub iops: Option<i32>,
    /// Throughput in MiB/s (125-1000), gp3 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 125, max = 1000))]
    pub throughput: Option<i32>,
    /// Encrypt the volume. ECS encrypts when unset; with EBS encryption by default on in
    /// the Region, `false` is overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// The KMS key (ID, alias or ARN) to encrypt with, instead of the default EBS key. AWS
    /// checks it only when a task starts: a wrong key fails the tasks, not the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key_id: Option<String>,
    /// Create each volume from this EBS snapshot, e.g. `snap-0123456789abcdef0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::SNAPSHOT_ID), length(max = 22))]
    pub snapshot_id: Option<String>,
    /// Rate in MiB/s (100-300) at which a volume created from `snapshotId` is initialised
    /// (Amazon EBS Provisioned Rate for Volume Initialization). Needs `snapshotId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 300))]
    pub volume_initialization_rate: Option<i32>,
    /// `xfs` (ECS's default), `ext4` or `ext3`. A volume created from a snapshot needs the
    /// snapshot's file system, or its tasks fail to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem_type: Option<EbsFilesystemType>,
    /// Tags for each volume (ECS adds `AmazonECSCreated` and `AmazonECSManaged`; those and
    /// `aws:` keys are reserved).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::api::validation::tags_schema")]
    pub tags: BTreeMap<String, String>,
    /// Copy the `SERVICE`'s or the `TASK_DEFINITION`'s tags to each volume too, or `NONE`
    /// (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
}

/// An EBS volume type Fargate can attach.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EbsVolumeType {
    /// General Purpose SSD (gp3).
    Gp3,
    /// General Purpose SSD (gp2).
    Gp2,
    /// Provisioned IOPS SSD (io1).
    Io1,
    /// Provisioned IOPS SSD (io2).
    Io2,
    /// Throughput Optimized HDD.
    St1,
    /// Cold HDD.
    Sc1,
}

impl EbsVolumeType {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gp3 => "gp3",
            Self::Gp2 => "gp2",
            Self::Io1 => "io1",
            Self::Io2 => "io2",
            Self::St1 => "st1",
            Self::Sc1 => "sc1",
        }
    }

    /// The IOPS this type takes, if it takes any.
    fn iops_range(self) -> Option<(i32, i32)> {
        match self {
            Self::Gp3 => Some((3000, 16000)),
            Self::Io1 => Some((100, 64000)),
            Self::Io2 => Some((100, 256000)),
            Self::Gp2 | Self::St1 | Self::Sc1 => None,
        }
    }

    /// The smallest size of this type, in GiB.
    fn min_size_gib(self) -> i32 {
        match self {
            Self::Gp3 | Self::Gp2 => 1,
            Self::Io1 | Self::Io2 => 4,
            Self::St1 | Self::Sc1 => 125,
        }
    }
}

/// A Linux file system for a managed EBS volume (NTFS is for Windows tasks, which the
/// operator does not register).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EbsFilesystemType {
    /// XFS (ECS's default).
    Xfs,
    /// ext4.
    Ext4,
    /// ext3.
    Ext3,
}

impl EbsFilesystemType {
    /// The ECS API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xfs => "xfs",
            Self::Ext4 => "ext4",
            Self::Ext3 => "ext3",
        }
    }
}

/// The twin of the TaskDefinition's `configuredAtLaunch` rules: not with `efs`, and at most
/// one per task definition (ECS: "Each task definition revision may only have one volume
/// configured at launch").
pub(super) fn validate_launch_volumes(c: &mut Check, spec: &TaskDefinitionSpec) {
    let mut launch = 0;
    for (i, v) in spec.volumes.iter().enumerate() {
        if v.configured_at_launch != Some(true) {
            continue;
        }
        launch += 1;
        if v.efs.is_some() {
            c.fail(
                format!("spec.volumes[{i}].configuredAtLaunch"),
                "a volume configured at launch is a managed EBS volume: it cannot have efs too",
            );
        }
    }
    if launch > 1 {
        c.fail(
            "spec.volumes",
            "at most one volume may have configuredAtLaunch: true (ECS attaches one EBS volume per task)",
        );
    }
}

/// The twin of the FargateService's `volumeConfigurations` rules.
pub(super) fn validate_volume_configurations(c: &mut Check, spec: &FargateServiceSpec) {
    for (i, v) in spec.volume_configurations.iter().enumerate() {
        let at = format!("spec.volumeConfigurations[{i}]");
        c.pattern(
            format!("{at}.name"),
            &v.name,
            patterns::VOLUME_NAME,
            "1-64 letters, digits, - or _: the name of the task definition's volume",
        );
        managed_ebs_volume(c, &format!("{at}.managedEBSVolume"), &v.managed_ebs_volume);
    }
}

fn managed_ebs_volume(c: &mut Check, at: &str, m: &ManagedEbsVolume) {
    if let Some(arn) = &m.role_arn {
        c.pattern(
            format!("{at}.roleArn"),
            arn,
            patterns::ROLE_ARN,
            "an IAM role ARN like arn:aws:iam::123456789012:role/ecsInfrastructureRole",
        );
    }
    c.opt_range(format!("{at}.sizeInGiB"), m.size_in_gib, 1, 16384);
    c.opt_range(format!("{at}.iops"), m.iops, 100, 256000);
    c.opt_range(format!("{at}.throughput"), m.throughput, 125, 1000);
    c.opt_range(
        format!("{at}.volumeInitializationRate"),
        m.volume_initialization_rate,
        100,
        300,
    );
    if let Some(s) = &m.snapshot_id {
        c.pattern(
            format!("{at}.snapshotId"),
            s,
            patterns::SNAPSHOT_ID,
            "an EBS snapshot ID like snap-0123456789abcdef0",
        );
    }
    if m.size_in_gib.is_none() && m.snapshot_id.is_none() {
        c.fail(
            format!("{at}.sizeInGiB"),
            "managedEBSVolume needs sizeInGiB or snapshotId (or both: a size at least the snapshot's)",
        );
    }
    volume_type_rules(c, at, m);
    if m.volume_initialization_rate.is_some() && m.snapshot_id.is_none() {
        c.fail(
            format!("{at}.volumeInitializationRate"),
            "applies to volumes created from a snapshot: set snapshotId",
        );
    }
    if m.kms_key_id.is_some() && m.encrypted == Some(false) {
        c.fail(
            format!("{at}.kmsKeyId"),
            "encrypts the volume: it cannot go with encrypted: false",
        );
    }
    for k in m.tags.keys() {
        let n = k.chars().count();
        if !(1..=128).contains(&n)
            || k.starts_with("aws:")
            || RESERVED_VOLUME_TAGS.contains(&k.as_str())
        {
            c.fail(
                format!("{at}.tags"),
                format!("key {k:?}: a key is 1 to 128 characters, and aws:, AmazonECSCreated and AmazonECSManaged are reserved"),
            );
        }
    }
}

/// Size, IOPS and throughput against the volume type.
fn volume_type_rules(c: &mut Check, at: &str, m: &ManagedEbsVolume) {
    let t = m.volume_type;
    if let (Some(size), Some(t)) = (m.size_in_gib, t) {
        if size < t.min_size_gib() {
            c.fail(
                format!("{at}.sizeInGiB"),
                format!(
                    "{size} GiB is too small for {}: it takes {}-16384 GiB",
                    t.as_str(),
                    t.min_size_gib()
                ),
            );
        }
    }
    match (m.iops, t.and_then(EbsVolumeType::iops_range)) {
        (Some(iops), Some((lo, hi))) if iops < lo || iops > hi => c.fail(
            format!("{at}.iops"),
            format!(
                "{iops} is out of range for {}: use {lo} to {hi}",
                t.map_or("", EbsVolumeType::as_str)
            ),
        ),
        (Some(_), None) => c.fail(
            format!("{at}.iops"),
            "needs volumeType gp3 (3000-16000), io1 (100-64000) or io2 (100-256000)",
        ),
        (None, _) if matches!(t, Some(EbsVolumeType::Io1 | EbsVolumeType::Io2)) => c.fail(
            format!("{at}.iops"),
            "is required with volumeType io1 and io2",
        ),
        _ => {}
    }
    if m.throughput.is_some() && t != Some(EbsVolumeType::Gp3) {
        c.fail(format!("{at}.throughput"), "needs volumeType gp3");
    }
}
