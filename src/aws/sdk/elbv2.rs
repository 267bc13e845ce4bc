//! Elastic Load Balancing v2 on the SDK (read only).

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2 as elbv2;

use super::{invalid, send};
use crate::aws::limits::RateLimits;
use crate::aws::{self as aws, AwsError, AwsOp};

/// ELBv2 on the SDK (read only).
pub struct SdkElb(pub elbv2::Client, pub Arc<RateLimits>);

/// `app/<lb>/<id>/targetgroup/<tg>/<id>` from a load balancer and a target group ARN.
pub fn resource_label(lb_arn: &str, tg_arn: &str) -> Option<String> {
    let lb = lb_arn.split_once(":loadbalancer/")?.1;
    let tg = tg_arn.rsplit_once(':')?.1;
    tg.starts_with("targetgroup/").then(|| format!("{lb}/{tg}"))
}

#[async_trait]
impl aws::LoadBalancing for SdkElb {
    async fn resource_label(&self, target_group_arn: &str) -> Result<String, AwsError> {
        const OP: AwsOp = AwsOp::DescribeTargetGroups;
        let out = send(
            &self.1,
            OP,
            self.0
                .describe_target_groups()
                .target_group_arns(target_group_arn)
                .send(),
        )
        .await?;
        let lb = out
            .target_groups()
            .first()
            .and_then(|t| t.load_balancer_arns().first())
            .ok_or_else(|| {
                invalid(
                    OP,
                    format!(
                        "target group {target_group_arn} is not attached to a load balancer; requestsPerTarget scaling needs one"
                    ),
                )
            })?;
        resource_label(lb, target_group_arn)
            .ok_or_else(|| invalid(OP, format!("cannot build a resource label from {lb}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_label_joins_load_balancer_and_target_group() {
        assert_eq!(
            resource_label(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-api/943f017f100becff"
            )
            .as_deref(),
            Some("app/web/50dc6c495c0c9188/targetgroup/web-api/943f017f100becff")
        );
    }
}
