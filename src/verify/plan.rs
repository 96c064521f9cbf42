//! From findings to what will be verified.
//!
//! A credential is often split across findings: an AWS key id, its secret
//! and session token are three; an Entra secret needs a tenant and client
//! id that are not secrets at all. Planning looks at the findings of one
//! blob (and at the blob itself, when there is one) and decides, for each
//! finding fingerprint, either a verdict that needs no network (canary,
//! example, no partner credential) or the [`Credential`]s to try.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use regex::bytes::Regex;

use super::{aws, Credential, Verdict};
use crate::finding::{Finding, Secret};

/// How many lines apart two halves of a credential may be.
const NEAR_LINES: usize = 10;
/// Secret candidates tried per AWS key id (nearest first).
const MAX_CANDIDATES: usize = 3;

/// Per finding fingerprint, what verification will do.
#[derive(Debug, Default)]
pub struct Plans {
    pub(crate) by_fingerprint: HashMap<String, Plan>,
}

#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// The verdict when no credential can be tried.
    pub(crate) offline: Option<Verdict>,
    pub(crate) credentials: Vec<Credential>,
}

/// A finding as planning sees it: from a scan or from a report.
#[derive(Debug, Clone)]
pub struct Item {
    pub rule_id: String,
    pub secret: Secret,
    pub facts: BTreeMap<String, String>,
    pub line: usize,
    pub fingerprint: String,
}

impl Item {
    pub fn of(f: &Finding) -> Item {
        Item {
            rule_id: f.rule_id.clone(),
            secret: f.secret.clone(),
            facts: f.facts.clone(),
            line: f.location.line,
            fingerprint: f.fingerprint.clone(),
        }
    }
}

impl Plans {
    /// Drops the plans of findings that will not be reported (suppressed
    /// by the ignore file, excluded by path): what the user declared a
    /// false positive is never sent anywhere.
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.by_fingerprint.retain(|fp, _| keep(fp));
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    /// Plans the unsuppressed findings of one blob. Suppressed findings
    /// (`keyhound:allow`) are never sent anywhere.
    pub fn add_blob(&mut self, blob: &[u8], findings: &[Finding]) {
        let items: Vec<Item> = findings
            .iter()
            .filter(|f| f.suppression.is_none())
            .map(Item::of)
            .collect();
        self.add_group(Some(blob), &items);
    }

    /// Plans findings that sat in one file; `blob` gives context (tenant
    /// ids, account names) when it is known.
    pub fn add_group(&mut self, blob: Option<&[u8]>, items: &[Item]) {
        for item in items {
            let (offline, credentials) = plan_one(item, items, blob);
            self.add(&item.fingerprint, offline, credentials);
        }
    }

    fn add(&mut self, fingerprint: &str, offline: Option<Verdict>, credentials: Vec<Credential>) {
        let plan = self
            .by_fingerprint
            .entry(fingerprint.to_string())
            .or_default();
        if plan.offline.is_none() {
            plan.offline = offline;
        }
        for c in credentials {
            if !plan.credentials.contains(&c) {
                plan.credentials.push(c);
            }
        }
    }

    /// Merges another set of plans (one per worker thread or blob).
    pub fn merge(&mut self, other: Plans) {
        for (fp, plan) in other.by_fingerprint {
            self.add(&fp, plan.offline, plan.credentials);
        }
    }
}

type PlanOne = (Option<Verdict>, Vec<Credential>);

fn plan_one(item: &Item, all: &[Item], blob: Option<&[u8]>) -> PlanOne {
    match item.rule_id.as_str() {
        "aws-access-key-id" | "aws-access-key-id-other" => aws_pairs(item, all),
        "aws-secret-access-key" => plan_aws_secret(item, all),
        "aws-session-token" => plan_aws_token(item, all),
        "gcp-service-account-key" => match item.facts.get("client_email") {
            Some(email) => (
                None,
                vec![Credential::GcpServiceAccount {
                    client_email: email.clone(),
                    private_key: item.secret.clone(),
                }],
            ),
            None => offline(Verdict::unknown("no client_email found in the key file")),
        },
        "gcp-api-key" => (
            None,
            vec![Credential::GcpApiKey {
                key: item.secret.clone(),
            }],
        ),
        "azure-storage-account-key" => {
            let account = item
                .facts
                .get("account_name")
                .cloned()
                .or_else(|| blob.and_then(|b| near_capture(b, item.line, &STORAGE_ACCOUNT)));
            match account {
                Some(account) => (
                    None,
                    vec![Credential::AzureStorage {
                        account,
                        key: item.secret.clone(),
                    }],
                ),
                None => offline(Verdict::unknown(
                    "no storage account name found near the key",
                )),
            }
        }
        "azure-entra-client-secret" => {
            let tenant = blob.and_then(|b| near_capture(b, item.line, &TENANT));
            let client = blob.and_then(|b| near_capture(b, item.line, &CLIENT_ID));
            match (tenant, client) {
                (Some(tenant), Some(client_id)) => (
                    None,
                    vec![Credential::AzureEntra {
                        tenant,
                        client_id,
                        secret: item.secret.clone(),
                    }],
                ),
                _ => offline(Verdict::unknown(
                    "no tenant/client id found near the secret",
                )),
            }
        }
        rule => offline(Verdict::skipped(format!(
            "not verifiable: keyhound has no verifier for {rule}"
        ))),
    }
}

fn offline(v: Verdict) -> PlanOne {
    (Some(v), Vec::new())
}

/// Items of `rule` within [`NEAR_LINES`] of `line`, nearest first.
fn near<'a>(all: &'a [Item], rule: &str, line: usize) -> Vec<&'a Item> {
    let mut found: Vec<&Item> = all
        .iter()
        .filter(|i| i.rule_id == rule && i.line.abs_diff(line) <= NEAR_LINES)
        .collect();
    found.sort_by_key(|i| i.line.abs_diff(line));
    found
}

fn token_for<'a>(key_id: &Item, all: &'a [Item]) -> Option<&'a Secret> {
    if !key_id.secret.expose().starts_with("ASIA") {
        return None;
    }
    near(all, "aws-session-token", key_id.line)
        .first()
        .map(|t| &t.secret)
}

/// A key id with its nearest secret candidates.
fn aws_pairs(key_id: &Item, all: &[Item]) -> PlanOne {
    let id = key_id.secret.expose();
    let token = token_for(key_id, all);
    // Canary, example and unverifiable prefixes win over everything: no
    // call is made whatever secret sits next to the id.
    if let Some(v) = aws::offline(id, None, true) {
        return offline(v);
    }
    let secrets = near(all, "aws-secret-access-key", key_id.line);
    if secrets.is_empty() {
        return offline(Verdict::unknown(
            "no secret access key found near the key id",
        ));
    }
    let mut first_offline = None;
    let mut credentials = Vec::new();
    for s in secrets.into_iter().take(MAX_CANDIDATES) {
        if let Some(v) = aws::offline(id, Some(&s.secret), token.is_some()) {
            first_offline.get_or_insert(v);
            continue;
        }
        credentials.push(Credential::Aws {
            key_id: id.to_string(),
            secret: s.secret.clone(),
            session_token: token.cloned(),
        });
    }
    (first_offline, credentials)
}

/// A secret is live if it works with any key id near it.
fn plan_aws_secret(item: &Item, all: &[Item]) -> PlanOne {
    let ids = near(all, "aws-access-key-id", item.line);
    if ids.is_empty() {
        return offline(Verdict::unknown("no access key id found near the secret"));
    }
    let mut first_offline = None;
    let mut credentials = Vec::new();
    for id in ids {
        let (off, creds) = aws_pairs(id, all);
        let mine: Vec<Credential> = creds
            .into_iter()
            .filter(|c| matches!(c, Credential::Aws { secret, .. } if *secret == item.secret))
            .collect();
        if mine.is_empty() {
            if let Some(v) = off {
                first_offline.get_or_insert(v);
            }
        }
        credentials.extend(mine);
    }
    if credentials.is_empty() && first_offline.is_none() {
        first_offline = Some(Verdict::unknown("no access key id found near the secret"));
    }
    (first_offline, credentials)
}

/// A session token is verified with the ASIA key id (and secret) near it.
fn plan_aws_token(item: &Item, all: &[Item]) -> PlanOne {
    let mut first_offline = None;
    let mut credentials = Vec::new();
    for id in near(all, "aws-access-key-id", item.line) {
        if !id.secret.expose().starts_with("ASIA") {
            continue;
        }
        let (off, creds) = aws_pairs(id, all);
        let mine: Vec<Credential> = creds
            .into_iter()
            .filter(|c| {
                matches!(c, Credential::Aws { session_token: Some(t), .. } if *t == item.secret)
            })
            .collect();
        if mine.is_empty() {
            if let Some(v) = off {
                first_offline.get_or_insert(v);
            }
        }
        credentials.extend(mine);
    }
    if credentials.is_empty() && first_offline.is_none() {
        first_offline = Some(Verdict::unknown(
            "no ASIA key id found near the session token",
        ));
    }
    (first_offline, credentials)
}

const GUID: &str = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// `AZURE_TENANT_ID=…`, `"tenantId": "…"`, `--tenant contoso.onmicrosoft.com`.
static TENANT: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!(
        r#"(?i)(?:tenant|directory)[_.-]?(?:id)?\\?["']?\s*(?::=|=>|[:=]|\s)\s*\\?["']?({GUID}|[a-z0-9-]+(?:\.[a-z0-9-]+)+)"#
    );
    Regex::new(&pattern).expect("tenant pattern is valid")
});

/// `AZURE_CLIENT_ID=…`, `"appId": "…"`, `az login -u <guid>`.
static CLIENT_ID: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!(
        r#"(?i)(?:(?:client|app|application)[_.-]?id\\?["']?\s*(?::=|=>|[:=]|\s)\s*\\?["']?|(?:^|\s)(?:-u|--username)\s+["']?)({GUID})"#
    );
    Regex::new(&pattern).expect("client id pattern is valid")
});

/// `AccountName=acct`, `https://acct.blob.core.windows.net`,
/// `--account-name acct`, `AZURE_STORAGE_ACCOUNT=acct`.
static STORAGE_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i:AccountName=|account[_-]name["']?\s*(?:[:=]|\s)\s*["']?|storage_account["']?\s*[:=]\s*["']?|https?://)([a-z0-9]{3,24})(?:\.blob\.core\.windows\.net|[;"'\s]|$)"#,
    )
    .expect("storage account pattern is valid")
});

/// The first capture of `re` within [`NEAR_LINES`] of `line` (1-based),
/// nearest line first.
fn near_capture(blob: &[u8], line: usize, re: &Regex) -> Option<String> {
    let lines: Vec<&[u8]> = blob.split(|&b| b == b'\n').collect();
    let at = line.saturating_sub(1);
    let mut order: Vec<usize> =
        (at.saturating_sub(NEAR_LINES)..(at + NEAR_LINES + 1).min(lines.len())).collect();
    order.sort_by_key(|i| i.abs_diff(at));
    order.into_iter().find_map(|i| {
        let caps = re.captures(lines[i])?;
        Some(String::from_utf8_lossy(caps.get(1)?.as_bytes()).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Status;

    fn item(rule: &str, secret: &str, line: usize) -> Item {
        Item {
            rule_id: rule.into(),
            secret: Secret::new(secret.as_bytes()),
            facts: BTreeMap::new(),
            line,
            fingerprint: format!("{rule}:{line}"),
        }
    }

    const ID: &str = "AKIARZPUZDIKK2J7GGFG"; // keyhound:allow
    const S1: &str = "k3Tk+yBj+t9URpKkim2U4VL7JrMxZQNl73wFBZsS"; // keyhound:allow
    const S2: &str = "V2/uiH18gIqHjDQILW+nYk/Hpa6fxbEiwg8xl2bS"; // keyhound:allow

    #[test]
    fn key_ids_pair_with_nearby_secrets_nearest_first() {
        let items = [
            item("aws-access-key-id", ID, 10),
            item("aws-secret-access-key", S2, 13),
            item("aws-secret-access-key", S1, 11),
            item("aws-secret-access-key", S1, 40),
        ];
        let mut plans = Plans::default();
        plans.add_group(None, &items);
        let plan = &plans.by_fingerprint["aws-access-key-id:10"];
        let secrets: Vec<&str> = plan
            .credentials
            .iter()
            .map(|c| match c {
                Credential::Aws { secret, .. } => secret.expose(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(secrets, [S1, S2]);
        let far = &plans.by_fingerprint["aws-secret-access-key:40"];
        assert!(far.credentials.is_empty());
        assert_eq!(far.offline.as_ref().unwrap().status, Status::Unknown);
    }

    #[test]
    fn canary_ids_plan_no_credential() {
        let items = [
            item("aws-access-key-id", "AKIAXYZDQCEN4B6JSJQI", 1), // keyhound:allow
            item("aws-secret-access-key", S1, 2),
        ];
        let mut plans = Plans::default();
        plans.add_group(None, &items);
        for plan in plans.by_fingerprint.values() {
            assert!(plan.credentials.is_empty());
            assert_eq!(plan.offline.as_ref().unwrap().status, Status::Skipped);
        }
    }

    #[test]
    fn asia_ids_take_the_nearby_session_token() {
        let items = [
            item("aws-access-key-id", "ASIARZPUZDIKK2J7GGFG", 1), // keyhound:allow
            item("aws-secret-access-key", S1, 2),
            item("aws-session-token", "FQoGZXIvYXdzEXAMPLETOKEN", 3),
        ];
        let mut plans = Plans::default();
        plans.add_group(None, &items);
        let token_plan = &plans.by_fingerprint["aws-session-token:3"];
        assert_eq!(token_plan.credentials.len(), 1);
        assert!(matches!(
            &token_plan.credentials[0],
            Credential::Aws {
                session_token: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn entra_context_is_read_from_the_blob() {
        let blob = b"AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47\n\
                     AZURE_CLIENT_ID=4b7f0d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f\n\
                     AZURE_CLIENT_SECRET=secret\n";
        let items = [item("azure-entra-client-secret", "secret", 3)];
        let mut plans = Plans::default();
        plans.add_group(Some(blob), &items);
        let plan = &plans.by_fingerprint["azure-entra-client-secret:3"];
        assert_eq!(
            plan.credentials,
            [Credential::AzureEntra {
                tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
                client_id: "4b7f0d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f".into(),
                secret: Secret::new(b"secret"),
            }]
        );
        let mut none = Plans::default();
        none.add_group(
            Some(b"AZURE_CLIENT_SECRET=secret"),
            &[item("azure-entra-client-secret", "secret", 1)],
        );
        let reason = none.by_fingerprint["azure-entra-client-secret:1"]
            .offline
            .clone()
            .unwrap();
        assert_eq!(
            reason.reason.unwrap(),
            "no tenant/client id found near the secret"
        );
    }

    #[test]
    fn storage_account_from_context() {
        let blob = b"svc = BlobServiceClient(account_url=\"https://stinvoices.blob.core.windows.net\", credential=\"K\")";
        assert_eq!(
            near_capture(blob, 1, &STORAGE_ACCOUNT).as_deref(),
            Some("stinvoices")
        );
    }
}
