//! AWS IAM on the SDK.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_iam as iam;

use super::{found, invalid, send};
use crate::aws::limits::RateLimits;
use crate::aws::{self as aws, AwsError, AwsOp, NewRole};
use crate::plan::model::*;

/// IAM on the SDK.
pub struct SdkIam(pub iam::Client, pub Arc<RateLimits>);

/// IAM returns policy documents URL-encoded; emulators sometimes do not.
fn policy_json(doc: &str) -> serde_json::Value {
    serde_json::from_str(doc)
        .or_else(|_| {
            let decoded = urlencoding::decode(doc).map(|d| d.into_owned());
            serde_json::from_str(&decoded.unwrap_or_default())
        })
        .unwrap_or(serde_json::Value::Null)
}

#[async_trait]
impl aws::Iam for SdkIam {
    async fn get_role(&self, name: &str) -> Result<Option<ObservedRole>, AwsError> {
        let Some(out) = found(
            send(
                &self.1,
                AwsOp::GetRole,
                self.0.get_role().role_name(name).send(),
            )
            .await,
        )?
        else {
            return Ok(None);
        };
        let Some(role) = out.role() else {
            return Ok(None);
        };
        let mut attached = BTreeSet::new();
        let mut marker = None;
        loop {
            let page = send(
                &self.1,
                AwsOp::ListAttachedRolePolicies,
                self.0
                    .list_attached_role_policies()
                    .role_name(name)
                    .set_marker(marker.take())
                    .send(),
            )
            .await?;
            attached.extend(
                page.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        let names = send(
            &self.1,
            AwsOp::ListRolePolicies,
            self.0.list_role_policies().role_name(name).send(),
        )
        .await?;
        let mut inline = BTreeMap::new();
        for policy in names.policy_names() {
            let doc = send(
                &self.1,
                AwsOp::GetRolePolicy,
                self.0
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send(),
            )
            .await?;
            inline.insert(policy.clone(), policy_json(doc.policy_document()));
        }
        Ok(Some(ObservedRole {
            arn: role.arn().to_owned(),
            path: role.path().to_owned(),
            tags: role
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
            trust_policy: role
                .assume_role_policy_document()
                .map(policy_json)
                .unwrap_or_default(),
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
            attached_policies: attached,
            inline_policies: inline,
        }))
    }

    async fn create_role(&self, r: NewRole<'_>) -> Result<String, AwsError> {
        const OP: AwsOp = AwsOp::CreateRole;
        let tags = r
            .tags
            .iter()
            .map(|(k, v)| {
                iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| invalid(OP, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = send(
            &self.1,
            OP,
            self.0
                .create_role()
                .role_name(r.name)
                .path(r.path)
                .assume_role_policy_document(r.trust_policy.to_string())
                .set_permissions_boundary(r.permissions_boundary.map(str::to_owned))
                .description(r.description)
                .set_tags(Some(tags))
                .send(),
        )
        .await?;
        out.role()
            .map(|r| r.arn().to_owned())
            .ok_or_else(|| invalid(OP, "response had no role"))
    }

    async fn update_assume_role_policy(
        &self,
        role: &str,
        policy: &serde_json::Value,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::UpdateAssumeRolePolicy,
            self.0
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(policy.to_string())
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_role_permissions_boundary(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::PutRolePermissionsBoundary,
            self.0
                .put_role_permissions_boundary()
                .role_name(role)
                .permissions_boundary(arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_role_permissions_boundary(&self, role: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteRolePermissionsBoundary,
            self.0
                .delete_role_permissions_boundary()
                .role_name(role)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::AttachRolePolicy,
            self.0
                .attach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DetachRolePolicy,
            self.0
                .detach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn put_role_policy(
        &self,
        role: &str,
        name: &str,
        document: &serde_json::Value,
    ) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::PutRolePolicy,
            self.0
                .put_role_policy()
                .role_name(role)
                .policy_name(name)
                .policy_document(document.to_string())
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteRolePolicy,
            self.0
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn tag_role(&self, role: &str, tags: &Tags) -> Result<(), AwsError> {
        let tags = tags
            .iter()
            .map(|(k, v)| iam::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(AwsOp::TagRole, e))?;
        send(
            &self.1,
            AwsOp::TagRole,
            self.0
                .tag_role()
                .role_name(role)
                .set_tags(Some(tags))
                .send(),
        )
        .await
        .map(drop)
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        send(
            &self.1,
            AwsOp::DeleteRole,
            self.0.delete_role().role_name(role).send(),
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_decode_either_way() {
        let plain = r#"{"Version":"2012-10-17"}"#;
        assert_eq!(policy_json(plain)["Version"], "2012-10-17");
        assert_eq!(
            policy_json("%7B%22Version%22%3A%222012-10-17%22%7D")["Version"],
            "2012-10-17"
        );
    }
}
