//! Amazon CloudWatch Logs on the SDK.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs as cwl;

use super::send;
use crate::aws::limits::RateLimits;
use crate::aws::{self as aws, AwsError, AwsOp};
use crate::plan::model::*;

/// CloudWatch Logs on the SDK.
pub struct SdkLogs(pub cwl::Client, pub Arc<RateLimits>);

#[async_trait]
impl aws::Logs for SdkLogs {
    async fn describe_log_group(&self, name: &str) -> Result<Option<ObservedLogGroup>, AwsError> {
        let out = send(
            &self.1,
            AwsOp::DescribeLogGroups,
            self.0
                .describe_log_groups()
                .log_group_name_prefix(name)
                .limit(50)
                .send(),
        )
        .await?;
        let Some(group) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        else {
            return Ok(None);
        };
        let arn = group
            .arn()
            .map(|a| a.trim_end_matches(":*").to_owned())
            .unwrap_or_default();
        let tags = send(
            &self.1,
            AwsOp::ListTagsForResource,
            self.0.list_tags_for_resource().resource_arn(&arn).send(),
        )
        .await?;
        Ok(Some(ObservedLogGroup {
            retention_days: group.retention_in_days(),
            tags: tags
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }))
    }

    async fn create_log_group(&self, name: &str, tags: &Tags) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::CreateLogGroup,
            self.0
                .create_log_group()
                .log_group_name(name)
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_retention_policy(&self, name: &str, days: i32) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::PutRetentionPolicy,
            self.0
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_retention_policy(&self, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteRetentionPolicy,
            self.0.delete_retention_policy().log_group_name(name).send(),
        )
        .await
        .map(drop)
    }

    async fn delete_log_group(&self, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteLogGroup,
            self.0.delete_log_group().log_group_name(name).send(),
        )
        .await
        .map(drop)
    }
}
