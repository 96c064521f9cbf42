//! `--exposure`: what a live AWS key may do, from read-only IAM calls.
//!
//! After STS has said whose key it is, the key itself is used to read its
//! principal's policies (attached, inline, and its groups') and to ask
//! IAM's policy simulator about the actions behind the bill-shock
//! stories: launching compute, minting IAM users and keys, touching
//! billing, reading S3. The simulator's answer is preferred (it knows
//! permission boundaries); when the key may not call it, the policies read
//! are evaluated by [`super::aws_policy`]. Every call made is in
//! [`READ_ONLY_ACTIONS`], and [`iam`] refuses anything else, so a change
//! here cannot slip in a call that changes the account.
//!
//! Reads are made as the key (logged in its CloudTrail), through the same
//! allow-listed transport as verification (`iam.amazonaws.com` only).

use serde_json::Value;

use super::aws::{query, xml_text, Key};
use super::aws_policy;
use super::transport::Transport;
use crate::finding::{Capability, Decision, Exposure};

const OFFICIAL: &str = "https://iam.amazonaws.com";
const VERSION: &str = "2010-05-08";

/// The only IAM actions keyhound sends: reads and the simulator.
pub const READ_ONLY_ACTIONS: &[&str] = &[
    "ListAttachedUserPolicies",
    "ListUserPolicies",
    "GetUserPolicy",
    "ListGroupsForUser",
    "ListAttachedGroupPolicies",
    "ListGroupPolicies",
    "GetGroupPolicy",
    "ListAttachedRolePolicies",
    "ListRolePolicies",
    "GetRolePolicy",
    "GetPolicy",
    "GetPolicyVersion",
    "SimulatePrincipalPolicy",
];

/// What is asked, most costly first: each capability and the actions that
/// make it.
pub const CAPABILITIES: &[(&str, &[&str])] = &[
    (
        "launch compute",
        &[
            "ec2:RunInstances",
            "lambda:CreateFunction",
            "ecs:RunTask",
            "sagemaker:CreateTrainingJob",
            "bedrock:InvokeModel",
        ],
    ),
    (
        "create IAM users or keys",
        &["iam:CreateUser", "iam:CreateAccessKey"],
    ),
    (
        "touch billing",
        &[
            "aws-portal:ModifyBilling",
            "aws-portal:ModifyPaymentMethods",
        ],
    ),
    ("read S3", &["s3:ListAllMyBuckets", "s3:GetObject"]),
];

/// AWS attaches these managed policies to a user whose key it found
/// exposed; they deny the costly actions.
const QUARANTINE_PREFIX: &str = "AWSCompromisedKeyQuarantine";

/// More calls than this for one key (a user in many groups) and the reads
/// stop, said in `unread`.
const MAX_CALLS: usize = 60;

/// Whose key it is, from STS's ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    Root,
    User {
        name: String,
        arn: String,
    },
    /// An assumed-role session: its role's policies apply.
    Role {
        name: String,
        arn: String,
    },
    Other,
}

fn principal(arn: &str) -> Principal {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(_), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Principal::Other;
    };
    match (service, resource.split_once('/')) {
        ("iam", None) if resource == "root" => Principal::Root,
        ("iam", Some(("user", path))) => Principal::User {
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            arn: arn.to_string(),
        },
        ("sts", Some(("assumed-role", rest))) => {
            let role = rest.split('/').next().unwrap_or(rest).to_string();
            Principal::Role {
                arn: format!("arn:{partition}:iam::{account}:role/{role}"),
                name: role,
            }
        }
        _ => Principal::Other,
    }
}

/// One key's reads, with the call budget.
struct Reader<'a> {
    transport: &'a Transport,
    base: String,
    key: &'a Key<'a>,
    calls: usize,
    unread: Vec<String>,
}

impl Reader<'_> {
    /// One IAM call; `Err` holds the reason (AWS's error code).
    fn iam(&mut self, action: &str, params: &[(&str, &str)]) -> Result<String, String> {
        if !READ_ONLY_ACTIONS.contains(&action) {
            return Err(format!("{action} is not a read-only call keyhound makes"));
        }
        if self.calls >= MAX_CALLS {
            return Err(format!("stopped after {MAX_CALLS} IAM calls"));
        }
        self.calls += 1;
        let mut body = format!("Action={action}&Version={VERSION}");
        for (k, v) in params {
            body.push('&');
            body.push_str(k);
            body.push('=');
            body.push_str(&encode(v));
        }
        let reply = query(self.transport, &self.base, "iam", self.key, body.as_bytes())?;
        if reply.status == 200 {
            return Ok(reply.body);
        }
        let code =
            xml_text(&reply.body, "Code").unwrap_or_else(|| format!("HTTP {}", reply.status));
        Err(code)
    }

    /// A list call followed through `Marker` pages; `item` picks the
    /// entries out of one page.
    fn list<T>(
        &mut self,
        action: &str,
        params: &[(&str, &str)],
        item: impl Fn(&str) -> Vec<T>,
    ) -> Option<Vec<T>> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut p = params.to_vec();
            if let Some(m) = &marker {
                p.push(("Marker", m));
            }
            match self.iam(action, &p) {
                Ok(body) => {
                    all.extend(item(&body));
                    let more = xml_text(&body, "IsTruncated").is_some_and(|t| t == "true");
                    marker = xml_text(&body, "Marker").filter(|_| more);
                    if marker.is_none() {
                        return Some(all);
                    }
                }
                Err(reason) => {
                    self.unread.push(format!("{action}: {reason}"));
                    return None;
                }
            }
        }
    }

    /// A policy document from a `Get*Policy*` answer (URL-encoded JSON).
    fn document(&mut self, action: &str, params: &[(&str, &str)], tag: &str) -> Option<Value> {
        match self.iam(action, params) {
            Ok(body) => {
                let text = raw_text(&body, tag).map(|t| percent_decode(&unescape(t)));
                match text.as_deref().map(serde_json::from_str::<Value>) {
                    Some(Ok(doc)) => Some(doc),
                    _ => {
                        self.unread
                            .push(format!("{action}: unreadable policy document"));
                        None
                    }
                }
            }
            Err(reason) => {
                self.unread.push(format!("{action}: {reason}"));
                None
            }
        }
    }

    /// A managed policy's default version.
    fn managed(&mut self, policy_arn: &str) -> Option<Value> {
        let version = match self.iam("GetPolicy", &[("PolicyArn", policy_arn)]) {
            Ok(body) => xml_text(&body, "DefaultVersionId")?,
            Err(reason) => {
                self.unread.push(format!("GetPolicy: {reason}"));
                return None;
            }
        };
        self.document(
            "GetPolicyVersion",
            &[("PolicyArn", policy_arn), ("VersionId", &version)],
            "Document",
        )
    }
}

/// The policies that apply to a principal, by name, with their documents.
struct Policies {
    names: Vec<String>,
    documents: Vec<Value>,
    quarantined: bool,
    /// Every list call succeeded: the documents are all there is.
    complete: bool,
}

fn read_policies(reader: &mut Reader<'_>, principal: &Principal) -> Policies {
    let mut p = Policies {
        names: Vec::new(),
        documents: Vec::new(),
        quarantined: false,
        complete: true,
    };
    let unread_before = reader.unread.len();
    let (kind, name) = match principal {
        Principal::User { name, .. } => ("User", name.as_str()),
        Principal::Role { name, .. } => ("Role", name.as_str()),
        Principal::Root | Principal::Other => return p,
    };
    let name_key = format!("{kind}Name");
    let owner = [(name_key.as_str(), name)];
    read_owner(reader, kind, &owner, "", &mut p);
    if kind == "User" {
        let groups = reader.list("ListGroupsForUser", &owner, |b| {
            members(b, "Groups")
                .iter()
                .filter_map(|m| xml_text(m, "GroupName"))
                .collect()
        });
        for group in groups.unwrap_or_default() {
            let owner = [("GroupName", group.as_str())];
            read_owner(reader, "Group", &owner, &format!("group:{group}:"), &mut p);
        }
    }
    p.complete = reader.unread.len() == unread_before;
    p
}

/// The attached and inline policies of one user, role or group.
fn read_owner(
    reader: &mut Reader<'_>,
    kind: &str,
    owner: &[(&str, &str)],
    label: &str,
    p: &mut Policies,
) {
    let attached = reader.list(&format!("ListAttached{kind}Policies"), owner, |b| {
        members(b, "AttachedPolicies")
            .iter()
            .filter_map(|m| Some((xml_text(m, "PolicyName")?, xml_text(m, "PolicyArn")?)))
            .collect()
    });
    for (policy, arn) in attached.unwrap_or_default() {
        p.quarantined |= label.is_empty() && policy.starts_with(QUARANTINE_PREFIX);
        p.names.push(format!("{label}managed:{policy}"));
        if let Some(doc) = reader.managed(&arn) {
            p.documents.push(doc);
        }
    }
    let inline = reader.list(&format!("List{kind}Policies"), owner, |b| {
        members(b, "PolicyNames")
            .iter()
            .map(|m| unescape(m.trim()))
            .collect()
    });
    for policy in inline.unwrap_or_default() {
        p.names.push(format!("{label}inline:{policy}"));
        let mut params = owner.to_vec();
        params.push(("PolicyName", &policy));
        if let Some(doc) = reader.document(&format!("Get{kind}Policy"), &params, "PolicyDocument") {
            p.documents.push(doc);
        }
    }
}

/// The simulator's decision for each action, if the key may call it.
fn simulate(reader: &mut Reader<'_>, principal_arn: &str) -> Option<Vec<(String, Decision)>> {
    let actions: Vec<&str> = CAPABILITIES
        .iter()
        .flat_map(|(_, a)| a.iter().copied())
        .collect();
    let names: Vec<String> = (1..=actions.len())
        .map(|i| format!("ActionNames.member.{i}"))
        .collect();
    let mut params = vec![("PolicySourceArn", principal_arn)];
    params.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(actions.iter().copied()),
    );
    let body = match reader.iam("SimulatePrincipalPolicy", &params) {
        Ok(body) => body,
        Err(reason) => {
            reader
                .unread
                .push(format!("SimulatePrincipalPolicy: {reason}"));
            return None;
        }
    };
    let decided: Vec<(String, Decision)> = members(&body, "EvaluationResults")
        .iter()
        .filter_map(|m| {
            let action = xml_text(m, "EvalActionName")?;
            let decision = match xml_text(m, "EvalDecision")?.as_str() {
                "allowed" => Decision::Allowed,
                "explicitDeny" => Decision::Denied,
                "implicitDeny" => Decision::NotAllowed,
                _ => Decision::Unknown,
            };
            Some((action, decision))
        })
        .collect();
    // An answer that leaves an action out is not an answer for it.
    actions
        .iter()
        .all(|a| decided.iter().any(|(d, _)| d.eq_ignore_ascii_case(a)))
        .then_some(decided)
}

/// Reads what `arn`'s key may do. Never fails: what could not be read is
/// in [`Exposure::unread`] and weakens the decisions to `unknown`.
pub fn assess(transport: &Transport, key: &Key<'_>, arn: &str) -> Exposure {
    let base = transport
        .endpoints()
        .aws_iam
        .as_deref()
        .unwrap_or(OFFICIAL)
        .to_string();
    let mut reader = Reader {
        transport,
        base,
        key,
        calls: 0,
        unread: Vec::new(),
    };
    let principal = principal(arn);
    if principal == Principal::Root {
        return exposure("root", false, Vec::new(), |_| Decision::Allowed, Vec::new());
    }
    let policies = read_policies(&mut reader, &principal);
    let simulated = match &principal {
        Principal::User { arn, .. } | Principal::Role { arn, .. } => simulate(&mut reader, arn),
        Principal::Root | Principal::Other => None,
    };
    let Policies {
        names,
        documents,
        quarantined,
        complete,
    } = policies;
    if matches!(principal, Principal::Other) {
        reader.unread.push(format!(
            "no policy reads for this kind of principal ({arn})"
        ));
    }
    match simulated {
        Some(decided) => {
            // The simulator answered for every action; a failed read
            // cannot change that, so it is not reported as a weakness.
            exposure(
                "simulated",
                quarantined,
                names,
                |action| {
                    decided
                        .iter()
                        .find(|(a, _)| a.eq_ignore_ascii_case(action))
                        .map_or(Decision::Unknown, |(_, d)| *d)
                },
                Vec::new(),
            )
        }
        None => {
            let known = complete && !matches!(principal, Principal::Other);
            exposure(
                "policies",
                quarantined,
                names,
                |action| match aws_policy::decide(&documents, action) {
                    // Something unread may allow it.
                    Decision::NotAllowed if !known => Decision::Unknown,
                    d => d,
                },
                reader.unread,
            )
        }
    }
}

fn exposure(
    method: &str,
    quarantined: bool,
    policies: Vec<String>,
    decide: impl Fn(&str) -> Decision,
    unread: Vec<String>,
) -> Exposure {
    let capabilities = CAPABILITIES
        .iter()
        .map(|(name, actions)| {
            let actions: Vec<(String, Decision)> =
                actions.iter().map(|a| (a.to_string(), decide(a))).collect();
            // `Decision` orders from most to least permissive.
            let decision = actions
                .iter()
                .map(|(_, d)| *d)
                .min()
                .unwrap_or(Decision::Unknown);
            Capability {
                name: name.to_string(),
                decision,
                actions,
            }
        })
        .collect();
    Exposure {
        method: method.to_string(),
        quarantined,
        policies,
        capabilities,
        unread,
    }
}

/// The whole text of the first `<tag>…</tag>` (policy documents are
/// longer than [`xml_text`]'s bound).
fn raw_text<'b>(body: &'b str, tag: &str) -> Option<&'b str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..start + len].trim())
}

/// The inner texts of `<member>` elements inside the first `<list>`.
fn members(body: &str, list: &str) -> Vec<String> {
    let open = format!("<{list}>");
    let close = format!("</{list}>");
    let Some(start) = body.find(&open).map(|i| i + open.len()) else {
        return Vec::new();
    };
    let end = body[start..].find(&close).map_or(body.len(), |i| start + i);
    let mut out = Vec::new();
    let mut rest = &body[start..end];
    while let Some(i) = rest.find("<member>") {
        let after = &rest[i + "<member>".len()..];
        // Members of these lists do not nest other members.
        let Some(j) = after.find("</member>") else {
            break;
        };
        out.push(after[..j].to_string());
        rest = &after[j + "</member>".len()..];
    }
    out
}

/// Form encoding for Query API parameters (RFC 3986 unreserved kept).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// IAM returns policy documents URL-encoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// XML's five predefined entities.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_from_sts_arns() {
        assert_eq!(principal("arn:aws:iam::123456789012:root"), Principal::Root);
        assert_eq!(
            principal("arn:aws:iam::123456789012:user/team/ci/deployer"),
            Principal::User {
                name: "deployer".into(),
                arn: "arn:aws:iam::123456789012:user/team/ci/deployer".into()
            }
        );
        assert_eq!(
            principal("arn:aws:sts::123456789012:assumed-role/builder/session-1"),
            Principal::Role {
                name: "builder".into(),
                arn: "arn:aws:iam::123456789012:role/builder".into()
            }
        );
        assert_eq!(
            principal("arn:aws:sts::123456789012:federated-user/bob"),
            Principal::Other
        );
        assert_eq!(principal("not an arn"), Principal::Other);
    }

    #[test]
    fn members_of_a_list() {
        let body = "<R><AttachedPolicies><member><PolicyName>A</PolicyName></member>\
                    <member><PolicyName>B</PolicyName></member></AttachedPolicies>\
                    <Other><member>x</member></Other></R>";
        let m = members(body, "AttachedPolicies");
        assert_eq!(m.len(), 2);
        assert_eq!(xml_text(&m[1], "PolicyName").as_deref(), Some("B"));
        assert!(members(body, "Missing").is_empty());
    }

    #[test]
    fn encoding_round_trips() {
        assert_eq!(
            encode("arn:aws:iam::1:user/a b"),
            "arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fa%20b"
        );
        assert_eq!(
            percent_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            "{\"Version\":\"2012-10-17\"}"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(unescape("a &amp;&lt;b&gt; &quot;"), "a &<b> \"");
    }

    #[test]
    fn only_read_only_actions_are_listed() {
        for action in READ_ONLY_ACTIONS {
            assert!(
                action.starts_with("List")
                    || action.starts_with("Get")
                    || *action == "SimulatePrincipalPolicy",
                "{action}"
            );
        }
    }
}
