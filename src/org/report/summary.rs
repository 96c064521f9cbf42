//! The human summary's content, shared by Markdown and HTML: the same
//! sections in the same order, so the two never disagree.
//!
//! Live credentials (verified, `--verify`); new since the last run; fixed
//! since the last run; repositories that failed and why; totals per
//! repository, per provider and per rule; every finding, live first.

use std::collections::BTreeMap;

use super::{Brief, OrgReport};

/// One finding row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub repo: String,
    pub rule: String,
    pub provider: String,
    pub severity: String,
    pub place: String,
    pub commit: String,
    pub secret: String,
    pub status: String,
    pub new: bool,
    pub first_seen: String,
}

impl Row {
    fn of(f: &Brief) -> Row {
        let commit = f
            .git
            .as_ref()
            .and_then(|g| g.commit.clone())
            .unwrap_or_default();
        Row {
            repo: f.repo.clone(),
            rule: f.rule_id.clone(),
            provider: f.provider.clone(),
            severity: f.severity.clone(),
            place: format!("{}:{}", f.path, f.line),
            commit: commit.chars().take(12).collect(),
            secret: f.secret.clone(),
            status: f
                .verification
                .as_ref()
                .map_or("unverified", |v| v.status.as_str())
                .to_string(),
            new: f.new,
            first_seen: f.first_seen.clone(),
        }
    }
}

/// Counts under one name (a repository, provider or rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Count {
    pub name: String,
    pub findings: usize,
    pub live: usize,
    pub new: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub title: String,
    pub totals: String,
    pub live: Vec<Row>,
    pub new: Vec<Row>,
    pub fixed: Vec<Vec<String>>,
    pub failed: Vec<Vec<String>>,
    pub per_repo: Vec<Vec<String>>,
    pub per_provider: Vec<Count>,
    pub per_rule: Vec<Count>,
    /// Every listed finding, live first.
    pub all: Vec<Row>,
}

impl Summary {
    pub fn of(r: &OrgReport) -> Summary {
        let briefs: Vec<Brief> = r.findings.iter().map(|f| Brief::of(f)).collect();
        let rows: Vec<Row> = briefs.iter().map(Row::of).collect();
        let live: Vec<Row> = briefs.iter().filter(|f| f.is_live()).map(Row::of).collect();
        let new: Vec<Row> = rows.iter().filter(|r| r.new).cloned().collect();
        let t = &r.stats;
        let totals = format!(
            "{} repositories ({} complete, {} failed); {} blobs scanned, {} already known; \
             {} findings: {} live, {} new, {} fixed since the last run",
            t.repos_total,
            t.repos_complete,
            t.repos_failed,
            t.blobs_scanned,
            t.blobs_known,
            t.findings,
            t.live,
            t.new,
            t.fixed
        );
        let fixed = r
            .fixed
            .iter()
            .map(|f| {
                vec![
                    f.repo.clone(),
                    f.rule_id.clone(),
                    f.secret.clone(),
                    f.first_seen.clone(),
                    f.fixed_at.clone(),
                ]
            })
            .collect();
        let failed = r
            .failures
            .iter()
            .map(|f| vec![f.repo.clone(), f.url.clone(), f.error.clone()])
            .collect();
        let per_repo = t
            .repos
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.status.clone(),
                    p.blobs_scanned.to_string(),
                    p.findings.to_string(),
                    p.new.to_string(),
                    p.fixed.to_string(),
                ]
            })
            .collect();
        let count = |key: &dyn Fn(&Row) -> String| {
            let mut by: BTreeMap<String, Count> = BTreeMap::new();
            for (row, f) in rows.iter().zip(&briefs) {
                let c = by.entry(key(row)).or_default();
                c.name = key(row);
                c.findings += 1;
                c.live += usize::from(f.is_live());
                c.new += usize::from(row.new);
            }
            let mut v: Vec<Count> = by.into_values().collect();
            v.sort_by_key(|c| std::cmp::Reverse((c.live, c.findings)));
            v
        };
        Summary {
            title: format!("keyhound org report ({})", r.shard),
            totals,
            per_provider: count(&|r: &Row| r.provider.clone()),
            per_rule: count(&|r: &Row| r.rule.clone()),
            live,
            new,
            fixed,
            failed,
            per_repo,
            all: rows,
        }
    }
}

pub const ROW_HEADERS: [&str; 8] = [
    "status",
    "repository",
    "rule",
    "where",
    "commit",
    "secret (redacted)",
    "new",
    "first seen",
];

impl Row {
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.status.clone(),
            self.repo.clone(),
            self.rule.clone(),
            self.place.clone(),
            self.commit.clone(),
            self.secret.clone(),
            if self.new {
                "new".into()
            } else {
                String::new()
            },
            self.first_seen.clone(),
        ]
    }
}

pub const FIXED_HEADERS: [&str; 5] = [
    "repository",
    "rule",
    "secret (redacted)",
    "first seen",
    "fixed",
];
pub const FAILED_HEADERS: [&str; 3] = ["repository", "url", "why"];
pub const REPO_HEADERS: [&str; 6] = [
    "repository",
    "status",
    "blobs scanned",
    "findings",
    "new",
    "fixed",
];
pub const COUNT_HEADERS: [&str; 4] = ["name", "findings", "live", "new"];

impl Count {
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.findings.to_string(),
            self.live.to_string(),
            self.new.to_string(),
        ]
    }
}

/// One section of the summary: a table, or a sentence when it is empty.
pub struct Section {
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub empty: &'static str,
}

/// The sections in order.
pub fn sections(s: &Summary) -> Vec<Section> {
    let rows = |v: &[Row]| v.iter().map(Row::cells).collect::<Vec<_>>();
    let counts = |v: &[Count]| v.iter().map(Count::cells).collect::<Vec<_>>();
    vec![
        Section {
            title: "Live credentials",
            headers: ROW_HEADERS.to_vec(),
            rows: rows(&s.live),
            empty: "None verified live (run with --verify to check).",
        },
        Section {
            title: "New since the last run",
            headers: ROW_HEADERS.to_vec(),
            rows: rows(&s.new),
            empty: "Nothing new.",
        },
        Section {
            title: "Fixed since the last run",
            headers: FIXED_HEADERS.to_vec(),
            rows: s.fixed.clone(),
            empty: "Nothing fixed.",
        },
        Section {
            title: "Repositories that failed",
            headers: FAILED_HEADERS.to_vec(),
            rows: s.failed.clone(),
            empty: "None: every repository was scanned completely.",
        },
        Section {
            title: "Per repository",
            headers: REPO_HEADERS.to_vec(),
            rows: s.per_repo.clone(),
            empty: "No repositories.",
        },
        Section {
            title: "Per provider",
            headers: COUNT_HEADERS.to_vec(),
            rows: counts(&s.per_provider),
            empty: "No findings.",
        },
        Section {
            title: "Per rule",
            headers: COUNT_HEADERS.to_vec(),
            rows: counts(&s.per_rule),
            empty: "No findings.",
        },
        Section {
            title: "All findings (live first)",
            headers: ROW_HEADERS.to_vec(),
            rows: rows(&s.all),
            empty: "No findings.",
        },
    ]
}
