//! Helpers shared by the integration tests: running the binary, git
//! repositories built with a fixed identity and dates, a recording
//! loopback HTTP server, SARIF schema validation.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyhound");

/// Array-job index variables `keyhound org --shard-count` reads; tests
/// that run org clear them so the machine's own do not leak in.
pub const INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

/// Runs keyhound with every `KEYHOUND_*` override cleared, so the tests
/// are not steered by the environment they run in.
pub fn keyhound(args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(cwd);
    clean_env(&mut cmd);
    cmd.output().expect("keyhound runs")
}

/// Clears `KEYHOUND_*` overrides and proxy settings: loopback test
/// servers must be reached directly.
pub fn clean_env(cmd: &mut Command) {
    for (k, _) in std::env::vars() {
        let lower = k.to_ascii_lowercase();
        if k.starts_with("KEYHOUND_") || lower.ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn jsonl(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// One request a [`Server`] received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Received) -> (u16, String) + Send + Sync;

/// A loopback HTTP/1.1 server on its own thread that records every
/// request and answers with `handler`.
pub struct Server {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Connections accepted, including ones that sent nothing parseable.
    pub connections: Arc<Mutex<usize>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Received) -> (u16, String) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (r, c) = (received.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                *c.lock().unwrap() += 1;
                let (r, handler) = (r.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, &r, &*handler));
            }
        });
        Server {
            port,
            received,
            connections,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn connection_count(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

fn serve(stream: TcpStream, received: &Mutex<Vec<Received>>, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let request = Received {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (status, body) = handler(&request);
    received.lock().unwrap().push(request);
    let mut stream = stream;
    // A 3xx answer's body is its Location.
    let location = if (300..400).contains(&status) {
        format!("Location: {body}\r\n")
    } else {
        String::new()
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A loopback port with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Form fields of a urlencoded body (percent-decoding included).
pub fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

pub fn form_value(body: &str, key: &str) -> Option<String> {
    form(body)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The official SARIF 2.1.0 schema, carried in `tests/fixtures/` (see
/// `tests/fixtures/README.md` for its origin and license).
pub fn sarif_schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sarif-schema-2.1.0.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("the SARIF schema is JSON")
}

/// Validates SARIF against the official 2.1.0 schema.
pub fn assert_valid_sarif(text: &str) -> Value {
    let instance: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&sarif_schema())
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
    instance
}

/// Runs git in `dir` with a fixed identity, branch name and dates, so
/// repositories the tests build are the same everywhere; panics with
/// git's stderr when it fails. Returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Dev One",
            "-c",
            "user.email=dev@example.org",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00+00:00")
        .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00+00:00")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes `text` to `path` under `dir`, creating directories.
pub fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// Writes a file and commits everything; returns the new commit's id.
pub fn commit_file(dir: &Path, path: &str, text: &str, msg: &str) -> String {
    write(dir, path, text);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A running `moto_server` (AWS emulator). It runs under a shell that kills
/// it when its stdin closes, i.e. when the test process exits: statics are
/// never dropped, so a `Drop` guard would not do.
pub struct MotoGuard(#[allow(dead_code)] std::process::Child);

/// Starts `moto_server` on a free loopback port and waits until it listens.
/// Needs `pip install 'moto[server]'` (done by `.ci/run`); without it the
/// calling tests fail: they must not pass by skipping.
pub fn moto_server() -> (u16, MotoGuard) {
    moto_server_with(&[])
}

/// [`moto_server`] with environment settings (e.g.
/// `MOTO_IAM_LOAD_MANAGED_POLICIES=true`).
pub fn moto_server_with(env: &[(&str, &str)]) -> (u16, MotoGuard) {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let port = closed_port();
    let probe = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "moto_server is not installed: these tests need it; run `pip install 'moto[server]'`"
    );
    let script =
        format!("moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid");
    let child = Command::new("sh")
        .args(["-c", &script])
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh runs");
    let guard = MotoGuard(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on port {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (port, guard)
}

/// Overwrites the middle of blob `id`'s compressed data in the one pack of
/// the repository at `git_dir` (a bare mirror): any read of it fails.
pub fn damage_pack_entry(git_dir: &Path, id: &str) {
    let pack_dir = git_dir.join("objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let listing = git(git_dir, &["verify-pack", "-v", idx.to_str().unwrap()]);
    let fields: Vec<u64> = listing
        .lines()
        .find(|l| l.starts_with(id))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let (in_pack, offset) = (fields[0], fields[1]);
    assert!(in_pack > 20, "entry too small to damage");
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[(offset + 6) as usize..(offset + in_pack - 6) as usize] {
        *b = 0x55;
    }
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();
}

/// The `aws` CLI against a moto_server on `port`, with throwaway
/// credentials; its JSON answer (`Null` for none). Needs `pip install awscli`.
pub fn aws_cli(port: u16, args: &[&str], cwd: &Path) -> Value {
    let out = Command::new("aws")
        .args(args)
        .args(["--output", "json"])
        .current_dir(cwd)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("aws runs (pip install awscli)");
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}
