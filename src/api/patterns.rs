//! Regular expressions shared by the CRD schema (`pattern`) and the Rust validator.
//!
//! They are written in the subset that Go's RE2 (the API server), the `regex` crate and
//! ECMA-262 engines all read the same way: anchors, classes, bounded repeats, no look-around.

/// ECS task-definition family, service and cluster names.
pub const ECS_NAME: &str = "^[A-Za-z0-9_-]{1,255}$";
/// Container names (ECS allows 255 characters; see `Container::name` for why 64).
pub const CONTAINER_NAME: &str = "^[A-Za-z0-9_-]{1,64}$";
/// Task volume names (ECS allows 255 characters; see `Volume::name` for why 64).
pub const VOLUME_NAME: &str = "^[A-Za-z0-9_-]{1,64}$";
/// An IAM role ARN.
pub const ROLE_ARN: &str = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$";
/// An IAM managed policy ARN (AWS-managed or customer-managed).
pub const POLICY_ARN: &str =
    "^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]{1,512}$";
/// A Secrets Manager secret ARN (optionally with a JSON key suffix) or an SSM parameter ARN.
/// An SSM parameter name is up to 1011 characters; RE2 (the API server) allows repeat counts
/// up to 1000 only, so the name is `{1,1000}` followed by `{0,11}`.
pub const SECRET_ARN: &str = "^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@:-]{1,512}|ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]{1,1000}[A-Za-z0-9/_.-]{0,11})$";
/// An Elastic Load Balancing v2 target group ARN.
pub const TARGET_GROUP_ARN: &str =
    "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$";
/// An ECS task-definition revision ARN.
pub const TASK_DEFINITION_ARN: &str =
    "^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]{1,255}:[0-9]{1,9}$";
/// An Amazon VPC Lattice target group ARN (target group IDs are `tg-` and 17 characters).
pub const LATTICE_TARGET_GROUP_ARN: &str =
    "^arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:[0-9]{12}:targetgroup/tg-[0-9a-z]{17}$";
/// A VPC Lattice listener or listener rule ARN (service, listener and rule IDs are `svc-`,
/// `listener-` and `rule-` and 17 characters): where ECS shifts a blue/green deployment's
/// production or test traffic.
pub const LATTICE_LISTENER_RULE_ARN: &str = "^arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:[0-9]{12}:service/svc-[0-9a-z]{17}/listener/listener-[0-9a-z]{17}(/rule/rule-[0-9a-z]{17})?$";
/// An AWS Private CA certificate authority ARN (its ID is a UUID), the issuer of Service
/// Connect TLS certificates.
pub const PCA_ARN: &str =
    "^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:certificate-authority/[0-9a-f-]{36}$";
/// An HTTP header name (an RFC 9110 token). The ECS API reference publishes no length
/// limit for Service Connect test traffic headers; 128 keeps the CEL cost small.
pub const HTTP_HEADER_NAME: &str = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$";
/// An HTTP header value to match exactly: visible ASCII and inner spaces (a value cannot
/// begin or end with whitespace, which HTTP strips). No published limit either; 256.
pub const HTTP_HEADER_VALUE: &str = "^[!-~]([ -~]{0,254}[!-~])?$";
/// A Cloud Map service ARN (service registries).
pub const SERVICE_REGISTRY_ARN: &str =
    "^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:[0-9]{12}:service/srv-[A-Za-z0-9]{1,64}$";
/// A VPC subnet ID.
pub const SUBNET_ID: &str = "^subnet-[0-9a-f]{8,17}$";
/// A VPC security group ID.
pub const SECURITY_GROUP_ID: &str = "^sg-[0-9a-f]{8,17}$";
/// An EFS file system ID.
pub const EFS_ID: &str = "^fs-[0-9a-f]{8,40}$";
/// An EFS access point ID.
pub const EFS_ACCESS_POINT_ID: &str = "^fsap-[0-9a-f]{8,40}$";
/// An Amazon S3 Files file system ARN (the pattern of the S3 Files API reference,
/// `ListFileSystemsDescription.fileSystemArn`, with the account required).
pub const S3FILES_FILE_SYSTEM_ARN: &str =
    "^arn:aws[-a-z]*:s3files:[a-z0-9-]+:[0-9]{12}:file-system/fs-[0-9a-f]{17,40}$";
/// An Amazon S3 Files access point ARN: its file system's ARN, `/access-point/fsap-...`.
pub const S3FILES_ACCESS_POINT_ARN: &str = "^arn:aws[-a-z]*:s3files:[a-z0-9-]+:[0-9]{12}:file-system/fs-[0-9a-f]{17,40}/access-point/fsap-[0-9a-f]{17,40}$";
/// A container port range `first-last`, each 1-65535 (`containerPortRange`).
pub const PORT_RANGE: &str = "^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])-([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";
/// An EBS snapshot ID (`snap-` and 8 or 17 hex digits).
pub const SNAPSHOT_ID: &str = "^snap-[0-9a-f]{8,17}$";
/// A CloudWatch Logs log group name.
pub const LOG_GROUP: &str = "^[A-Za-z0-9_/.#-]{1,512}$";
/// Application Auto Scaling schedule expression.
pub const SCHEDULE: &str = "^(cron\\(.+\\)|rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\)|at\\([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\))$";
/// A Service Connect port name.
pub const PORT_NAME: &str = "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$";
/// An awslogs stream prefix.
pub const STREAM_PREFIX: &str = "^[^:*]{1,256}$";
/// A ulimit name.
pub const ULIMIT_NAME: &str = "^(core|cpu|data|fsize|locks|memlock|msgqueue|nice|nofile|nproc|rss|rtprio|rttime|sigpending|stack)$";
/// An absolute path.
pub const ABSOLUTE_PATH: &str = "^/.*$";
/// A Fargate platform version.
pub const PLATFORM_VERSION: &str = "^(LATEST|[0-9]+\\.[0-9]+\\.[0-9]+)$";
/// An EventBridge Scheduler expression (a scheduled FargateTask): `cron(` six fields `)`,
/// `rate(<n> <unit>)` or `at(<local date-time>)` (Scheduler API reference,
/// `ScheduleExpression`). The CRD bounds its length (256), so the repeats stay bounded.
pub const SCHEDULER_EXPRESSION: &str = "^(cron\\([^()\\s]+( [^()\\s]+){5}\\)|rate\\([1-9][0-9]{0,8} (minute|minutes|hour|hours|day|days)\\)|at\\([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\))$";
/// An IANA time-zone name for `ScheduleExpressionTimezone` (1-50 characters: `UTC`,
/// `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`).
pub const SCHEDULER_TIMEZONE: &str = "^[A-Za-z][A-Za-z0-9_+/-]{0,49}$";
/// An RFC 3339 date-time with seconds and an offset (`2030-01-01T05:00:00Z`,
/// `2030-01-01T07:00:00.5+02:00`): a schedule's `startDate` / `endDate`.
pub const DATE_TIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$";
/// A scheduled-action name.
pub const SCHEDULE_NAME: &str = "^[A-Za-z0-9_-]{1,200}$";
/// A Lambda function ARN (optionally with a version or alias): a deployment lifecycle hook.
pub const LAMBDA_ARN: &str =
    "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$";
/// An Elastic Load Balancing v2 listener rule ARN (Application Load Balancer) or listener
/// ARN (Network Load Balancer): where ECS shifts production or test traffic.
pub const LISTENER_RULE_ARN: &str =
    "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:(listener-rule|listener)/(app|net)/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}(/[0-9a-f]{16})?$";

/// A Cloud Map namespace for Service Connect: its name (up to 1024 characters, none of
/// `<`, `>`, `"` or `/`, per the ECS API reference of `ClusterServiceConnectDefaultsRequest`)
/// or its ARN.
pub const CLOUD_MAP_NAMESPACE: &str = "^(arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:[0-9]{12}:namespace/ns-[a-z0-9]{1,64}|[^<>\"/]+)$";
/// A Service Connect discovery name (ECS API reference, `ServiceConnectService`): up to 64
/// lowercase letters, digits, `_` and `-`, not starting with `-`.
pub const DISCOVERY_NAME: &str = "^[a-z0-9_][a-z0-9_-]{0,63}$";
/// A Service Connect client alias DNS name (ECS API reference, `ServiceConnectClientAlias`):
/// up to 127 lowercase letters, digits, `_`, `-` and `.`, not starting with `-`.
pub const DNS_ALIAS: &str = "^[a-z0-9_.][a-z0-9_.-]{0,126}$";

/// A Secrets Manager secret ARN, without a JSON-key suffix (private registry credentials).
pub const SECRETSMANAGER_ARN: &str =
    "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$";
/// An S3 object ARN of a `.env` file (ECS requires the extension). Bucket names are 3-63
/// characters; an object key is up to 1024 bytes, written `{0,1000}` then `{0,20}` because RE2
/// allows repeat counts up to 1000 only.
pub const ENV_FILE_ARN: &str =
    "^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.{0,1000}.{0,20}\\.env$";
/// A credential spec reference (gMSA): `credentialspec:` or `credentialspecdomainless:`, then
/// the ARN of an S3 object or an SSM parameter holding the CredSpec file.
pub const CREDENTIAL_SPEC: &str = "^credentialspec(domainless)?:arn:aws[a-z-]*:(s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.{1,1000}.{0,24}|ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]{1,1000}[A-Za-z0-9/_.-]{0,11})$";
/// A namespaced kernel parameter Fargate lets a container set: the IPC ones (`kernel.msg*`,
/// `kernel.sem`, `kernel.shm*`, `fs.mqueue.*`) and the network ones (`net.*`), per the ECS API
/// reference of `SystemControl`.
pub const SYSCTL: &str = "^(kernel\\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\\.mqueue\\.[A-Za-z0-9_.-]{1,200}|net\\.[A-Za-z0-9_./-]{1,200})$";
/// A log driver buffer size (`max-buffer-size`): a number with an optional unit, e.g. `25m`.
pub const BUFFER_SIZE: &str = "^[0-9]{1,12}[kmgKMG]?$";
/// A Kubernetes namespace name (an RFC 1123 label).
pub const NAMESPACE: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
/// An STS external ID: 2-1224 of `[\w+=,.@:/-]` (AssumeRole's `ExternalId`).
pub const EXTERNAL_ID: &str = "^[A-Za-z0-9_+=,.@:/-]{2,1000}[A-Za-z0-9_+=,.@:/-]{0,224}$";
/// An AWS region name, e.g. `eu-west-1`, `us-gov-west-1`.
pub const REGION: &str = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$";
/// An entry of a tenant's `allowed` lists: an exact value, or a prefix ending in `*` (a `*`
/// anywhere else is refused, so an entry never matches more than it reads).
pub const ALLOWED_ENTRY: &str = "^[^*]+[*]?$";

/// Every pattern above, so the validator can compile them once.
pub const ALL: &[&str] = &[
    ECS_NAME,
    CONTAINER_NAME,
    VOLUME_NAME,
    ROLE_ARN,
    POLICY_ARN,
    SECRET_ARN,
    TARGET_GROUP_ARN,
    TASK_DEFINITION_ARN,
    SERVICE_REGISTRY_ARN,
    LATTICE_TARGET_GROUP_ARN,
    LATTICE_LISTENER_RULE_ARN,
    PCA_ARN,
    HTTP_HEADER_NAME,
    HTTP_HEADER_VALUE,
    SUBNET_ID,
    SECURITY_GROUP_ID,
    EFS_ID,
    EFS_ACCESS_POINT_ID,
    S3FILES_FILE_SYSTEM_ARN,
    S3FILES_ACCESS_POINT_ARN,
    SNAPSHOT_ID,
    PORT_RANGE,
    LOG_GROUP,
    SCHEDULE,
    PORT_NAME,
    STREAM_PREFIX,
    ULIMIT_NAME,
    ABSOLUTE_PATH,
    PLATFORM_VERSION,
    SCHEDULE_NAME,
    SCHEDULER_EXPRESSION,
    SCHEDULER_TIMEZONE,
    DATE_TIME,
    SECRETSMANAGER_ARN,
    ENV_FILE_ARN,
    CREDENTIAL_SPEC,
    SYSCTL,
    BUFFER_SIZE,
    LAMBDA_ARN,
    LISTENER_RULE_ARN,
    NAMESPACE,
    EXTERNAL_ID,
    REGION,
    ALLOWED_ENTRY,
    CLOUD_MAP_NAMESPACE,
    DISCOVERY_NAME,
    DNS_ALIAS,
];
