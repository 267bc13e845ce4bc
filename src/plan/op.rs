//! Every AWS API operation the operator sends, named once ([`AwsOp`]): its service, its API
//! name (`CreateService`), its IAM action (`ecs:CreateService`), whether it reads or writes,
//! its client-side rate-limit bucket ([`Category`]) and its metrics label (`create_service`).
//!
//! Two granularities meet here. An *operator call* is one method of the AWS traits
//! (`aws::Ecs::create_service`): the hooks, the metrics and the call counts see those, by
//! their label. A *request* is one SDK request: the rate limits, the errors and IAM see
//! those. Most calls are one request of the operation they are named after; a few reads
//! follow their first request with more ([`AwsOp::requests`]): reading a role is GetRole,
//! then its policy listings and one GetRolePolicy per inline policy. Those follow-up
//! requests are operations of their own here, each naming the call it belongs to.
//!
//! The table lives in the planner's layer, the lowest one that needs it (a [`super::Action`]
//! knows its operation), and imports nothing.

use std::fmt;

/// Whether a call reads or changes AWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum CallKind {
    Read,
    Write,
}

/// An API category with a client-side token bucket of its own (`aws::limits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// ECS CreateService, UpdateService, DeleteService (published: burst 50, 5/s).
    EcsServiceWrite,
    /// ECS RegisterTaskDefinition (published: burst 20, 1/s).
    EcsRegisterTaskDefinition,
    /// ECS DescribeServices (published: burst 100, 20/s; 10 services per call).
    EcsDescribeServices,
    /// Other ECS reads: DescribeClusters, DescribeTaskDefinition, ListTaskDefinitions,
    /// DescribeTasks, ListTasks, ListClusters, ListServices, ListServiceDeployments,
    /// DescribeServiceDeployments (published: burst 100, 20/s for most).
    EcsRead,
    /// Other ECS writes: CreateCluster, UpdateClusterSettings, UpdateCluster,
    /// DeregisterTaskDefinition, TagResource, UntagResource, RunTask, StopTask.
    EcsWrite,
    /// IAM (global, no published per-API rate).
    Iam,
    /// Application Auto Scaling.
    AutoScaling,
    /// CloudWatch Logs (most control-plane calls: 5/s).
    Logs,
    /// Elastic Load Balancing reads.
    Elb,
    /// EventBridge Scheduler (a scheduled FargateTask's schedule).
    Scheduler,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::EcsServiceWrite,
        Category::EcsRegisterTaskDefinition,
        Category::EcsDescribeServices,
        Category::EcsRead,
        Category::EcsWrite,
        Category::Iam,
        Category::AutoScaling,
        Category::Logs,
        Category::Elb,
        Category::Scheduler,
    ];

    /// The flag/config name, e.g. `ecs-service-write`.
    pub fn name(self) -> &'static str {
        match self {
            Self::EcsServiceWrite => "ecs-service-write",
            Self::EcsRegisterTaskDefinition => "ecs-register-task-definition",
            Self::EcsDescribeServices => "ecs-describe-services",
            Self::EcsRead => "ecs-read",
            Self::EcsWrite => "ecs-write",
            Self::Iam => "iam",
            Self::AutoScaling => "autoscaling",
            Self::Logs => "logs",
            Self::Elb => "elb",
            Self::Scheduler => "scheduler",
        }
    }
}

/// How often a follow-up request is sent once its call's first request found something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Once (one page).
    Once,
    /// Once per item found (one GetRolePolicy per inline policy).
    PerItem,
}

/// The operation table: the operator calls (one per trait method, with its metrics label),
/// then the follow-up requests (with the call they belong to, in the order it sends them).
macro_rules! aws_ops {
    (
        calls { $( $call:ident = $cs:literal $ck:ident $cc:ident $label:literal; )* }
        follow_ups { $( $req:ident = $rs:literal $rk:ident $rc:ident after $lead:ident $repeat:ident; )* }
    ) => {
        /// One AWS API operation the operator sends (see the module doc).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum AwsOp {
            $( $call, )*
            $( $req, )*
        }

        impl AwsOp {
            /// Every operation, calls first.
            pub const ALL: &'static [AwsOp] = &[$( AwsOp::$call, )* $( AwsOp::$req, )*];

            /// The service, as IAM and the metrics name it: `ecs`, `iam`, `logs`,
            /// `application-autoscaling`, `elasticloadbalancing`.
            pub const fn service(self) -> &'static str {
                match self {
                    $( Self::$call => $cs, )*
                    $( Self::$req => $rs, )*
                }
            }

            /// The AWS API name, e.g. `CreateService`.
            pub const fn api_name(self) -> &'static str {
                match self {
                    $( Self::$call => stringify!($call), )*
                    $( Self::$req => stringify!($req), )*
                }
            }

            /// The IAM action, e.g. `ecs:CreateService` (also how errors name the request).
            pub const fn iam_action(self) -> &'static str {
                match self {
                    $( Self::$call => concat!($cs, ":", stringify!($call)), )*
                    $( Self::$req => concat!($rs, ":", stringify!($req)), )*
                }
            }

            /// Whether the request reads or changes AWS.
            pub const fn kind(self) -> CallKind {
                match self {
                    $( Self::$call => CallKind::$ck, )*
                    $( Self::$req => CallKind::$rk, )*
                }
            }

            /// The client-side rate-limit bucket every request of this operation waits on.
            pub const fn category(self) -> Category {
                match self {
                    $( Self::$call => Category::$cc, )*
                    $( Self::$req => Category::$rc, )*
                }
            }

            /// The operator call this request is sent for: itself, or the call whose
            /// follow-up it is (ListRolePolicies → GetRole).
            pub const fn call(self) -> AwsOp {
                match self {
                    $( Self::$call => Self::$call, )*
                    $( Self::$req => Self::$lead, )*
                }
            }

            /// The metrics label of the operator call (the trait method's name, e.g.
            /// `create_service`); a follow-up request has its call's. Part of the operator's
            /// public interface: `fargate_operator_aws_calls_total{operation=...}`.
            pub const fn metrics_label(self) -> &'static str {
                match self.call() {
                    $( Self::$call => $label, )*
                    _ => "",
                }
            }

            /// Every follow-up request with how often it is sent, grouped by call in the
            /// order each call sends them.
            const FOLLOW_UPS: &'static [(AwsOp, Repeat)] = &[$( (AwsOp::$req, Repeat::$repeat), )*];
        }
    };
}

aws_ops! {
    calls {
        // Amazon ECS
        ListTaskDefinitions = "ecs" Read EcsRead "list_revisions";
        DescribeTaskDefinition = "ecs" Read EcsRead "describe_revision";
        RegisterTaskDefinition = "ecs" Write EcsRegisterTaskDefinition "register_task_definition";
        DeregisterTaskDefinition = "ecs" Write EcsWrite "deregister_task_definition";
        TagResource = "ecs" Write EcsWrite "tag_resource";
        UntagResource = "ecs" Write EcsWrite "untag_resource";
        DescribeClusters = "ecs" Read EcsRead "describe_cluster";
        CreateCluster = "ecs" Write EcsWrite "create_cluster";
        UpdateClusterSettings = "ecs" Write EcsWrite "update_cluster_settings";
        UpdateCluster = "ecs" Write EcsWrite "update_cluster";
        DescribeServices = "ecs" Read EcsDescribeServices "describe_services";
        CreateService = "ecs" Write EcsServiceWrite "create_service";
        UpdateService = "ecs" Write EcsServiceWrite "update_service";
        DeleteService = "ecs" Write EcsServiceWrite "delete_service";
        ListClusters = "ecs" Read EcsRead "list_clusters";
        ListServices = "ecs" Read EcsRead "list_services";
        ListTasks = "ecs" Read EcsRead "list_task_arns";
        DescribeTasks = "ecs" Read EcsRead "describe_tasks";
        RunTask = "ecs" Write EcsWrite "run_task";
        StopTask = "ecs" Write EcsWrite "stop_task";
        ListServiceDeployments = "ecs" Read EcsRead "latest_service_deployment";
        DescribeServiceRevisions = "ecs" Read EcsRead "service_revision_settings";
        // AWS IAM
        GetRole = "iam" Read Iam "get_role";
        CreateRole = "iam" Write Iam "create_role";
        UpdateAssumeRolePolicy = "iam" Write Iam "update_assume_role_policy";
        PutRolePermissionsBoundary = "iam" Write Iam "put_role_permissions_boundary";
        DeleteRolePermissionsBoundary = "iam" Write Iam "delete_role_permissions_boundary";
        AttachRolePolicy = "iam" Write Iam "attach_role_policy";
        DetachRolePolicy = "iam" Write Iam "detach_role_policy";
        PutRolePolicy = "iam" Write Iam "put_role_policy";
        DeleteRolePolicy = "iam" Write Iam "delete_role_policy";
        TagRole = "iam" Write Iam "tag_role";
        DeleteRole = "iam" Write Iam "delete_role";
        // Amazon CloudWatch Logs
        DescribeLogGroups = "logs" Read Logs "describe_log_group";
        CreateLogGroup = "logs" Write Logs "create_log_group";
        PutRetentionPolicy = "logs" Write Logs "put_retention_policy";
        DeleteRetentionPolicy = "logs" Write Logs "delete_retention_policy";
        DeleteLogGroup = "logs" Write Logs "delete_log_group";
        // Application Auto Scaling
        DescribeScalableTargets = "application-autoscaling" Read AutoScaling "describe";
        RegisterScalableTarget = "application-autoscaling" Write AutoScaling "register_scalable_target";
        DeregisterScalableTarget = "application-autoscaling" Write AutoScaling "deregister_scalable_target";
        PutScalingPolicy = "application-autoscaling" Write AutoScaling "put_scaling_policy";
        DeleteScalingPolicy = "application-autoscaling" Write AutoScaling "delete_scaling_policy";
        PutScheduledAction = "application-autoscaling" Write AutoScaling "put_scheduled_action";
        DeleteScheduledAction = "application-autoscaling" Write AutoScaling "delete_scheduled_action";
        // Elastic Load Balancing v2
        DescribeTargetGroups = "elasticloadbalancing" Read Elb "resource_label";
        // Amazon EventBridge Scheduler (a scheduled FargateTask)
        GetSchedule = "scheduler" Read Scheduler "get_schedule";
        CreateSchedule = "scheduler" Write Scheduler "create_schedule";
        UpdateSchedule = "scheduler" Write Scheduler "update_schedule";
        DeleteSchedule = "scheduler" Write Scheduler "delete_schedule";
    }
    follow_ups {
        // latest_service_deployment: the newest listed service deployment described.
        DescribeServiceDeployments = "ecs" Read EcsRead after ListServiceDeployments Once;
        // get_role: an existing role's attached and inline policies.
        ListAttachedRolePolicies = "iam" Read Iam after GetRole Once;
        ListRolePolicies = "iam" Read Iam after GetRole Once;
        GetRolePolicy = "iam" Read Iam after GetRole PerItem;
        // describe_log_group: an existing group's tags.
        ListTagsForResource = "logs" Read Logs after DescribeLogGroups Once;
        // describe (scaling): a registered target's policies and scheduled actions.
        DescribeScalingPolicies = "application-autoscaling" Read AutoScaling after DescribeScalableTargets Once;
        DescribeScheduledActions = "application-autoscaling" Read AutoScaling after DescribeScalableTargets Once;
    }
}

/// The entries of `all` whose request belongs to `call`, as a `'static` slice. `all` lists
/// the follow-ups grouped by call (the table's order), so they are one contiguous run.
const fn follow_ups_of(call: AwsOp, all: &'static [(AwsOp, Repeat)]) -> &'static [(AwsOp, Repeat)] {
    let mut start = 0;
    while start < all.len() && !same_op(all[start].0.call(), call) {
        start += 1;
    }
    let mut end = start;
    while end < all.len() && same_op(all[end].0.call(), call) {
        end += 1;
    }
    let (_, rest) = all.split_at(start);
    let (run, _) = rest.split_at(end - start);
    run
}

const fn same_op(a: AwsOp, b: AwsOp) -> bool {
    a as u8 == b as u8
}

impl AwsOp {
    /// The follow-up requests of an operator call, in the order it sends them (none for
    /// most calls, and for every follow-up request).
    pub const fn follow_ups(self) -> &'static [(AwsOp, Repeat)] {
        if self.is_call() {
            follow_ups_of(self, Self::FOLLOW_UPS)
        } else {
            &[]
        }
    }

    /// Whether this is an operator call (a trait method), not a follow-up request.
    pub const fn is_call(self) -> bool {
        same_op(self.call(), self)
    }

    /// The requests one operator call makes, as the SDK adapter sends them: its own, then,
    /// if it found something (`found`: how many items; `None` when the first request found
    /// nothing to follow up), each follow-up once or once per item. One page per listing:
    /// what a stand-in serving small accounts counts (`testing::backend`), and what
    /// `tests/moto_requests.rs` checks against the requests the SDK adapter really sends.
    pub fn requests(self, found: Option<u64>) -> Vec<(AwsOp, u64)> {
        let mut out = vec![(self, 1)];
        if let Some(items) = found {
            for (op, repeat) in self.follow_ups() {
                let n = match repeat {
                    Repeat::Once => 1,
                    Repeat::PerItem => items,
                };
                if n > 0 {
                    out.push((*op, n));
                }
            }
        }
        out
    }
}

/// The IAM action: errors read `ecs:CreateService: <AWS's message>`.
impl fmt::Display for AwsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iam_action())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_named_once_and_consistently() {
        let mut actions: Vec<_> = AwsOp::ALL.iter().map(|o| o.iam_action()).collect();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), AwsOp::ALL.len());
        for op in AwsOp::ALL {
            assert_eq!(
                op.iam_action(),
                format!("{}:{}", op.service(), op.api_name())
            );
            assert_eq!(op.to_string(), op.iam_action());
            assert!(!op.metrics_label().is_empty(), "{op:?}");
            // ECS's reads are exactly its Describe*/List* operations.
            if op.service() == "ecs" {
                let reads =
                    op.api_name().starts_with("Describe") || op.api_name().starts_with("List");
                assert_eq!(op.kind() == CallKind::Read, reads, "{op:?}");
            }
        }
        let mut labels: Vec<_> = AwsOp::ALL
            .iter()
            .filter(|o| o.is_call())
            .map(|o| (o.service(), o.metrics_label()))
            .collect();
        let n = labels.len();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), n, "two calls share a metrics label");
    }

    #[test]
    fn follow_ups_belong_to_their_call_and_read_the_same_service() {
        for op in AwsOp::ALL {
            if op.is_call() {
                for (f, _) in op.follow_ups() {
                    assert_eq!(f.call(), *op);
                    assert_eq!(f.service(), op.service());
                    assert_eq!(f.kind(), CallKind::Read);
                }
            } else {
                assert!(op.follow_ups().is_empty());
                assert!(
                    op.call().follow_ups().iter().any(|(f, _)| f == op),
                    "{op:?}"
                );
            }
        }
    }

    #[test]
    fn requests_of_a_call_follow_the_table() {
        use AwsOp::*;
        assert_eq!(CreateService.requests(None), vec![(CreateService, 1)]);
        assert_eq!(CreateService.requests(Some(3)), vec![(CreateService, 1)]);
        assert_eq!(GetRole.requests(None), vec![(GetRole, 1)]);
        assert_eq!(
            GetRole.requests(Some(2)),
            vec![
                (GetRole, 1),
                (ListAttachedRolePolicies, 1),
                (ListRolePolicies, 1),
                (GetRolePolicy, 2)
            ]
        );
        assert_eq!(
            GetRole.requests(Some(0)),
            vec![
                (GetRole, 1),
                (ListAttachedRolePolicies, 1),
                (ListRolePolicies, 1)
            ]
        );
        assert_eq!(
            DescribeScalableTargets.requests(Some(0)),
            vec![
                (DescribeScalableTargets, 1),
                (DescribeScalingPolicies, 1),
                (DescribeScheduledActions, 1)
            ]
        );
    }

    #[test]
    fn labels_and_actions_are_the_ones_published_before() {
        // Metrics labels and IAM actions are public; these are examples of both.
        assert_eq!(AwsOp::CreateService.metrics_label(), "create_service");
        assert_eq!(AwsOp::CreateService.iam_action(), "ecs:CreateService");
        assert_eq!(AwsOp::DescribeScalableTargets.metrics_label(), "describe");
        assert_eq!(
            AwsOp::PutScalingPolicy.iam_action(),
            "application-autoscaling:PutScalingPolicy"
        );
        assert_eq!(
            AwsOp::DescribeTargetGroups.metrics_label(),
            "resource_label"
        );
        assert_eq!(AwsOp::GetRolePolicy.metrics_label(), "get_role");
    }
}
