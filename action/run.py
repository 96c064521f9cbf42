#!/usr/bin/env python3
"""The logic of keyhound's GitHub Action (see action.yml and
docs/github-action.md).

One run:
1. decide what to scan from the workflow event (the pull request's range,
   the pushed range, or the whole history);
2. run `keyhound git` once, writing SARIF;
3. turn that SARIF into a step summary table, `::error` annotations for
   new findings, step outputs, and an exit status.

It reads its inputs from the environment, as action.yml passes them:

  INPUT_MODE              auto | range | full            (default auto)
  INPUT_ARGS              extra keyhound arguments, shell-quoted
  INPUT_SARIF             SARIF path                     (default keyhound.sarif)
  INPUT_FAIL_ON_FINDINGS  true | false                   (default true)
  INPUT_BASELINE          baseline file passed as --baseline
  KEYHOUND                the keyhound executable        (default: `keyhound` on PATH)

and GitHub's GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_WORKSPACE,
GITHUB_OUTPUT, GITHUB_STEP_SUMMARY (GITHUB_SERVER_URL and GITHUB_REPOSITORY
only for commit links). The tests in tests/action.rs set these by hand.

Exit status, as keyhound's: 0 no new findings (or fail-on-findings is
false), 1 new findings, 2 usage or configuration error, 3 the scan could
not complete.

Secrets: keyhound redacts them in its SARIF; this script only ever shows
that redacted text, refuses `--show-secrets`, and redacts again anything
that does not look redacted.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

# GitHub shows only the first annotations of a step anyway; more would only
# flood the log. The summary table is capped for the same reason (the step
# summary is limited to 1 MiB).
MAX_ANNOTATIONS = 50
MAX_TABLE_ROWS = 200

ZERO_SHA = re.compile(r"^0+$")
SHA = re.compile(r"^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")

# Arguments the action sets itself. --show-secrets is refused because the
# SARIF is uploaded to code scanning and the summary is readable by anyone
# who can read the workflow run.
RESERVED_ARGS = {
    "--format": "the action always writes SARIF",
    "-f": "the action always writes SARIF",
    "--output": "use the `sarif` input",
    "-o": "use the `sarif` input",
    "--show-secrets": "secrets must stay redacted in the SARIF, summary and annotations",
    "--baseline": "use the `baseline` input",
}


class ActionError(Exception):
    """A failure with the exit code it maps to."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------
# inputs


@dataclass
class Inputs:
    mode: str
    args: list
    sarif: str
    fail_on_findings: bool
    baseline: str


def read_inputs(env):
    mode = env.get("INPUT_MODE", "").strip() or "auto"
    if mode not in ("auto", "range", "full"):
        raise ActionError(EXIT_USAGE, f"input mode must be auto, range or full, not {mode!r}")

    raw_fail = env.get("INPUT_FAIL_ON_FINDINGS", "").strip().lower() or "true"
    if raw_fail not in ("true", "false"):
        raise ActionError(
            EXIT_USAGE, f"input fail-on-findings must be true or false, not {raw_fail!r}"
        )

    try:
        args = shlex.split(env.get("INPUT_ARGS", ""))
    except ValueError as e:
        raise ActionError(EXIT_USAGE, f"input args cannot be parsed: {e}") from None
    for arg in args:
        # `--format=json` and `-fjson` are the same options as `--format json`.
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
        if name in RESERVED_ARGS:
            raise ActionError(
                EXIT_USAGE, f"input args may not contain {arg!r}: {RESERVED_ARGS[name]}"
            )

    sarif = env.get("INPUT_SARIF", "").strip() or "keyhound.sarif"
    return Inputs(mode, args, sarif, raw_fail == "true", env.get("INPUT_BASELINE", "").strip())


# ---------------------------------------------------------------------------
# what to scan


@dataclass
class Scope:
    """`kind` is "range" (scan `spec`), "full" (whole history) or "none"."""

    kind: str
    description: str
    spec: Optional[str] = None
    notes: list = field(default_factory=list)


def git(repo, *args):
    """Runs git in `repo`; its stdout, or None when git fails."""
    proc = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def has_commit(repo, sha):
    return git(repo, "cat-file", "-e", f"{sha}^{{commit}}") is not None


def require_sha(value, what):
    """A commit id from the event payload, checked so that it can only ever
    be a revision (never an option) when handed to keyhound."""
    if not isinstance(value, str) or not SHA.match(value):
        raise ActionError(EXIT_USAGE, f"the event payload has no valid {what} (got {value!r})")
    return value


def require_commits(repo, *shas):
    for sha, what in shas:
        if not has_commit(repo, sha):
            raise ActionError(
                EXIT_USAGE,
                f"{what} {sha} is not in the checkout at {repo}: check the repository "
                "out with its history (actions/checkout with `fetch-depth: 0`)",
            )


def resolve_scope(mode, event_name, event, repo):
    if mode == "full":
        return Scope("full", "full history (mode: full)")
    if event_name in ("pull_request", "pull_request_target"):
        pr = event.get("pull_request") or {}
        base = require_sha((pr.get("base") or {}).get("sha"), "pull_request.base.sha")
        head = require_sha((pr.get("head") or {}).get("sha"), "pull_request.head.sha")
        require_commits(repo, (base, "the pull request's base commit"), (head, "its head commit"))
        number = pr.get("number")
        label = f"pull request #{number}" if number is not None else "the pull request"
        return Scope("range", f"{label}: `{base[:12]}..{head[:12]}`", f"{base}..{head}")
    if event_name == "merge_group":
        group = event.get("merge_group") or {}
        base = require_sha(group.get("base_sha"), "merge_group.base_sha")
        head = require_sha(group.get("head_sha"), "merge_group.head_sha")
        require_commits(repo, (base, "the merge group's base commit"), (head, "its head commit"))
        return Scope("range", f"merge group: `{base[:12]}..{head[:12]}`", f"{base}..{head}")
    if event_name == "push":
        return push_scope(event, repo)
    if mode == "range":
        raise ActionError(
            EXIT_USAGE,
            f"mode range needs a pull_request, merge_group or push event to take the range "
            f"from, and this is a {event_name or 'unknown'} event; use mode auto or full",
        )
    # schedule, workflow_dispatch and anything else: the whole history.
    return Scope("full", f"full history ({event_name or 'unknown'} event)")


def push_scope(event, repo):
    ref = event.get("ref") or ""
    after = event.get("after") or ""
    if event.get("deleted") or (isinstance(after, str) and ZERO_SHA.match(after)):
        return Scope("none", f"nothing: the push deleted {md_code(ref)}")
    after = require_sha(after, "push after commit")
    require_commits(repo, (after, "the pushed commit"))

    before = event.get("before") or ""
    notes = []
    if isinstance(before, str) and not ZERO_SHA.match(before):
        before = require_sha(before, "push before commit")
        if has_commit(repo, before):
            return Scope("range", f"push to {md_code(ref)}: `{before[:12]}..{after[:12]}`",
                         f"{before}..{after}")
        # A force push over commits nobody has any more: the checkout never
        # fetched them, so treat the push like a new branch.
        notes.append(
            f"The commit before the push ({before[:12]}) is not in the checkout "
            "(force push?); scanning what the default branch does not have instead."
        )
    return new_branch_scope(event, repo, ref, after, notes)


def new_branch_scope(event, repo, ref, after, notes):
    """A new branch (or tag): the commits the default branch does not have.

    The pre-push hook excludes every remote-tracking branch, because there
    the remote already has them. In CI that would trust branches that were
    never scanned (a workflow limited to some branches, a failed run, or a
    branch created from this one and pushed before this run checked out,
    whose own run then excludes this one): commits would be skipped by
    every run. The default branch is scanned on every push and by the
    nightly full-history job, so it is the only branch trusted here. The
    cost is that commits shared with other unmerged branches are scanned
    (and reported) again.
    """
    default = (event.get("repository") or {}).get("default_branch") or ""
    if not default or ref == f"refs/heads/{default}":
        # The default branch itself is new (first push to the repository),
        # or the payload does not say which branch is the default.
        why = "the default branch itself" if default else "no default branch in the payload"
        return Scope("range", f"new {md_code(ref)} ({why}): all of `{after[:12]}`'s history",
                     after, notes)
    for candidate in (f"refs/remotes/origin/{default}", f"refs/heads/{default}"):
        base = git(repo, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
        if base:
            what = f"new {md_code(ref)}: what {md_code(default)} does not have"
            return Scope("range", f"{what}, `{base[:12]}..{after[:12]}`", f"{base}..{after}",
                         notes)
    notes.append(
        f"The default branch {md_code(default)} is not in the checkout (fetch-depth: 0 "
        "fetches it); scanning the pushed commit's whole history."
    )
    return Scope("range", f"new {md_code(ref)}: all of `{after[:12]}`'s history", after, notes)


# ---------------------------------------------------------------------------
# running keyhound


def run_keyhound(keyhound, repo, scope, inputs, sarif_path):
    cmd = [keyhound, "git", repo, "--format", "sarif", "--output", sarif_path]
    if scope.kind == "range":
        cmd += ["--range", scope.spec]
    if inputs.baseline:
        cmd += ["--baseline", inputs.baseline]
    cmd += inputs.args
    print("keyhound: running " + shlex.join(cmd), flush=True)
    try:
        # keyhound's own warnings (skipped files) go straight to the log.
        # Relative paths in args (--rules, --config) are the workspace's.
        code = subprocess.run(cmd, cwd=repo, stdin=subprocess.DEVNULL, check=False).returncode
    except OSError as e:
        raise ActionError(EXIT_INCOMPLETE, f"cannot run keyhound ({keyhound}): {e}") from None
    if code == EXIT_USAGE:
        raise ActionError(
            EXIT_USAGE,
            "keyhound stopped with a usage or configuration error (exit code 2); "
            "its message is above. Check the args and baseline inputs and keyhound.toml.",
        )
    if code == EXIT_INCOMPLETE:
        raise ActionError(
            EXIT_INCOMPLETE,
            "the scan could not complete (keyhound exit code 3); its message is above.",
        )
    if code not in (EXIT_CLEAN, EXIT_FINDINGS):
        raise ActionError(EXIT_INCOMPLETE, f"keyhound failed with exit status {code}")


# ---------------------------------------------------------------------------
# reading the SARIF


@dataclass
class Finding:
    rule_id: str
    rule_name: str
    path: str
    line: Optional[int]
    column: Optional[int]
    commit: Optional[str]
    summary: Optional[str]
    secret: str
    other_places: int


@dataclass
class Results:
    new: list = field(default_factory=list)
    baselined: int = 0
    suppressed: int = 0


def redact(text):
    """keyhound's redaction (first 4 and last 2 characters of long secrets,
    fewer of short ones), for any text that does not look redacted."""
    if "*****" in text:
        return text
    n = len(text)
    head, tail = (0, 0) if n <= 7 else (2, 0) if n <= 19 else (4, 2)
    return text[:head] + "*****" + (text[n - tail:] if tail else "")


def is_suppressed(result):
    # A suppression under review or rejected does not hide the finding.
    return any(
        s.get("status") in (None, "accepted") for s in result.get("suppressions") or []
    )


def artifact_path(location, workspace):
    """The file of a SARIF location, relative to the repository."""
    artifact = (location.get("physicalLocation") or {}).get("artifactLocation") or {}
    uri = artifact.get("uri") or ""
    if uri.startswith("file://"):
        path = urllib.parse.unquote(urllib.parse.urlparse(uri).path)
        rel = os.path.relpath(path, workspace)
        return path if rel.startswith("..") else rel
    return urllib.parse.unquote(uri)


def read_results(sarif_path, workspace):
    try:
        with open(sarif_path, encoding="utf-8") as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        raise ActionError(EXIT_INCOMPLETE, f"cannot read keyhound's SARIF {sarif_path}: {e}") \
            from None
    results = Results()
    for run in log.get("runs") or []:
        rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
        names = {r.get("id"): (r.get("shortDescription") or {}).get("text") for r in rules}
        for result in run.get("results") or []:
            state = result.get("baselineState")
            if state == "absent":
                continue  # a baseline entry whose secret is gone
            if is_suppressed(result):
                results.suppressed += 1
            elif state not in (None, "new"):
                results.baselined += 1  # unchanged or updated: known
            else:
                results.new.append(finding_of(result, names, workspace))
    return results


def finding_of(result, names, workspace):
    rule_id = result.get("ruleId") or "unknown"
    rule_name = names.get(rule_id) or rule_id
    message = (result.get("message") or {}).get("text") or ""
    # keyhound's message is "<rule name> <redacted secret> found".
    secret = message
    if secret.startswith(rule_name + " ") and secret.endswith(" found"):
        secret = secret[len(rule_name) + 1 : -len(" found")]
    locations = result.get("locations") or [{}]
    region = (locations[0].get("physicalLocation") or {}).get("region") or {}
    git_info = (result.get("properties") or {}).get("git") or {}
    return Finding(
        rule_id=rule_id,
        rule_name=rule_name,
        path=artifact_path(locations[0], workspace),
        line=region.get("startLine"),
        column=region.get("startColumn"),
        commit=git_info.get("commit"),
        summary=git_info.get("summary"),
        secret=redact(secret),
        other_places=len(result.get("relatedLocations") or []),
    )


# ---------------------------------------------------------------------------
# annotations, summary, outputs


def escape_data(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text):
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f):
    props = [f"file={escape_property(f.path)}"]
    if f.line:
        props.append(f"line={f.line}")
    if f.column:
        props.append(f"col={f.column}")
    props.append(f"title={escape_property('keyhound: ' + f.rule_name)}")
    text = f"{f.rule_name} {f.secret} found"
    if f.commit:
        text += f", introduced in commit {f.commit[:12]}"
        if f.summary:
            text += f" ({f.summary})"
    if f.other_places:
        text += f"; also in {f.other_places} other place(s)"
    text += (
        ". Rotate the credential first, then remove it from the code and history; "
        "mark a false positive with a keyhound:allow comment."
    )
    return f"::error {','.join(props)}::{escape_data(text)}"


def md_text(text):
    """Plain text for a Markdown table cell."""
    text = " ".join(str(text).split())
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def md_code(text):
    """A code span for a table cell: a fence longer than any backtick run
    inside, and `|` escaped (GitHub splits cells on it even in code)."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def commit_cell(sha, env):
    if not sha:
        return ""
    server, repo = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY")
    short = md_code(sha[:12])
    if server and repo and SHA.match(sha):
        return f"[{short}]({server}/{repo}/commit/{sha})"
    return short


def summary_markdown(scope, results, inputs, env):
    new = results.new
    if scope.kind == "none":
        title = "nothing to scan"
    elif new:
        title = f"{len(new)} new finding{'s' if len(new) != 1 else ''}"
    else:
        title = "no new findings"
    lines = [f"## keyhound: {title}", "", f"Scanned {scope.description}."]
    for note in scope.notes:
        lines += ["", f"> {note}"]
    if new:
        lines += ["", "| Rule | File | Line | Commit | Secret (redacted) |",
                  "| --- | --- | --- | --- | --- |"]
        for f in new[:MAX_TABLE_ROWS]:
            rule = f"{md_text(f.rule_name)} ({md_code(f.rule_id)})"
            place = md_code(f.path)
            if f.other_places:
                place += f" and {f.other_places} more"
            lines.append(
                f"| {rule} | {place} | {f.line or ''} | {commit_cell(f.commit, env)} "
                f"| {md_code(f.secret)} |"
            )
        if len(new) > MAX_TABLE_ROWS:
            lines += ["", f"…and {len(new) - MAX_TABLE_ROWS} more in the SARIF report."]
        lines += [
            "",
            "Rotate each credential first (it is exposed from the moment it was pushed), "
            "then remove it from the code and history. A false positive can be marked "
            "with a `keyhound:allow` comment on its line.",
        ]
        if not inputs.fail_on_findings:
            lines += ["", "`fail-on-findings` is false: the job is not failed for these."]
    others = []
    if results.baselined:
        others.append(f"{results.baselined} already in the baseline")
    if results.suppressed:
        others.append(f"{results.suppressed} suppressed")
    if others:
        lines += ["", f"Not listed: {', '.join(others)}."]
    return "\n".join(lines) + "\n"


def append(path, text):
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def write_outputs(env, outputs):
    lines = []
    for name, value in outputs.items():
        value = str(value)
        if "\n" in value:
            # GitHub's multi-line form; a path could in theory hold a newline.
            delimiter = "keyhound_" + os.urandom(8).hex()
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    append(env.get("GITHUB_OUTPUT"), "".join(lines))


# ---------------------------------------------------------------------------


def sarif_path_of(env, workspace):
    return os.path.join(workspace, env.get("INPUT_SARIF", "").strip() or "keyhound.sarif")


def run(env, workspace):
    inputs = read_inputs(env)
    sarif_path = sarif_path_of(env, workspace)
    if inputs.baseline and not os.path.isfile(os.path.join(workspace, inputs.baseline)):
        raise ActionError(EXIT_USAGE, f"the baseline file {inputs.baseline} does not exist")

    event_name = env.get("GITHUB_EVENT_NAME", "")
    event = {}
    if env.get("GITHUB_EVENT_PATH"):
        try:
            with open(env["GITHUB_EVENT_PATH"], encoding="utf-8") as f:
                event = json.load(f)
        except (OSError, ValueError) as e:
            raise ActionError(EXIT_USAGE, f"cannot read the event payload: {e}") from None

    scope = resolve_scope(inputs.mode, event_name, event, workspace)
    print(f"keyhound: scanning {scope.description}", flush=True)
    for note in scope.notes:
        print(f"::warning title=keyhound::{escape_data(note)}")

    results = Results()
    if scope.kind != "none":
        run_keyhound(env.get("KEYHOUND") or "keyhound", workspace, scope, inputs, sarif_path)
        results = read_results(sarif_path, workspace)

    for f in results.new[:MAX_ANNOTATIONS]:
        print(annotation(f))
    if len(results.new) > MAX_ANNOTATIONS:
        print(f"keyhound: {len(results.new) - MAX_ANNOTATIONS} more new findings "
              "are not annotated; see the summary and the SARIF report")
    append(env.get("GITHUB_STEP_SUMMARY"), summary_markdown(scope, results, inputs, env))
    write_outputs(env, {
        "findings": len(results.new),
        "sarif": sarif_path if scope.kind != "none" else "",
        "scope": scope.kind,
        "range": scope.spec or "",
    })

    if results.new and inputs.fail_on_findings:
        print(f"keyhound: {len(results.new)} new finding(s); failing the step "
              "(set fail-on-findings: false to only report them)", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_CLEAN


def main(env):
    workspace = os.path.abspath(env.get("GITHUB_WORKSPACE") or os.getcwd())
    # Never leave an old report behind for the upload step to pick up, and
    # never a partial one: a SARIF upload closes every alert it omits.
    sarif_path = sarif_path_of(env, workspace)
    if os.path.isfile(sarif_path):
        os.remove(sarif_path)
    try:
        return run(env, workspace)
    except ActionError as err:
        if os.path.isfile(sarif_path):
            os.remove(sarif_path)
        # Said everywhere a user looks: the log, an annotation, the summary.
        print(f"::error title=keyhound::{escape_data(err.message)}")
        print(f"keyhound: error: {err.message}", file=sys.stderr)
        append(env.get("GITHUB_STEP_SUMMARY"), f"## keyhound: failed\n\n{md_text(err.message)}\n")
        write_outputs(env, {"findings": "", "sarif": "", "scope": "", "range": ""})
        return err.code


if __name__ == "__main__":
    sys.exit(main(os.environ))
