//! `--exposure` end to end against moto's IAM and STS on loopback, with
//! moto's authentication on: each key reads its own policies only as far
//! as those policies let it, exactly as on AWS. AWS's managed policies
//! (AdministratorAccess, AWSCompromisedKeyQuarantineV2) are moto's copies
//! of the real documents. moto has no policy simulator (it answers 500),
//! so these runs take the read-and-evaluate path; the simulator path is
//! checked against a loopback server that checks each request's shape.
//!
//! Needs `pip install 'moto[server]' awscli` (done by `.ci/run`).

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

mod support;
use support::{keyhound, stderr, stdout, Server};

/// The `aws` CLI against moto on `port` (see [`support::aws_cli`]).
fn aws(port: u16, args: &[&str]) -> Value {
    support::aws_cli(port, args, Path::new("."))
}

struct Iam {
    port: u16,
    _moto: support::MotoGuard,
    /// (key id, secret) per user.
    quarantined: (String, String),
    admin: (String, String),
    blind: (String, String),
}

fn user(port: u16, name: &str, inline: Option<&str>, managed: &[&str]) -> (String, String) {
    aws(port, &["iam", "create-user", "--user-name", name]);
    if let Some(doc) = inline {
        aws(
            port,
            &[
                "iam",
                "put-user-policy",
                "--user-name",
                name,
                "--policy-name",
                "deploy",
                "--policy-document",
                doc,
            ],
        );
    }
    for policy in managed {
        let arn = format!("arn:aws:iam::aws:policy/{policy}");
        aws(
            port,
            &[
                "iam",
                "attach-user-policy",
                "--user-name",
                name,
                "--policy-arn",
                &arn,
            ],
        );
    }
    let key = aws(port, &["iam", "create-access-key", "--user-name", name]);
    (
        key["AccessKey"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_string(),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn iam() -> &'static Iam {
    static IAM: OnceLock<Iam> = OnceLock::new();
    IAM.get_or_init(|| {
        let (port, moto) = support::moto_server_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
        let reads = r#"{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}"#;
        let quarantined = user(
            port,
            "leaky-ci",
            Some(&format!(
                r#"{{"Version": "2012-10-17", "Statement": [{reads},
                    {{"Effect": "Allow", "Action": ["ec2:*", "ecs:*", "lambda:*"], "Resource": "*"}},
                    {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::builds/*"}}]}}"#
            )),
            &["AWSCompromisedKeyQuarantineV2"],
        );
        let admin = user(port, "admin", None, &["AdministratorAccess"]);
        let blind = user(
            port,
            "uploader",
            Some(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#),
            &[],
        );
        // From now on every request is authenticated and authorised.
        let reset = ureq::post(&format!("http://127.0.0.1:{port}/moto-api/reset-auth"))
            .send("0")
            .expect("reset-auth");
        assert!(reset.status().is_success());
        Iam {
            port,
            _moto: moto,
            quarantined,
            admin,
            blind,
        }
    })
}

/// `keyhound verify --exposure` for one key; its one JSONL result.
fn exposure_of(key: &(String, String), extra: &[&str]) -> (Value, String) {
    let m = iam();
    let url = format!("http://127.0.0.1:{}", m.port);
    let mut args = vec![
        "verify",
        "--exposure",
        "--aws-key-id",
        &key.0,
        "--aws-secret",
        &key.1,
        "--aws-sts-endpoint",
        &url,
        "--aws-iam-endpoint",
        &url,
        "--verify-rate",
        "100",
    ];
    args.extend_from_slice(extra);
    let out = keyhound(&args, Path::new("."));
    assert_eq!(out.status.code(), Some(1), "live key: {}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default().to_string();
    let value = serde_json::from_str(&first).unwrap_or(Value::Null);
    (value, text)
}

fn decision(exposure: &Value, action: &str) -> String {
    exposure["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["actions"].as_array().unwrap())
        .find(|a| a[0] == action)
        .unwrap_or_else(|| panic!("{action} not asked: {exposure}"))[1]
        .as_str()
        .unwrap()
        .to_string()
}

fn capability(exposure: &Value, name: &str) -> String {
    exposure["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["decision"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_quarantined_key_is_named_and_its_remaining_reach_read_from_its_policies() {
    let (result, _) = exposure_of(&iam().quarantined, &["--format", "jsonl"]);
    let v = &result["verification"];
    assert_eq!(v["status"], "live", "{result}");
    let e = &v["exposure"];
    assert_eq!(e["method"], "policies", "{e}");
    assert_eq!(e["quarantined"], true, "{e}");
    let policies: Vec<&str> = e["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        ["managed:AWSCompromisedKeyQuarantineV2", "inline:deploy"]
    );
    // The quarantine policy's explicit denies beat the inline allows...
    assert_eq!(decision(e, "ec2:RunInstances"), "denied");
    assert_eq!(decision(e, "lambda:CreateFunction"), "denied");
    assert_eq!(decision(e, "iam:CreateAccessKey"), "denied");
    assert_eq!(decision(e, "s3:GetObject"), "denied");
    // ...but it does not cover ECS, which the key can still use.
    assert_eq!(decision(e, "ecs:RunTask"), "allowed");
    assert_eq!(capability(e, "launch compute"), "allowed");
    assert_eq!(decision(e, "sagemaker:CreateTrainingJob"), "not_allowed");
    assert_eq!(capability(e, "touch billing"), "not_allowed");
    // The key may read its policies but not call the simulator.
    assert_eq!(
        e["unread"],
        serde_json::json!(["SimulatePrincipalPolicy: AccessDenied"]),
        "{e}"
    );
}

#[test]
fn an_admin_key_can_do_everything_and_the_text_says_so() {
    let (_, text) = exposure_of(&iam().admin, &[]);
    assert!(text.contains(" live ("), "{text}");
    let can = text
        .lines()
        .find(|l| l.trim_start().starts_with("can "))
        .unwrap_or_else(|| panic!("no `can` line: {text}"));
    for capability in [
        "launch compute",
        "create IAM users or keys",
        "touch billing",
        "read S3",
    ] {
        assert!(can.contains(capability), "{can}");
    }
    assert!(!text.contains("cannot"), "{text}");
    assert!(text.contains("managed:AdministratorAccess"), "{text}");
    assert!(!text.contains("QUARANTINED"), "{text}");
}

#[test]
fn a_key_that_may_not_read_iam_is_unknown_not_harmless() {
    let (result, _) = exposure_of(&iam().blind, &["--format", "jsonl"]);
    let e = &result["verification"]["exposure"];
    let unread = e["unread"].to_string();
    assert!(
        unread.contains("ListAttachedUserPolicies: AccessDenied"),
        "{e}"
    );
    // Nothing read allows EC2, but something unread might: unknown.
    assert_eq!(decision(e, "ec2:RunInstances"), "unknown", "{e}");
    assert_eq!(capability(e, "launch compute"), "unknown", "{e}");
}

#[test]
fn exposure_needs_verify_on_scans() {
    let dir = tempfile::tempdir().unwrap();
    let out = keyhound(&["scan", "--exposure", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--exposure needs --verify"),
        "{}",
        stderr(&out)
    );
}

/// The simulator path, against a loopback IAM that checks what it is sent:
/// every call is a signed POST of a read-only action, the simulator is
/// asked about every capability action for the user's ARN, and its
/// decisions are reported as they came.
#[test]
fn the_policy_simulator_is_asked_when_the_key_may_call_it() {
    let sts = Server::start(|_| {
        (
            200,
            "<GetCallerIdentityResponse><GetCallerIdentityResult>\
             <Arn>arn:aws:iam::123456789012:user/ops/deployer</Arn><UserId>AIDAEXAMPLE1</UserId>\
             <Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
                .to_string(),
        )
    });
    let iam = Server::start(|r| {
        let form = support::form(&r.body);
        let action = form
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        match action.as_str() {
            "ListAttachedUserPolicies" => (
                200,
                "<R><AttachedPolicies><member><PolicyName>PowerUserAccess</PolicyName>\
                 <PolicyArn>arn:aws:iam::aws:policy/PowerUserAccess</PolicyArn></member>\
                 </AttachedPolicies><IsTruncated>false</IsTruncated></R>"
                    .into(),
            ),
            "GetPolicy" | "ListUserPolicies" | "ListGroupsForUser" => (
                403,
                "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>".into(),
            ),
            "SimulatePrincipalPolicy" => {
                let results: String = form
                    .iter()
                    .filter(|(k, _)| k.starts_with("ActionNames.member."))
                    .map(|(_, a)| {
                        let decision = if a.starts_with("iam:") || a.starts_with("aws-portal:") {
                            "implicitDeny"
                        } else {
                            "allowed"
                        };
                        format!("<member><EvalActionName>{a}</EvalActionName><EvalDecision>{decision}</EvalDecision></member>")
                    })
                    .collect();
                (
                    200,
                    format!("<R><EvaluationResults>{results}</EvaluationResults></R>"),
                )
            }
            _ => (400, format!("<E><Code>Unexpected{action}</Code></E>")),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = keyhound(
        &[
            "verify",
            "--exposure",
            "--format",
            "jsonl",
            "--aws-key-id",
            "AKIAYTAZMROB6K6IVLAU", // keyhound:allow
            "--aws-secret",
            "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", // keyhound:allow
            "--aws-sts-endpoint",
            &sts.url(),
            "--aws-iam-endpoint",
            &iam.url(),
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let result: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    let e = &result["verification"]["exposure"];
    assert_eq!(e["method"], "simulated", "{e}");
    assert_eq!(capability(e, "launch compute"), "allowed");
    assert_eq!(capability(e, "read S3"), "allowed");
    assert_eq!(capability(e, "create IAM users or keys"), "not_allowed");
    assert_eq!(e["policies"][0], "managed:PowerUserAccess");
    let requests = iam.requests();
    let read_only = [
        "ListAttachedUserPolicies",
        "ListUserPolicies",
        "ListGroupsForUser",
        "GetPolicy",
        "SimulatePrincipalPolicy",
    ];
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/");
        let auth = r.header("authorization").unwrap_or_default();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIAYTAZMROB6K6IVLAU/"),
            "{auth}"
        ); // keyhound:allow
        assert!(auth.contains("/us-east-1/iam/aws4_request"), "{auth}");
        let action = support::form_value(&r.body, "Action").unwrap();
        assert!(
            read_only.contains(&action.as_str()),
            "unexpected call {action}"
        );
        assert_eq!(
            support::form_value(&r.body, "Version").as_deref(),
            Some("2010-05-08")
        );
    }
    let simulate = requests
        .iter()
        .find(|r| {
            support::form_value(&r.body, "Action").as_deref() == Some("SimulatePrincipalPolicy")
        })
        .expect("the simulator was asked");
    assert_eq!(
        support::form_value(&simulate.body, "PolicySourceArn").as_deref(),
        Some("arn:aws:iam::123456789012:user/ops/deployer")
    );
    assert_eq!(
        support::form(&simulate.body)
            .iter()
            .filter(|(k, _)| k.starts_with("ActionNames.member."))
            .count(),
        11
    );
}
