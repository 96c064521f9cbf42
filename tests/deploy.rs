//! The org-scan deployments in `deploy/`, checked by the tools of the
//! engines they are for: the Kubernetes manifests by `kubernetes-validate`
//! (the API server's OpenAPI schemas, strict: unknown fields fail), the
//! GitHub Actions workflow by `check-jsonschema`'s vendored workflow
//! schema, and the AWS Batch job definitions and `submit.sh` by the real
//! `aws` CLI (which validates every request against the service model)
//! against `moto_server`'s Batch on loopback.
//!
//! Needs `pip install kubernetes-validate check-jsonschema awscli
//! 'moto[server]'` (done by `.ci/run`); without them these tests fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod support;

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not run ({e}); `pip install kubernetes-validate check-jsonschema awscli` installs the deployment validators")
        })
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of `file` with `from` replaced by `to`, to show the validator
/// rejects what it should (a check that passes everything proves nothing).
fn broken_copy(file: &Path, from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
    let original = std::fs::read_to_string(file).unwrap();
    assert!(
        original.contains(from),
        "{from:?} not in {}",
        file.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(file.file_name().unwrap());
    std::fs::write(&copy, original.replacen(from, to, 1)).unwrap();
    (dir, copy)
}

// ---------------------------------------------------------------------------
// Kubernetes

/// The oldest Kubernetes the manifests are for: Indexed Jobs with
/// `backoffLimitPerIndex` and CronJob `timeZone` are GA from 1.33.
const KUBERNETES: &str = "1.33";

fn kubernetes_validate(file: &Path) -> Output {
    run(
        "kubernetes-validate",
        &["--strict", "-k", KUBERNETES, file.to_str().unwrap()],
    )
}

#[test]
fn kubernetes_manifests_are_valid_objects() {
    let mut kinds = Vec::new();
    for name in ["storage.yaml", "scan-cronjob.yaml", "merge-cronjob.yaml"] {
        let file = deploy(&format!("kubernetes/{name}"));
        let out = kubernetes_validate(&file);
        assert!(out.status.success(), "{name}: {}", text(&out));
        for line in text(&out).lines().filter(|l| l.contains("passed")) {
            kinds.push(line.split("resource ").nth(1).unwrap_or(line).to_string());
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "configmap/keyhound-org-repos against version 1.33",
            "cronjob/keyhound-org-merge against version 1.33",
            "cronjob/keyhound-org-scan against version 1.33",
            "persistentvolumeclaim/keyhound-org-data against version 1.33",
            "secret/keyhound-org-token against version 1.33",
        ]
    );
}

#[test]
fn kubernetes_validation_rejects_a_misspelt_field() {
    let (_dir, bad) = broken_copy(
        &deploy("kubernetes/scan-cronjob.yaml"),
        "completionMode: Indexed",
        "completionMod: Indexed",
    );
    let out = kubernetes_validate(&bad);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("completionMod"), "{}", text(&out));
}

/// The scan is an Indexed Job whose completions, parallelism and shard
/// count agree, retried per index on exit 3 and failed at once on exit 2.
#[test]
fn kubernetes_scan_is_an_indexed_job_with_one_shard_per_index() {
    let yaml = std::fs::read_to_string(deploy("kubernetes/scan-cronjob.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&yaml).unwrap();
    let job = &doc["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["completionMode"], "Indexed");
    let completions = job["completions"].as_u64().unwrap();
    assert_eq!(job["parallelism"].as_u64(), Some(completions));
    let container = &job["template"]["spec"]["containers"][0];
    let shards = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "SHARDS")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert_eq!(shards, completions, "SHARDS must equal completions");
    let rule = &job["podFailurePolicy"]["rules"][0];
    assert_eq!(rule["action"], "FailJob");
    assert_eq!(rule["onExitCodes"]["values"][0], 2);
    let script = container["args"][0].as_str().unwrap();
    assert!(script.contains("--shard \"$i/$SHARDS\""), "{script}");
    assert!(script.contains("\"$JOB_COMPLETION_INDEX\""), "{script}");
}

// ---------------------------------------------------------------------------
// GitHub Actions

fn check_workflow(file: &Path) -> Output {
    run(
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.github-workflows",
            file.to_str().unwrap(),
        ],
    )
}

#[test]
fn github_workflow_matches_the_workflow_schema() {
    let out = check_workflow(&deploy("github-actions/keyhound-org.yml"));
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn github_workflow_schema_check_rejects_a_bad_key() {
    let (_dir, bad) = broken_copy(
        &deploy("github-actions/keyhound-org.yml"),
        "    runs-on: ubuntu-latest\n    timeout-minutes",
        "    run-on: ubuntu-latest\n    timeout-minutes",
    );
    let out = check_workflow(&bad);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("run-on"), "{}", text(&out));
}

/// Each matrix job takes its shard from the matrix itself, restores the
/// cache of that shard, and the merge runs even when a shard failed.
#[test]
fn github_workflow_shards_from_the_matrix_and_always_merges() {
    let yaml = std::fs::read_to_string(deploy("github-actions/keyhound-org.yml")).unwrap();
    let doc: Value = serde_norway::from_str(&yaml).unwrap();
    let scan = &doc["jobs"]["scan"];
    assert_eq!(scan["strategy"]["fail-fast"], false);
    let steps = scan["steps"].as_array().unwrap();
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache"))
        })
        .unwrap();
    assert!(cache["with"]["key"]
        .as_str()
        .unwrap()
        .contains("${{ strategy.job-index }}-of-${{ strategy.job-total }}"));
    let run = steps
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("keyhound\" org")))
        .unwrap();
    assert!(run.contains("--shard \"$SHARD\""), "{run}");
    let merge = &doc["jobs"]["merge"];
    assert!(merge["if"].as_str().unwrap().contains("always()"));
}

// ---------------------------------------------------------------------------
// AWS Batch

/// Registers both job definitions and runs `submit.sh` against moto's
/// Batch: an array job of the asked size, and a merge job that depends on
/// it and is told its id and the shard count.
#[test]
fn aws_batch_definitions_register_and_submit_sh_chains_scan_and_merge() {
    let (port, _moto) = support::moto_server();
    // moto marks jobs done without running containers.
    let config = ureq::post(&format!("http://127.0.0.1:{port}/moto-api/config"))
        .send(r#"{"batch": {"use_docker": false}}"#)
        .expect("moto config");
    assert!(config.status().is_success(), "{}", config.status());
    let here = deploy("aws-batch");
    let role = support::aws_cli(
        port,
        &[
            "iam",
            "create-role",
            "--role-name",
            "batch-service",
            "--assume-role-policy-document",
            "{}",
        ],
        &here,
    )["Role"]["Arn"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = support::aws_cli(port, &["ec2", "describe-subnets"], &here)["Subnets"][0]
        ["SubnetId"]
        .as_str()
        .unwrap()
        .to_string();
    let group = support::aws_cli(port, &["ec2", "describe-security-groups"], &here)
        ["SecurityGroups"][0]["GroupId"]
        .as_str()
        .unwrap()
        .to_string();
    support::aws_cli(
        port,
        &[
            "batch",
            "create-compute-environment",
            "--compute-environment-name",
            "keyhound-ce",
            "--type",
            "MANAGED",
            "--state",
            "ENABLED",
            "--service-role",
            &role,
            "--compute-resources",
            &format!("type=FARGATE,maxvCpus=8,subnets={subnet},securityGroupIds={group}"),
        ],
        &here,
    );
    support::aws_cli(
        port,
        &[
            "batch",
            "create-job-queue",
            "--job-queue-name",
            "keyhound-queue",
            "--state",
            "ENABLED",
            "--priority",
            "1",
            "--compute-environment-order",
            "order=1,computeEnvironment=keyhound-ce",
        ],
        &here,
    );
    for file in ["scan-job-definition.json", "merge-job-definition.json"] {
        let registered = support::aws_cli(
            port,
            &[
                "batch",
                "register-job-definition",
                "--cli-input-json",
                &format!("file://{file}"),
            ],
            &here,
        );
        assert_eq!(registered["revision"], 1, "{file}: {registered}");
    }
    let out = Command::new("bash")
        .args(["submit.sh", "keyhound-queue", "3"])
        .current_dir(&here)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "submit.sh: {}", text(&out));
    let printed = text(&out);
    let id_after = |label: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {label:?} in {printed}"))
            .to_string()
    };
    let scan_id = id_after("scan job: ");
    let merge_id = id_after("merge job: ");
    let jobs = support::aws_cli(
        port,
        &["batch", "describe-jobs", "--jobs", &scan_id, &merge_id],
        &here,
    );
    let job = |id: &str| {
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["jobId"] == id)
            .unwrap_or_else(|| panic!("job {id} not described: {jobs}"))
            .clone()
    };
    let scan = job(&scan_id);
    assert_eq!(scan["arrayProperties"]["size"], 3, "{scan}");
    let merge = job(&merge_id);
    assert_eq!(merge["dependsOn"][0]["jobId"], scan_id.as_str(), "{merge}");
    let env: Vec<(String, String)> = merge["container"]["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        env.contains(&("SCAN_JOB_ID".into(), scan_id.clone())),
        "{env:?}"
    );
    assert!(env.contains(&("SHARDS".into(), "3".into())), "{env:?}");
}

#[test]
fn aws_batch_submit_refuses_a_bad_shard_count() {
    let out = Command::new("bash")
        .args(["submit.sh", "keyhound-queue", "1"])
        .current_dir(deploy("aws-batch"))
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("SHARDS must be 2..10000"));
}

/// The job definitions' wrappers read the array index and size Batch sets
/// and hand them to `--shard`; the retry strategy retries exit 3 only.
#[test]
fn aws_batch_scan_shards_from_the_array_and_retries_only_failed_repositories() {
    let def: Value = serde_json::from_str(
        &std::fs::read_to_string(deploy("aws-batch/scan-job-definition.json")).unwrap(),
    )
    .unwrap();
    let script = def["containerProperties"]["command"][2].as_str().unwrap();
    assert!(
        script.contains("--shard \"$i/$AWS_BATCH_JOB_ARRAY_SIZE\""),
        "{script}"
    );
    assert!(
        script.contains("i=\"$AWS_BATCH_JOB_ARRAY_INDEX\""),
        "{script}"
    );
    let retry = &def["retryStrategy"]["evaluateOnExit"];
    assert_eq!(retry[0]["onExitCode"], "3");
    assert_eq!(retry[0]["action"], "RETRY");
    assert_eq!(retry[1]["action"], "EXIT");
}

// ---------------------------------------------------------------------------
// The wrappers run for real
//
// The shell in each manifest is taken out of it and run with the real
// keyhound on PATH, the engine's environment variables set as the engine
// would, and the paths it mounts (/data, /config) moved into a temporary
// directory: the flags must be ones `keyhound org` accepts, the exit-code
// mapping must hold, and the shard reports must merge.

const TOKEN: &str = "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"; // keyhound:allow

/// Repositories `a`, `b`, `c` (the first with a leaked token), and a
/// repos.txt of their file:// URLs plus, if asked, one that cannot be cloned.
fn repositories(root: &Path, broken: bool) -> String {
    let mut list = String::new();
    for name in ["a", "b", "c"] {
        let dir = root.join("src").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        support::git(&dir, &["init", "-q"]);
        support::commit_file(&dir, "README.md", &format!("# {name}\n"), "readme");
        if name == "a" {
            support::commit_file(
                &dir,
                "app.env",
                &format!("GITHUB_TOKEN={TOKEN}\n"),
                "config",
            );
        }
        list.push_str(&format!("file://{} name={name}\n", dir.display()));
    }
    if broken {
        list.push_str(&format!("file://{}/missing name=missing\n", root.display()));
    }
    list
}

/// Runs `script` under `sh` with `/data` and `/config` moved under `root`.
fn run_wrapper(script: &str, root: &Path, env: &[(&str, &str)]) -> Output {
    let script = script
        .replace("/data", &root.join("data").display().to_string())
        .replace("/config", &root.join("config").display().to_string());
    let bin_dir = Path::new(support::BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script])
        .current_dir(root)
        .env("PATH", path);
    support::clean_env(&mut cmd);
    cmd.envs(env.iter().copied()).output().expect("sh runs")
}

fn kubernetes_script(file: &str) -> String {
    let yaml = std::fs::read_to_string(deploy(&format!("kubernetes/{file}"))).unwrap();
    let doc: Value = serde_norway::from_str(&yaml).unwrap();
    doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap()
        .to_string()
}

/// Two Indexed Job pods and the merge job, as Kubernetes would run them:
/// a night with a finding exits 0 in every pod (1 is a result, not a
/// failure), the merge writes all four reports with the finding in them.
/// A night with a repository that cannot be cloned fails its pod (3) and
/// the merge (3) while still writing the reports.
#[test]
fn kubernetes_wrappers_scan_shards_and_merge_with_the_real_binary() {
    for broken in [false, true] {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("config")).unwrap();
        std::fs::write(
            root.path().join("config/repos.txt"),
            repositories(root.path(), broken),
        )
        .unwrap();
        let scan = kubernetes_script("scan-cronjob.yaml");
        let mut codes = Vec::new();
        for index in ["0", "1"] {
            let out = run_wrapper(
                &scan,
                root.path(),
                &[
                    ("JOB_COMPLETION_INDEX", index),
                    ("SHARDS", "2"),
                    ("RUN", "keyhound-org-scan-1"),
                    ("GITHUB_TOKEN", ""),
                ],
            );
            codes.push(out.status.code());
            if !broken {
                assert_eq!(out.status.code(), Some(0), "shard {index}: {}", text(&out));
            }
        }
        let reports = root.path().join("data/reports/keyhound-org-scan-1");
        for index in ["0", "1"] {
            assert!(reports.join(format!("shard-{index}.json")).is_file());
        }
        if broken {
            assert!(codes.contains(&Some(3)), "{codes:?}");
        }
        let merge = kubernetes_script("merge-cronjob.yaml");
        let out = run_wrapper(&merge, root.path(), &[("SHARDS", "2")]);
        let expected = if broken { 3 } else { 0 };
        assert_eq!(out.status.code(), Some(expected), "merge: {}", text(&out));
        for name in ["org.html", "org.md", "org.json"] {
            assert!(reports.join(name).is_file(), "{name} missing");
        }
        let merged: Value =
            serde_json::from_str(&std::fs::read_to_string(reports.join("org.json")).unwrap())
                .unwrap();
        let text = merged.to_string();
        assert!(text.contains("github-token"), "{text}");
        assert!(!text.contains(TOKEN), "a clear secret in the merged report");
        // Per-repository SARIF from the shards' --out-dir.
        let sarif: Vec<PathBuf> = std::fs::read_dir(reports.join("sarif"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sarif"))
            .collect();
        assert!(sarif.len() >= 3, "{sarif:?}");
        for file in sarif {
            support::assert_valid_sarif(&std::fs::read_to_string(file).unwrap());
        }
    }
}

/// Fewer shard reports than shards: the merge reports what it has and fails.
#[test]
fn kubernetes_merge_fails_when_a_shard_report_is_missing() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("config")).unwrap();
    std::fs::write(
        root.path().join("config/repos.txt"),
        repositories(root.path(), false),
    )
    .unwrap();
    let out = run_wrapper(
        &kubernetes_script("scan-cronjob.yaml"),
        root.path(),
        &[
            ("JOB_COMPLETION_INDEX", "0"),
            ("SHARDS", "2"),
            ("RUN", "night"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run_wrapper(
        &kubernetes_script("merge-cronjob.yaml"),
        root.path(),
        &[("SHARDS", "2")],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("only 1 of 2 shard reports"),
        "{}",
        text(&out)
    );
    assert!(root.path().join("data/reports/night/org.html").is_file());
}

/// The Batch job definitions' commands, with Batch's variables: child jobs
/// `ID:0`, `ID:1` of an array of 2 write to the parent's directory, and
/// the merge job, told the parent's id, joins them.
#[test]
fn aws_batch_commands_scan_shards_and_merge_with_the_real_binary() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("data")).unwrap();
    std::fs::write(
        root.path().join("data/repos.txt"),
        repositories(root.path(), false),
    )
    .unwrap();
    let command = |file: &str| -> String {
        let def: Value = serde_json::from_str(
            &std::fs::read_to_string(deploy(&format!("aws-batch/{file}"))).unwrap(),
        )
        .unwrap();
        def["containerProperties"]["command"][2]
            .as_str()
            .unwrap()
            .to_string()
    };
    let parent = "7f0c6d2e-5b1a-4c3d-9e8f-0a1b2c3d4e5f";
    for index in ["0", "1"] {
        let id = format!("{parent}:{index}");
        let out = run_wrapper(
            &command("scan-job-definition.json"),
            root.path(),
            &[
                ("AWS_BATCH_JOB_ARRAY_INDEX", index),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
                ("AWS_BATCH_JOB_ID", &id),
                ("GITHUB_TOKEN", ""),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "child {index}: {}", text(&out));
    }
    let out = run_wrapper(
        &command("merge-job-definition.json"),
        root.path(),
        &[("SCAN_JOB_ID", parent), ("SHARDS", "2")],
    );
    assert_eq!(out.status.code(), Some(0), "merge: {}", text(&out));
    let merged =
        std::fs::read_to_string(root.path().join(format!("data/reports/{parent}/org.md"))).unwrap();
    assert!(merged.contains("github-token"), "{merged}");
}

/// The workflow's scan step, run as a runner would (RUNNER_TEMP holding
/// the binary, the checkout as working directory): exit 0 with a finding,
/// the exit file says 1, and the merge step's loop writes the summary.
#[test]
fn github_workflow_steps_scan_and_merge_with_the_real_binary() {
    let yaml = std::fs::read_to_string(deploy("github-actions/keyhound-org.yml")).unwrap();
    let doc: Value = serde_norway::from_str(&yaml).unwrap();
    let step = |job: &str, needle: &str| -> String {
        doc["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|s| s["run"].as_str().filter(|r| r.contains(needle)))
            .unwrap()
            .to_string()
    };
    let root = tempfile::tempdir().unwrap();
    let runner_temp = root.path().join("runner-temp");
    std::fs::create_dir_all(runner_temp.join("bin")).unwrap();
    std::fs::copy(support::BIN, runner_temp.join("bin/keyhound")).unwrap();
    std::fs::write(
        root.path().join("repos.txt"),
        repositories(root.path(), false),
    )
    .unwrap();
    let temp = runner_temp.display().to_string();
    let summary = root.path().join("summary.md");
    let env_file = root.path().join("github.env");
    let common = [
        ("RUNNER_TEMP", temp.as_str()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_ENV", env_file.to_str().unwrap()),
    ];
    for index in ["0", "1"] {
        let shard = format!("{index}/2");
        let mut env = common.to_vec();
        env.extend([
            ("SHARD", shard.as_str()),
            ("INDEX", index),
            ("GITHUB_TOKEN", ""),
        ]);
        let script = format!("set -e\n{}", step("scan", "org --repos"));
        let out = run_wrapper(&script, root.path(), &env);
        assert_eq!(out.status.code(), Some(0), "shard {index}: {}", text(&out));
    }
    // download-artifact with merge-multiple puts every shard's files in shards/.
    std::fs::rename(root.path().join("reports"), root.path().join("shards")).unwrap();
    let exits: Vec<String> = ["0", "1"]
        .iter()
        .map(|i| {
            std::fs::read_to_string(root.path().join(format!("shards/shard-{i}.exit"))).unwrap()
        })
        .collect();
    assert!(exits.iter().any(|e| e.trim() == "1"), "{exits:?}");
    let script = format!("set -e\n{}", step("merge", "org merge"));
    let out = run_wrapper(&script, root.path(), &common);
    assert_eq!(out.status.code(), Some(0), "merge: {}", text(&out));
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .contains("github-token"));
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap().trim(),
        "status=1"
    );
}
