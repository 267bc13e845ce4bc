//! The `ecs.fargate.dev/restartedAt` annotation: which values it takes.
//!
//! A changed value forces one new ECS deployment. The value is any label the user picks (a
//! timestamp, by convention); the operator records a hash of it on the ECS service, never the
//! value itself, so what the annotation accepts is a choice, not an AWS limit. It accepts
//! what an ECS tag value may hold (the `Tag` type of the ECS API reference: 0 to 256 letters,
//! numbers, spaces and `+ - = . _ : / @`), which every value older versions recorded as the
//! tag itself met, and which keeps out the formats that are easy to get by accident and hard
//! to tell apart (`date -R`'s commas, multi-line strings).

use super::validation::FieldError;
use super::RESTARTED_AT_ANNOTATION;

/// The command the messages suggest: a UTC timestamp the annotation accepts.
pub const RESTARTED_AT_COMMAND: &str = "date -u +%Y-%m-%dT%H:%M:%SZ";

/// Most characters a value may have.
pub const RESTARTED_AT_MAX_CHARS: usize = 256;

/// Whether `c` may appear in a value: a letter, number or space (`\p{L}`, `\p{N}`, `\p{Z}`),
/// or one of `+ - = . _ : / @`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "+-=._:/@".contains(c)
}

/// Checks the annotation's value on the object `name`. The error names the annotation, says
/// what is wrong with the value, that no deployment is forced, and what to write instead.
pub fn validate_restarted_at(value: &str, name: &str) -> Result<(), FieldError> {
    let chars = value.chars().count();
    let problem = if chars > RESTARTED_AT_MAX_CHARS {
        format!("is {chars} characters long (at most {RESTARTED_AT_MAX_CHARS})")
    } else if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        format!("contains {c:?}")
    } else if value.to_ascii_lowercase().starts_with("aws:") {
        "starts with aws: (reserved by AWS)".to_owned()
    } else {
        return Ok(());
    };
    let shown: String = value.chars().take(64).collect();
    let shown = if chars > 64 {
        format!("{shown:?}...")
    } else {
        format!("{shown:?}")
    };
    Err(FieldError {
        field: format!("metadata.annotations[{RESTARTED_AT_ANNOTATION}]"),
        message: format!(
            "{shown} {problem}, which the annotation does not take (at most \
             {RESTARTED_AT_MAX_CHARS} letters, numbers, spaces and + - = . _ : / @): nothing \
             is changed in AWS, and no deployment forced, until it is fixed. Set it to a UTC \
             timestamp: kubectl annotate --overwrite fargateservice/{name} \
             {RESTARTED_AT_ANNOTATION}=\"$({RESTARTED_AT_COMMAND})\""
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_accepted() {
        for ok in [
            "2026-11-29T06:00:00Z",
            "2026-11-29T06:00:00.123+01:00",
            "",
            "release 42",
            "ops@example.com/rollout=3",
            "über-neustart 1",
        ] {
            assert_eq!(validate_restarted_at(ok, "web"), Ok(()), "{ok:?}");
        }
        assert!(validate_restarted_at(&"7".repeat(256), "web").is_ok());
    }

    #[test]
    fn what_ecs_refuses_as_a_tag_value_is_refused_naming_the_annotation() {
        for (bad, says) in [
            ("Sun, 29 Nov 2026 06:00:00 +0000", "contains ','"),
            ("2026-11-29\n", "contains '\\n'"),
            ("now!", "contains '!'"),
            ("\"quoted\"", "contains '\"'"),
            ("AWS:restart", "reserved by AWS"),
        ] {
            let e = validate_restarted_at(bad, "web").unwrap_err();
            assert_eq!(e.field, "metadata.annotations[ecs.fargate.dev/restartedAt]");
            assert!(e.message.contains(says), "{bad:?}: {}", e.message);
            assert!(e.message.contains("no deployment forced"), "{}", e.message);
            assert!(
                e.message.contains(
                    "fargateservice/web ecs.fargate.dev/restartedAt=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
                ),
                "{}",
                e.message
            );
        }
        let e = validate_restarted_at(&"7".repeat(257), "web").unwrap_err();
        assert!(e.message.contains("257 characters long"), "{}", e.message);
        assert!(
            e.message.len() < 600,
            "the value is shortened: {}",
            e.message
        );
    }
}
