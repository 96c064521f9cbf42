//! IAM policy documents evaluated for a handful of actions, when AWS's own
//! simulator (`iam:SimulatePrincipalPolicy`) may not be called.
//!
//! The evaluation follows IAM's order for identity policies: an explicit
//! `Deny` wins, then any `Allow`, otherwise the action is implicitly
//! denied. It answers for "some resource" rather than a given one, so an
//! `Allow` on named resources or under a `Condition` is [`Decision::Limited`]
//! and only an unconditional `Deny` on `*` is [`Decision::Denied`].
//! Service control policies and permission boundaries are not visible
//! to an identity's own reads, so an `Allowed` here can still be cut down
//! by them; the report says which method decided.

use serde_json::Value;

use crate::finding::Decision;

/// The decision for `action` over every policy document given.
pub fn decide(documents: &[Value], action: &str) -> Decision {
    let mut best = Decision::NotAllowed;
    for statement in documents.iter().flat_map(statements) {
        let effect = statement.get("Effect").and_then(Value::as_str);
        if !covers_action(statement, action) {
            continue;
        }
        let unconditional = statement.get("Condition").is_none();
        let every_resource = covers_every_resource(statement);
        match effect {
            Some("Deny") if unconditional && every_resource => return Decision::Denied,
            Some("Allow") if unconditional && every_resource => best = Decision::Allowed,
            Some("Allow") if best != Decision::Allowed => best = Decision::Limited,
            _ => {}
        }
    }
    best
}

/// A document's statements: `Statement` is an object or an array.
fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// `Action` (one pattern or a list) matching, or `NotAction` not matching.
fn covers_action(statement: &Value, action: &str) -> bool {
    if let Some(patterns) = statement.get("Action") {
        return strings(patterns).any(|p| action_matches(p, action));
    }
    if let Some(patterns) = statement.get("NotAction") {
        return !strings(patterns).any(|p| action_matches(p, action));
    }
    false
}

/// `Resource: "*"` (alone or in a list) and no `NotResource`.
fn covers_every_resource(statement: &Value) -> bool {
    if statement.get("NotResource").is_some() {
        return false;
    }
    statement
        .get("Resource")
        .is_some_and(|r| strings(r).any(|p| p == "*"))
}

fn strings(value: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match value {
        Value::String(s) => Box::new(std::iter::once(s.as_str())),
        Value::Array(list) => Box::new(list.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}

/// IAM action patterns: case-insensitive, `*` any run, `?` one character.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let a: Vec<char> = action.to_ascii_lowercase().chars().collect();
    // Iterative glob with backtracking to the last `*`: linear in practice,
    // and bounded by the short strings IAM allows.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        if i < p.len() && (p[i] == '?' || p[i] == a[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn action_patterns_are_case_insensitive_globs() {
        assert!(action_matches("*", "ec2:RunInstances"));
        assert!(action_matches("ec2:*", "ec2:RunInstances"));
        assert!(action_matches("EC2:run*", "ec2:RunInstances"));
        assert!(action_matches("ec2:?unInstances", "ec2:RunInstances"));
        assert!(action_matches("iam:*AccessKey*", "iam:CreateAccessKey"));
        assert!(!action_matches("ec2:Describe*", "ec2:RunInstances"));
        assert!(!action_matches("s3:Get*", "s3:ListAllMyBuckets"));
        assert!(!action_matches("ec2:RunInstance", "ec2:RunInstances"));
    }

    #[test]
    fn deny_wins_then_allow_then_nothing() {
        let admin = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        let no_iam = json!({"Statement": [
            {"Effect": "Deny", "Action": ["iam:*"], "Resource": "*"}
        ]});
        assert_eq!(
            decide(std::slice::from_ref(&admin), "iam:CreateUser"),
            Decision::Allowed
        );
        assert_eq!(
            decide(&[admin.clone(), no_iam.clone()], "iam:CreateUser"),
            Decision::Denied
        );
        assert_eq!(
            decide(&[admin, no_iam], "ec2:RunInstances"),
            Decision::Allowed
        );
        assert_eq!(decide(&[], "ec2:RunInstances"), Decision::NotAllowed);
    }

    #[test]
    fn named_resources_and_conditions_limit_an_allow() {
        let bucket = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}
        ]});
        assert_eq!(
            decide(std::slice::from_ref(&bucket), "s3:GetObject"),
            Decision::Limited
        );
        let mfa = json!({"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
        assert_eq!(
            decide(std::slice::from_ref(&mfa), "ec2:RunInstances"),
            Decision::Limited
        );
        // A conditional deny does not forbid outright, and an unconditional
        // allow elsewhere still counts.
        let conditional_deny = json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]});
        let admin = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        assert_eq!(
            decide(&[conditional_deny, admin, bucket], "s3:GetObject"),
            Decision::Allowed
        );
    }

    #[test]
    fn not_action_and_not_resource() {
        let all_but_iam = json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
        ]});
        assert_eq!(
            decide(std::slice::from_ref(&all_but_iam), "iam:CreateAccessKey"),
            Decision::NotAllowed
        );
        assert_eq!(
            decide(&[all_but_iam], "lambda:CreateFunction"),
            Decision::Allowed
        );
        let elsewhere = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
        ]});
        assert_eq!(decide(&[elsewhere], "s3:GetObject"), Decision::Limited);
    }
}
