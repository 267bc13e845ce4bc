//! Image tag policy: untagged and `latest`-style images make rollbacks irreproducible.

use serde::{Deserialize, Serialize};

/// What to do with an image that has no tag or a mutable one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ImageTagPolicy {
    /// Accept silently.
    Allow,
    /// Accept, with a warning condition / plan note (default).
    #[default]
    Warn,
    /// Reject as an invalid spec.
    Deny,
}

/// Tags that are moved by convention; an image pinned to one of them is not reproducible.
pub const MUTABLE_TAGS: [&str; 8] = [
    "latest", "main", "master", "stable", "edge", "dev", "develop", "nightly",
];

/// Why an image reference is not pinned, or `None` when it is (a digest or a fixed tag).
pub fn mutable_reason(image: &str) -> Option<String> {
    if image.contains("@sha256:") {
        return None;
    }
    // The tag is after the last ':' that follows the last '/' (a ':' before it is a port).
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        None => Some(format!(
            "image {image:?} has no tag (it means :latest): pin a version tag or a digest so rollbacks are reproducible"
        )),
        Some((_, tag)) if MUTABLE_TAGS.contains(&tag.to_ascii_lowercase().as_str()) => Some(format!(
            "image {image:?} uses the mutable tag {tag:?}: pin a version tag or a digest so rollbacks are reproducible"
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_tags() {
        assert!(mutable_reason("nginx").is_some());
        assert!(mutable_reason("nginx:latest").is_some());
        assert!(mutable_reason("registry:5000/team/app").is_some());
        assert!(mutable_reason("registry:5000/team/app:MAIN").is_some());
        assert!(mutable_reason("registry:5000/team/app:1.2.3").is_none());
        assert!(mutable_reason("nginx:1.27").is_none());
        assert!(mutable_reason("app@sha256:0123456789abcdef").is_none());
    }
}
