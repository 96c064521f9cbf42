//! The org summary page in a real browser: `keyhound org --format html`
//! opened by headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) with every host name unresolvable, so the page must render
//! from itself alone. The test fails on any console message, keeps a
//! screenshot in the test's output directory, and first shows that its
//! console check does catch a broken page.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{commit_file, git, keyhound, stderr};

const TOKEN: &str = "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"; // keyhound:allow

/// What Chromium printed to its console for `page`, and its screenshot.
fn open_in_chromium(page: &Path, screenshot: &Path) -> Vec<String> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            // Any network fetch fails: a self-contained page needs none.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (apt-get install chromium; .ci/run does)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("org_html");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_console_check_catches_a_broken_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><p>x</p><script>notDefined()</script>",
    )
    .unwrap();
    let console = open_in_chromium(&page, &dir.path().join("broken.png"));
    assert!(
        console.iter().any(|l| l.contains("notDefined")),
        "{console:?}"
    );
}

#[test]
fn the_html_summary_renders_alone_with_no_console_message() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("api");
    std::fs::create_dir_all(&src).unwrap();
    git(&src, &["init", "-q"]);
    commit_file(
        &src,
        "deploy.env",
        &format!("GITHUB_TOKEN={TOKEN}\n"),
        "deploy config",
    );
    let list = root.path().join("repos.txt");
    std::fs::write(
        &list,
        format!(
            "file://{} name=acme/api\nfile://{}/gone name=acme/gone\n",
            src.display(),
            root.path().display()
        ),
    )
    .unwrap();
    let page = output_dir().join("org.html");
    let out = keyhound(
        &[
            "org",
            "--repos",
            list.to_str().unwrap(),
            "--cache",
            root.path().join("cache").to_str().unwrap(),
            "--state",
            root.path().join("state.db").to_str().unwrap(),
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
        root.path(),
    );
    // One repository could not be cloned: exit 3, and the page says so.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains(TOKEN), "clear secret in the page");
    for external in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
        "url(http",
    ] {
        assert!(
            !html.contains(external),
            "external asset ({external}) in the page"
        );
    }
    let shot = output_dir().join("org.png");
    let _ = std::fs::remove_file(&shot);
    let console = open_in_chromium(&page, &shot);
    assert!(console.is_empty(), "console messages: {console:?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    for section in ["acme/api", "acme/gone", "github-token"] {
        assert!(html.contains(section), "{section} not in the page");
    }
}
