//! Archives, compressed files and UTF-16 text, opened by `keyhound scan`:
//! real archives built with the same crates a user's tools are compatible
//! with, findings reported at `archive!/member` with the member's lines,
//! and a zip bomb skipped and counted without reading it out.

mod support;

use std::io::{Cursor, Write};
use std::path::Path;

use serde_json::Value;

const AWS_LINE: &str = "aws_access_key_id = AKIAYTAZMROB6K6IVLAU\n"; // keyhound:allow (rule examples)
const GITHUB_LINE: &str = "GITHUB_TOKEN=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\n"; // keyhound:allow (rule examples)

/// Three lines with a key id on the third, column 21.
fn config() -> Vec<u8> {
    format!("server:\n  port: 8080\n{AWS_LINE}").into_bytes()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        b.append_data(&mut header, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn scan(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let out = support::keyhound(&args, dir);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        support::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(path, line, column, rule)` of every finding.
fn places(doc: &Value) -> Vec<(String, u64, u64, String)> {
    let mut out: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn skipped(doc: &Value, reason: &str) -> Vec<String> {
    doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == reason)
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

fn key(path: &str, line: u64, column: u64) -> (String, u64, u64, String) {
    (path.into(), line, column, "aws-access-key-id".into())
}

#[test]
fn members_of_every_archive_and_compression_are_found_at_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, data: Vec<u8>| std::fs::write(dir.path().join(name), data).unwrap();
    let cfg = config();
    w(
        "app.jar",
        zip(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("config/application.yml", &cfg),
        ]),
    );
    for ext in ["war", "ear", "whl", "nupkg", "apk", "zip"] {
        w(&format!("pkg.{ext}"), zip(&[("settings.ini", &cfg)]));
    }
    let tarball = tar(&[("etc/app.env", &cfg), ("README", b"nothing here\n")]);
    w("bundle.tar", tarball.clone());
    w("bundle.tar.gz", gzip(&tarball));
    w("bundle.tgz", gzip(&tarball));
    w("bundle.tar.zst", zstd(&tarball));
    w("notes.txt.gz", gzip(&cfg));
    w("notes.txt.bz2", bzip2(&cfg));
    w("notes.txt.xz", xz(&cfg));
    w("notes.txt.zst", zstd(&cfg));
    // Nested: a jar in a tar in a gzip.
    let inner = zip(&[("a.properties", &cfg)]);
    w("outer.tgz", gzip(&tar(&[("lib/inner.jar", &inner)])));

    let doc = scan(dir.path(), &[]);
    let mut want = vec![
        key("app.jar!/config/application.yml", 3, 21),
        key("bundle.tar!/etc/app.env", 3, 21),
        key("bundle.tar.gz!/etc/app.env", 3, 21),
        key("bundle.tgz!/etc/app.env", 3, 21),
        key("bundle.tar.zst!/etc/app.env", 3, 21),
        key("notes.txt.gz!/notes.txt", 3, 21),
        key("notes.txt.bz2!/notes.txt", 3, 21),
        key("notes.txt.xz!/notes.txt", 3, 21),
        key("notes.txt.zst!/notes.txt", 3, 21),
        key("outer.tgz!/lib/inner.jar!/a.properties", 3, 21),
    ];
    for ext in ["war", "ear", "whl", "nupkg", "apk", "zip"] {
        want.push(key(&format!("pkg.{ext}!/settings.ini"), 3, 21));
    }
    want.sort();
    // One secret in many places: --all-locations lists each.
    let all = scan(dir.path(), &["--all-locations"]);
    assert_eq!(places(&all), want, "{all:#}");
    assert!(skipped(&doc, "corrupt").is_empty(), "{doc:#}");

    // --no-archives: none of it is opened (zips and compressed files are
    // binary; a bare tar's text members are not read as members).
    let off = scan(dir.path(), &["--no-archives", "--all-locations"]);
    assert!(places(&off).iter().all(|p| !p.0.contains("!/")), "{off:#}");
}

#[test]
fn sarif_points_at_the_archive_and_names_the_member() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.jar"),
        zip(&[("config/application.yml", &config())]),
    )
    .unwrap();
    let out = support::keyhound(&["scan", "--format", "sarif", "."], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", support::stderr(&out));
    let sarif = support::assert_valid_sarif(&support::stdout(&out));
    let loc = &sarif["runs"][0]["results"][0]["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"], "app.jar",
        "{loc:#}"
    );
    assert!(loc["physicalLocation"].get("region").is_none(), "{loc:#}");
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "app.jar!/config/application.yml"
    );
}

#[test]
fn utf16_files_are_decoded_with_their_lines_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("[default]\r\nregion = eu-west-1\r\n{AWS_LINE}{GITHUB_LINE}");
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    std::fs::write(dir.path().join("le-bom.ini"), le).unwrap();
    std::fs::write(dir.path().join("be-nobom.ini"), be).unwrap();
    let doc = scan(dir.path(), &[]);
    let got = places(&scan(dir.path(), &["--all-locations"]));
    let want = vec![
        key("be-nobom.ini", 3, 21),
        ("be-nobom.ini".into(), 4, 14, "github-token".into()),
        key("le-bom.ini", 3, 21),
        ("le-bom.ini".into(), 4, 14, "github-token".into()),
    ];
    assert_eq!(got, want, "{doc:#}");
}

/// Peak RSS of a finished child, from wait4 (so concurrent tests'
/// children do not mix in).
// wait4 reaps the child; clippy cannot see that.
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&str], dir: &Path) -> (Value, u64) {
    let mut cmd = std::process::Command::new(support::BIN);
    support::clean_env(&mut cmd);
    cmd.args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).unwrap();
        buf
    });
    let mut status = 0;
    // SAFETY: plain syscall on our own child with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let out = reader.join().unwrap();
    // ru_maxrss is in KiB on Linux.
    (
        serde_json::from_slice(&out).unwrap(),
        usage.ru_maxrss as u64 * 1024,
    )
}

#[test]
fn a_nested_zip_bomb_is_skipped_and_counted_without_reading_it_out() {
    let dir = tempfile::tempdir().unwrap();
    // 10 inner zips, each 10 MB of the digit zero (text, so it would be
    // scanned) and 10 MB of NUL bytes; 100+ MB in all from a few hundred
    // KiB. A key beside the bomb is still found.
    let zeros = vec![b'0'; 10_000_000];
    let nuls = vec![0u8; 10_000_000];
    let inner = zip(&[("zeros.txt", &zeros), ("nuls.bin", &nuls)]);
    let members: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("layer/{i}.zip"), inner.clone()))
        .collect();
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let bomb = zip(&refs);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    std::fs::write(dir.path().join("bomb.zip"), &bomb).unwrap();
    std::fs::write(dir.path().join("app.env"), config()).unwrap();

    let (doc, rss) = run_measured(&["scan", "--format", "json", "."], dir.path());
    assert_eq!(places(&doc), vec![key("app.env", 3, 21)], "{doc:#}");
    let limited = skipped(&doc, "expansion_limit");
    assert_eq!(limited, ["bomb.zip!/layer/0.zip!/zeros.txt"], "{doc:#}");
    assert_eq!(doc["stats"]["skipped_by_reason"]["expansion_limit"], 1);
    // It stopped early: far less than 100 MB was read out, in little memory.
    assert!(
        doc["stats"]["bytes_scanned"].as_u64().unwrap() < 4 << 20,
        "{doc:#}"
    );
    assert!(rss < 96 << 20, "peak RSS {} MiB", rss >> 20);
}

#[test]
fn nesting_deeper_than_the_limit_is_not_opened_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = config();
    let mut name = "a.env".to_string();
    for level in 0..8 {
        let member = name.clone();
        data = zip(&[(member.as_str(), &data)]);
        name = format!("l{level}.zip");
    }
    std::fs::write(dir.path().join("deep.zip"), &data).unwrap();
    let doc = scan(dir.path(), &[]);
    assert!(places(&doc).is_empty(), "{doc:#}");
    let limited = skipped(&doc, "expansion_limit");
    assert_eq!(limited.len(), 1, "{doc:#}");
    assert_eq!(limited[0].matches("!/").count(), 5, "{limited:?}");
}

#[test]
fn a_damaged_archive_is_a_skip_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut good = zip(&[("a.env", &config())]);
    // Cut off the central directory.
    good.truncate(good.len() - 30);
    std::fs::write(dir.path().join("cut.zip"), &good).unwrap();
    let gz = gzip(&config());
    std::fs::write(dir.path().join("cut.env.gz"), &gz[..gz.len() / 2]).unwrap();
    std::fs::write(dir.path().join("ok.env"), config()).unwrap();
    let doc = scan(dir.path(), &[]);
    assert_eq!(places(&doc), vec![key("ok.env", 3, 21)], "{doc:#}");
    let reasons: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{doc:#}");
}

#[test]
fn a_large_compressed_member_is_streamed_with_whole_file_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    for i in 0..60_000 {
        text.extend_from_slice(format!("line {i} of a long log, nothing here\n").as_bytes());
        if i == 29_999 {
            text.extend_from_slice(AWS_LINE.as_bytes());
        }
    }
    text.extend_from_slice(GITHUB_LINE.as_bytes());
    std::fs::write(dir.path().join("big.log.gz"), gzip(&text)).unwrap();
    std::fs::write(dir.path().join("big.log"), &text).unwrap();
    let mut cmd = std::process::Command::new(support::BIN);
    support::clean_env(&mut cmd);
    let out = cmd
        .args(["scan", "--format", "json", "--all-locations", "."])
        .env("KEYHOUND_CHUNK_SIZE", "4096")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = places(&doc);
    let want = vec![
        (
            "big.log".to_string(),
            60_002,
            14,
            "github-token".to_string(),
        ),
        key("big.log", 30_001, 21),
        (
            "big.log.gz!/big.log".to_string(),
            60_002,
            14,
            "github-token".to_string(),
        ),
        key("big.log.gz!/big.log", 30_001, 21),
    ];
    let mut want = want;
    want.sort();
    assert_eq!(got, want, "{doc:#}");
}
