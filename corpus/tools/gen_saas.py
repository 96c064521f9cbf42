#!/usr/bin/env python3
"""Generates the SaaS/platform part of keyhound's labeled corpus: source
hosting and registries, chat and mail, payments and SaaS, AI APIs,
serverless/edge/infra, database URIs and Kubernetes (issue 11).

Python 3 standard library only; a fixed random seed, so every run writes the
same bytes (run it twice, `git diff` shows nothing).

    python3 corpus/tools/gen_saas.py            # write the corpus
    python3 corpus/tools/gen_saas.py --sample NAME [N]   # print fresh values
    python3 corpus/tools/gen_saas.py --fill FILE...      # replace @gen:NAME@

What it does:

1. Makes fake but format-valid credentials from each provider's documented
   token format (prefix, alphabet, length; the CRC32/base62 checksum where
   the provider documents one, as npm does). None was ever issued.
2. For every rule in SPECS writes three positives into realistic files of
   its family's directory (a `.env`, a YAML config, source code) and traps
   next to them: placeholders in the setup docs, `${VAR}` references,
   truncated or wrong-checksum values in a test file, the value shape
   without the context a context-requiring rule needs, and a
   `keyhound:allow` fixture.
3. Labels as it writes (`(path, line, rule_id, confidence)` positives,
   `(path, line, kind)` traps) and rewrites corpus/expected.jsonl and
   corpus/traps.jsonl, keeping the lines of directories it does not own.

`--fill` is how rule examples in patterns/*.toml are made: write
`@gen:NAME@` where a value goes, run `--fill patterns/x.toml`, commit the
result.
"""

import base64
import json
import os
import random
import re
import sys
import zlib

SEED = 0x4B48_5341  # "KHSA"
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)

rng = random.Random(SEED)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = DIGITS + UPPER + LOWER
BASE62 = DIGITS + UPPER + LOWER
B64URL = UPPER + LOWER + DIGITS + "-_"
HEX = "0123456789abcdef"
LOWALNUM = LOWER + DIGITS
UPALNUM = UPPER + DIGITS


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(alphabet, n):
    """Random, retried until it has no placeholder-looking run (3 equal or
    3 consecutive characters), no filler word, and (for alphabets with
    them) at least one of each of upper, lower and digit."""
    need = [c for c in (UPPER, LOWER, DIGITS) if any(x in alphabet for x in c)]
    while True:
        s = rs(alphabet, n)
        if n >= 12 and not all(any(c in cls for c in s) for cls in need):
            continue
        if any(s[i] == s[i + 1] == s[i + 2] for i in range(n - 2)):
            continue
        if any(ord(s[i + 1]) == ord(s[i]) + 1 == ord(s[i + 2]) - 1 for i in range(n - 2)):
            continue
        low = s.lower()
        if any(w in low for w in ("example", "xxxx", "dummy", "fake", "test", "your", "sample", "pass")):
            continue
        return s


def hexs(n):
    return mixed(HEX, n)


def uuid4():
    h = hexs(32)
    h = h[:12] + "4" + h[13:16] + rng.choice("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def digits(n):
    return rng.choice("123456789") + rs(DIGITS, n - 1)


def base62(n, width):
    out = ""
    while n:
        out = BASE62[n % 62] + out
        n //= 62
    return out.rjust(width, "0")


def crc_b62(body):
    """GitHub-format checksum: CRC32 of the random part, base62, 6 digits."""
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def b64u(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(claims, header=None):
    h = header or {"alg": "HS256", "typ": "JWT"}
    seg = lambda o: b64u(json.dumps(o, separators=(",", ":")).encode())
    return seg(h) + "." + seg(claims) + "." + mixed(B64URL, 43)


# --------------------------------------------------------------- values

def npm_token():
    body = mixed(ALNUM, 30)
    return "npm_" + body + crc_b62(body)


def gitlab_routable(prefix):
    return prefix + mixed(B64URL, 27) + ".01." + mixed(LOWALNUM, 9)


def discord_bot_token():
    snowflake = digits(18)
    first = base64.b64encode(snowflake.encode()).decode().rstrip("=")
    return first + "." + mixed(B64URL, 6) + "." + mixed(B64URL, 38)


def pypi_token(test=False):
    head = "pypi-AgENdGVzdC5weXBpLm9yZw" if test else "pypi-AgEIcHlwaS5vcmc"
    return head + "CJ" + mixed(B64URL, 150)


def sentry_org_token():
    claims = {"iat": 1767225600.0, "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "northwind"}
    payload = base64.b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return "sntrys_" + payload + "_" + mixed(ALNUM, 43)


def supabase_service_role():
    return jwt({"iss": "supabase", "ref": mixed(LOWER, 20), "role": "service_role", "iat": 1767225600, "exp": 2082758400})


def k8s_sa_token():
    claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "payments",
        "kubernetes.io/serviceaccount/secret.name": "deployer-token-" + mixed(LOWALNUM, 5),
        "kubernetes.io/serviceaccount/service-account.name": "deployer",
        "kubernetes.io/serviceaccount/service-account.uid": uuid4(),
        "sub": "system:serviceaccount:payments:deployer",
    }
    return jwt(claims, {"alg": "RS256", "kid": mixed(B64URL, 43)})


GEN = {
    # source hosting and registries
    "github-webhook-secret": lambda: mixed(ALNUM, 40),
    "github-oauth-secret": lambda: hexs(40),
    "glpat": lambda: "glpat-" + mixed(ALNUM + "_-", 20),
    "glpat-routable": lambda: gitlab_routable("glpat-"),
    "gldt": lambda: "gldt-" + mixed(ALNUM + "_-", 20),
    "glrt": lambda: "glrt-" + mixed(ALNUM + "_-", 20),
    "glrt-routable": lambda: "glrt-t1_" + mixed(ALNUM, 27) + ".01." + mixed(LOWALNUM, 9),
    "GR1348941": lambda: "GR1348941" + mixed(ALNUM + "_-", 20),
    "glcbt": lambda: "glcbt-" + rs("123456789abcdef", 2) + "_" + mixed(ALNUM + "_-", 20),
    "glptt": lambda: "glptt-" + hexs(40),
    "glft": lambda: "glft-" + mixed(ALNUM + "_-", 20),
    "gloas": lambda: "gloas-" + hexs(64),
    "glimt": lambda: "glimt-" + mixed(LOWALNUM, 25),
    "glagent": lambda: "glagent-" + mixed(ALNUM + "_-", 50),
    "glsoat": lambda: "glsoat-" + mixed(ALNUM + "_-", 20),
    "glffct": lambda: "glffct-" + mixed(ALNUM + "_-", 20),
    "atlassian-api-token": lambda: "ATATT3xFfGF0" + mixed(ALNUM + "_-", 171) + "=" + mixed("0123456789ABCDEF", 8),
    "bitbucket-access-token": lambda: "ATCTT3xFfGN0" + mixed(ALNUM + "_-", 171) + "=" + mixed("0123456789ABCDEF", 8),
    "bitbucket-app-password": lambda: "ATBB" + mixed(ALNUM, 24) + mixed("0123456789ABCDEF", 8),
    "jira-legacy-token": lambda: mixed(ALNUM, 24),
    "npm": npm_token,
    "pypi": pypi_token,
    "pypi-test": lambda: pypi_token(True),
    "rubygems": lambda: "rubygems_" + hexs(48),
    "nuget": lambda: "oy2" + mixed(LOWALNUM, 43),
    "dckr_pat": lambda: "dckr_pat_" + mixed(ALNUM + "_-", 27),
    "dckr_oat": lambda: "dckr_oat_" + mixed(ALNUM + "_-", 32),
    "cratesio": lambda: "cio" + mixed(ALNUM, 32),
    "jfrog-api-key": lambda: "AKCp" + mixed(ALNUM, 69),
    "jfrog-reference": lambda: "cmVmdGtuOjAxOj" + mixed(ALNUM, 50),
    "hf": lambda: "hf_" + mixed(UPPER + LOWER, 34),
    "hf-org": lambda: "api_org_" + mixed(UPPER + LOWER, 34),
    # chat and mail
    "xoxb": lambda: "xoxb-" + digits(12) + "-" + digits(13) + "-" + mixed(ALNUM, 24),
    "xoxp": lambda: "xoxp-" + digits(12) + "-" + digits(12) + "-" + digits(13) + "-" + hexs(32),
    "xapp": lambda: "xapp-1-A" + mixed(UPALNUM, 10) + "-" + digits(13) + "-" + hexs(64),
    "xoxe": lambda: "xoxe.xoxp-1-" + mixed(ALNUM, 146),
    "xoxc": lambda: "xoxc-" + digits(12) + "-" + digits(12) + "-" + digits(13) + "-" + hexs(64),
    "slack-webhook": lambda: "https://hooks.slack.com/services/T" + mixed(UPALNUM, 10) + "/B" + mixed(UPALNUM, 10) + "/" + mixed(ALNUM, 24),
    "slack-workflow": lambda: "https://hooks.slack.com/triggers/T" + mixed(UPALNUM, 10) + "/" + digits(13) + "/" + hexs(32),
    "discord-bot": discord_bot_token,
    "discord-webhook": lambda: "https://discord.com/api/webhooks/" + digits(19) + "/" + mixed(B64URL, 68),
    "telegram": lambda: digits(10) + ":AA" + mixed(B64URL, 33),
    "teams-webhook": lambda: "https://northwind.webhook.office.com/webhookb2/%s@%s/IncomingWebhook/%s/%s/V2%s" % (uuid4(), uuid4(), hexs(32), uuid4(), mixed(ALNUM + "_-", 43)),
    "sendgrid": lambda: "SG." + mixed(B64URL, 22) + "." + mixed(B64URL, 43),
    "mailgun": lambda: "key-" + hexs(32),
    "mailgun-new": lambda: hexs(32) + "-" + hexs(8) + "-" + hexs(8),
    "mailchimp": lambda: hexs(32) + "-us" + str(rng.randint(1, 21)),
    "mandrill": lambda: "md-" + mixed(ALNUM + "_-", 22),
    "postmark": uuid4,
    "brevo": lambda: "xkeysib-" + hexs(64) + "-" + mixed(ALNUM, 16),
    "brevo-smtp": lambda: "xsmtpsib-" + hexs(64) + "-" + mixed(ALNUM, 16),
    "twilio-account-sid": lambda: "AC" + hexs(32),
    "twilio-auth-token": lambda: hexs(32),
    "twilio-api-key-sid": lambda: "SK" + hexs(32),
    "twilio-api-key-secret": lambda: mixed(ALNUM, 32),
    # payments and SaaS
    "sk_live": lambda: "sk_live_51" + mixed(ALNUM, 97),
    "rk_live": lambda: "rk_live_51" + mixed(ALNUM, 97),
    "sk_test": lambda: "sk_test_51" + mixed(ALNUM, 97),
    "whsec": lambda: "whsec_" + mixed(ALNUM, 32),
    "square-access": lambda: "EAAA" + mixed(ALNUM + "_-", 60),
    "square-legacy": lambda: "sq0atp-" + mixed(ALNUM + "_-", 22),
    "square-secret": lambda: "sq0csp-" + mixed(ALNUM + "_-", 43),
    "braintree": lambda: "access_token$production$" + mixed(LOWALNUM, 16) + "$" + hexs(32),
    "paypal-secret": lambda: "E" + mixed(ALNUM + "_-", 79),
    "shpat": lambda: "shpat_" + hexs(32),
    "shpca": lambda: "shpca_" + hexs(32),
    "shppa": lambda: "shppa_" + hexs(32),
    "shpss": lambda: "shpss_" + hexs(32),
    "okta": lambda: "00" + mixed(ALNUM + "_-", 40),
    "auth0-secret": lambda: mixed(ALNUM + "_-", 64),
    "datadog-api": lambda: hexs(32),
    "datadog-app": lambda: hexs(40),
    "nrak": lambda: "NRAK-" + mixed(UPALNUM, 27),
    "nral": lambda: hexs(36) + "NRAL",
    "nrii": lambda: "NRII-" + mixed(ALNUM + "_-", 32),
    "sentry-dsn": lambda: "https://%s:%s@o%s.ingest.sentry.io/%s" % (hexs(32), hexs(32), digits(6), digits(7)),
    "sntryu": lambda: "sntryu_" + hexs(64),
    "sntrys": sentry_org_token,
    "pagerduty": lambda: mixed(ALNUM + "_+-", 20),
    "lin_api": lambda: "lin_api_" + mixed(ALNUM, 40),
    "lin_oauth": lambda: "lin_oauth_" + hexs(64),
    "ntn": lambda: "ntn_" + digits(11) + mixed(ALNUM, 35),
    "notion-legacy": lambda: "secret_" + mixed(ALNUM, 43),
    "airtable": lambda: "pat" + mixed(ALNUM, 14) + "." + hexs(64),
    "asana": lambda: "2/" + digits(16) + "/" + digits(16) + ":" + hexs(32),
    # AI APIs
    "openai-proj": lambda: "sk-proj-" + mixed(ALNUM + "_-", 74) + "T3BlbkFJ" + mixed(ALNUM + "_-", 74),
    "openai-svcacct": lambda: "sk-svcacct-" + mixed(ALNUM + "_-", 74) + "T3BlbkFJ" + mixed(ALNUM + "_-", 74),
    "openai-admin": lambda: "sk-admin-" + mixed(ALNUM + "_-", 74) + "T3BlbkFJ" + mixed(ALNUM + "_-", 74),
    "openai-legacy": lambda: "sk-" + mixed(ALNUM, 20) + "T3BlbkFJ" + mixed(ALNUM, 20),
    "anthropic": lambda: "sk-ant-api03-" + mixed(ALNUM + "_-", 93) + "AA",
    "anthropic-admin": lambda: "sk-ant-admin01-" + mixed(ALNUM + "_-", 93) + "AA",
    "gemini": lambda: "AIzaSy" + mixed(ALNUM + "_-", 33),
    "cohere": lambda: mixed(ALNUM, 40),
    "mistral": lambda: mixed(ALNUM, 32),
    "groq": lambda: "gsk_" + mixed(ALNUM, 52),
    "replicate": lambda: "r8_" + mixed(ALNUM, 37),
    "perplexity": lambda: "pplx-" + mixed(ALNUM, 48),
    "xai": lambda: "xai-" + mixed(ALNUM, 80),
    "openrouter": lambda: "sk-or-v1-" + hexs(64),
    "langsmith": lambda: "lsv2_pt_" + hexs(32) + "_" + hexs(10),
    "deepseek": lambda: "sk-" + hexs(32),
    "elevenlabs": lambda: "sk_" + hexs(48),
    # serverless, edge and infra
    "cloudflare-token": lambda: mixed(ALNUM + "_-", 40),
    "cloudflare-global": lambda: hexs(37),
    "cloudflare-origin-ca": lambda: "v1.0-" + hexs(24) + "-" + hexs(146),
    "vercel": lambda: mixed(ALNUM, 24),
    "vercel-new": lambda: "vcp_" + mixed(ALNUM, 48),
    "netlify": lambda: "nfp_" + mixed(ALNUM, 36),
    "fly": lambda: "FlyV1 fm2_" + mixed(ALNUM + "+/", 180) + "==,fm2_" + mixed(ALNUM + "+/", 120) + "=",
    "render": lambda: "rnd_" + mixed(ALNUM, 32),
    "railway": uuid4,
    "sbp": lambda: "sbp_" + hexs(40),
    "sb_secret": lambda: "sb_secret_" + mixed(ALNUM + "_-", 31),
    "supabase-service-role": supabase_service_role,
    "fcm": lambda: "AAAA" + mixed(ALNUM + "_-", 7) + ":APA91b" + mixed(ALNUM + "_-", 134),
    "heroku-new": lambda: "HRKU-AA" + mixed(ALNUM + "_-", 58),
    "heroku-legacy": uuid4,
    "dop_v1": lambda: "dop_v1_" + hexs(64),
    "doo_v1": lambda: "doo_v1_" + hexs(64),
    "dor_v1": lambda: "dor_v1_" + hexs(64),
    "linode": lambda: hexs(64),
    "vultr": lambda: mixed(UPALNUM, 36),
    "hetzner": lambda: mixed(ALNUM, 64),
    "alibaba-id": lambda: "LTAI5t" + mixed(ALNUM, 18),
    "alibaba-secret": lambda: mixed(ALNUM, 30),
    "tencent-id": lambda: "AKID" + mixed(ALNUM, 32),
    "tencent-secret": lambda: mixed(ALNUM, 32),
    "ibm": lambda: mixed(ALNUM + "_-", 44),
    "hvs": lambda: "hvs." + mixed(ALNUM + "_-", 90),
    "hvb": lambda: "hvb." + mixed(ALNUM + "_-", 130),
    "vault-legacy": lambda: "s." + mixed(ALNUM, 24),
    "tfc": lambda: mixed(LOWALNUM, 14) + ".atlasv1." + mixed(ALNUM, 67),
    "pulumi": lambda: "pul-" + hexs(40),
    "dapi": lambda: "dapi" + hexs(32),
    "dose": lambda: "dose" + hexs(32),
    # databases and kubernetes
    "url-password": lambda: mixed(ALNUM + "_~!", 20),
    "k8s-sa": k8s_sa_token,
    "k8s-bootstrap": lambda: mixed(LOWALNUM, 6) + "." + mixed(LOWALNUM, 16),
}


def gen(name):
    return GEN[name]()


def openssl_rsa():
    """A throwaway 1024-bit RSA key in PKCS#1 PEM, made by openssl now
    (for rule examples only; the corpus embeds its keys)."""
    import subprocess

    return subprocess.run(
        ["openssl", "genrsa", "-traditional", "1024"], check=True, capture_output=True, text=True
    ).stdout.strip()


def fill_value(kind, name):
    if kind == "gen":
        return gen(name)
    pem = openssl_rsa()
    if kind == "pem":  # escaped for a TOML basic string: literal \n
        return pem.replace("\n", "\\\\n")
    return base64.b64encode((pem + "\n").encode()).decode()  # pem64


def fill(path):
    """Replaces every `@gen:NAME@` in `path` with a fresh value, seeded by
    the file name so a re-run of one file gives the same values."""
    rng.seed("%s:%s" % (SEED, os.path.basename(path)))
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"@(gen|pem|pem64):([A-Za-z0-9_.-]+)@", lambda m: fill_value(m.group(1), m.group(2)), text)
    open(path, "w", encoding="utf-8").write(text)


# --------------------------------------------------------------- corpus

# rule file stem -> corpus directory (this generator owns these).
FAMILY = {
    "gitlab": "hosting", "atlassian": "hosting", "registries": "hosting", "github": "hosting",
    "chat": "chat", "mail": "mail", "twilio": "mail", "payments": "payments",
    "identity": "saas", "observability": "saas", "productivity": "saas", "ai": "ai",
    "edge": "edge", "cloud-hosts": "cloud-hosts", "infra": "infra", "data": "data",
    "kubernetes": "kubernetes",
}
OWNED = sorted(set(FAMILY.values()))

# (rule id, value generator, setting name, needs its name as context).
# Order matters where rules pair: a SID/id line comes right before its
# secret, within the pairing distance.
SPECS = [
    ("github-webhook-secret", "github-webhook-secret", "GITHUB_WEBHOOK_SECRET", True),
    ("github-oauth-client-secret", "github-oauth-secret", "GITHUB_CLIENT_SECRET", True),
    ("gitlab-pat", "glpat", "GITLAB_TOKEN", False),
    ("gitlab-deploy-token", "gldt", "CI_DEPLOY_PASSWORD", False),
    ("gitlab-runner-token", "glrt", "RUNNER_TOKEN", False),
    ("gitlab-runner-registration-token", "GR1348941", "REGISTRATION_TOKEN", False),
    ("gitlab-ci-job-token", "glcbt", "JOB_TOKEN", False),
    ("gitlab-pipeline-trigger-token", "glptt", "TRIGGER_TOKEN", False),
    ("gitlab-feed-token", "glft", "GITLAB_FEED_TOKEN", False),
    ("gitlab-oauth-app-secret", "gloas", "GITLAB_OAUTH_SECRET", False),
    ("gitlab-incoming-mail-token", "glimt", "INCOMING_EMAIL_TOKEN", False),
    ("gitlab-agent-token", "glagent", "GITLAB_AGENT_TOKEN", False),
    ("gitlab-scim-token", "glsoat", "SCIM_TOKEN", False),
    ("gitlab-feature-flags-client-token", "glffct", "UNLEASH_INSTANCE_ID", False),
    ("atlassian-api-token", "atlassian-api-token", "ATLASSIAN_API_TOKEN", False),
    ("bitbucket-access-token", "bitbucket-access-token", "BITBUCKET_ACCESS_TOKEN", False),
    ("bitbucket-app-password", "bitbucket-app-password", "BITBUCKET_APP_PASSWORD", False),
    ("atlassian-api-token-legacy", "jira-legacy-token", "JIRA_API_TOKEN", True),
    ("npm-access-token", "npm", "NPM_TOKEN", False),
    ("pypi-token", "pypi", "TWINE_PASSWORD", False),
    ("rubygems-api-key", "rubygems", "GEM_HOST_API_KEY", False),
    ("nuget-api-key", "nuget", "NUGET_API_KEY", False),
    ("dockerhub-pat", "dckr_pat", "DOCKERHUB_TOKEN", False),
    ("dockerhub-oat", "dckr_oat", "DOCKER_ORG_TOKEN", False),
    ("crates-io-token", "cratesio", "CARGO_REGISTRY_TOKEN", True),
    ("jfrog-api-key", "jfrog-api-key", "ARTIFACTORY_API_KEY", False),
    ("jfrog-reference-token", "jfrog-reference", "JFROG_ACCESS_TOKEN", False),
    ("huggingface-token", "hf", "HF_TOKEN", False),
    ("huggingface-org-token", "hf-org", "HUGGINGFACE_ORG_TOKEN", False),
    ("slack-bot-token", "xoxb", "SLACK_BOT_TOKEN", False),
    ("slack-user-token", "xoxp", "SLACK_USER_TOKEN", False),
    ("slack-app-token", "xapp", "SLACK_APP_TOKEN", False),
    ("slack-rotating-token", "xoxe", "SLACK_CONFIG_TOKEN", False),
    ("slack-session-token", "xoxc", "SLACK_XOXC_TOKEN", False),
    ("slack-webhook-url", "slack-webhook", "SLACK_WEBHOOK_URL", False),
    ("slack-workflow-webhook-url", "slack-workflow", "SLACK_TRIGGER_URL", False),
    ("discord-bot-token", "discord-bot", "DISCORD_BOT_TOKEN", True),
    ("discord-webhook-url", "discord-webhook", "DISCORD_WEBHOOK_URL", False),
    ("telegram-bot-token", "telegram", "TELEGRAM_BOT_TOKEN", False),
    ("teams-incoming-webhook-url", "teams-webhook", "TEAMS_WEBHOOK_URL", False),
    ("sendgrid-api-key", "sendgrid", "SENDGRID_API_KEY", False),
    ("mailgun-api-key", "mailgun", "MAILGUN_API_KEY", False),
    ("mailchimp-api-key", "mailchimp", "MAILCHIMP_API_KEY", False),
    ("mandrill-api-key", "mandrill", "MANDRILL_API_KEY", True),
    ("postmark-token", "postmark", "POSTMARK_SERVER_TOKEN", True),
    ("brevo-api-key", "brevo", "BREVO_API_KEY", False),
    ("brevo-smtp-key", "brevo-smtp", "BREVO_SMTP_KEY", False),
    ("twilio-account-sid", "twilio-account-sid", "TWILIO_ACCOUNT_SID", False),
    ("twilio-auth-token", "twilio-auth-token", "TWILIO_AUTH_TOKEN", True),
    ("twilio-api-key-sid", "twilio-api-key-sid", "TWILIO_API_KEY_SID", False),
    ("twilio-api-key-secret", "twilio-api-key-secret", "TWILIO_API_SECRET", True),
    ("stripe-secret-key", "sk_live", "STRIPE_SECRET_KEY", False),
    ("stripe-restricted-key", "rk_live", "STRIPE_RESTRICTED_KEY", False),
    ("stripe-test-secret-key", "sk_test", "STRIPE_TEST_SECRET_KEY", False),
    ("stripe-webhook-secret", "whsec", "STRIPE_WEBHOOK_SECRET", False),
    ("square-access-token", "square-access", "SQUARE_ACCESS_TOKEN", False),
    ("square-oauth-secret", "square-secret", "SQUARE_APPLICATION_SECRET", False),
    ("braintree-access-token", "braintree", "BRAINTREE_ACCESS_TOKEN", False),
    ("paypal-client-secret", "paypal-secret", "PAYPAL_CLIENT_SECRET", True),
    ("shopify-access-token", "shpat", "SHOPIFY_ACCESS_TOKEN", False),
    ("shopify-shared-secret", "shpss", "SHOPIFY_API_SECRET", False),
    ("okta-api-token", "okta", "OKTA_API_TOKEN", True),
    ("auth0-client-secret", "auth0-secret", "AUTH0_CLIENT_SECRET", True),
    ("datadog-api-key", "datadog-api", "DD_API_KEY", True),
    ("datadog-app-key", "datadog-app", "DD_APP_KEY", True),
    ("newrelic-user-api-key", "nrak", "NEW_RELIC_API_KEY", False),
    ("newrelic-license-key", "nral", "NEW_RELIC_LICENSE_KEY", False),
    ("newrelic-insert-key", "nrii", "NEW_RELIC_INSERT_KEY", False),
    ("sentry-dsn-secret", "sentry-dsn", "SENTRY_DSN", False),
    ("sentry-user-token", "sntryu", "SENTRY_AUTH_TOKEN", False),
    ("sentry-org-token", "sntrys", "SENTRY_ORG_TOKEN", False),
    ("pagerduty-api-key", "pagerduty", "PAGERDUTY_API_TOKEN", True),
    ("linear-api-key", "lin_api", "LINEAR_API_KEY", False),
    ("linear-oauth-token", "lin_oauth", "LINEAR_ACCESS_TOKEN", False),
    ("notion-integration-token", "ntn", "NOTION_TOKEN", False),
    ("airtable-pat", "airtable", "AIRTABLE_API_KEY", True),
    ("asana-pat", "asana", "ASANA_ACCESS_TOKEN", True),
    ("openai-project-key", "openai-proj", "OPENAI_API_KEY", False),
    ("openai-service-account-key", "openai-svcacct", "OPENAI_SVCACCT_KEY", False),
    ("openai-admin-key", "openai-admin", "OPENAI_ADMIN_KEY", False),
    ("openai-legacy-key", "openai-legacy", "OPENAI_LEGACY_KEY", False),
    ("anthropic-api-key", "anthropic", "ANTHROPIC_API_KEY", False),
    ("anthropic-admin-key", "anthropic-admin", "ANTHROPIC_ADMIN_KEY", False),
    # Without its name a Gemini key is still a Google API key (gcp-api-key),
    # so it has no no-context trap.
    ("google-gemini-api-key", "gemini", "GEMINI_API_KEY", False),
    ("cohere-api-key", "cohere", "COHERE_API_KEY", True),
    ("mistral-api-key", "mistral", "MISTRAL_API_KEY", True),
    ("groq-api-key", "groq", "GROQ_API_KEY", False),
    ("replicate-api-token", "replicate", "REPLICATE_API_TOKEN", False),
    ("perplexity-api-key", "perplexity", "PERPLEXITY_API_KEY", False),
    ("xai-api-key", "xai", "XAI_API_KEY", False),
    ("openrouter-api-key", "openrouter", "OPENROUTER_API_KEY", False),
    ("langsmith-api-key", "langsmith", "LANGSMITH_API_KEY", False),
    ("deepseek-api-key", "deepseek", "DEEPSEEK_API_KEY", True),
    ("elevenlabs-api-key", "elevenlabs", "ELEVENLABS_API_KEY", True),
    ("cloudflare-api-token", "cloudflare-token", "CLOUDFLARE_API_TOKEN", True),
    ("cloudflare-global-api-key", "cloudflare-global", "CLOUDFLARE_API_KEY", True),
    ("cloudflare-origin-ca-key", "cloudflare-origin-ca", "CF_ORIGIN_CA_KEY", False),
    ("vercel-token", "vercel-new", "VERCEL_DEPLOY_KEY", False),
    ("vercel-token-legacy", "vercel", "VERCEL_TOKEN", True),
    ("netlify-token", "netlify", "NETLIFY_AUTH_TOKEN", False),
    ("flyio-token", "fly", "FLY_API_TOKEN", False),
    ("render-api-key", "render", "RENDER_API_KEY", False),
    ("railway-token", "railway", "RAILWAY_TOKEN", True),
    ("supabase-pat", "sbp", "SUPABASE_ACCESS_TOKEN", False),
    ("supabase-secret-key", "sb_secret", "SUPABASE_SECRET_KEY", False),
    ("supabase-service-role-key", "supabase-service-role", "SUPABASE_SERVICE_ROLE_KEY", False),
    ("firebase-fcm-server-key", "fcm", "FCM_SERVER_KEY", False),
    ("heroku-api-key", "heroku-new", "HEROKU_OAUTH_TOKEN", False),
    ("heroku-api-key-legacy", "heroku-legacy", "HEROKU_API_KEY", True),
    ("digitalocean-pat", "dop_v1", "DIGITALOCEAN_TOKEN", False),
    ("digitalocean-oauth-token", "doo_v1", "DO_OAUTH_ACCESS_TOKEN", False),
    ("linode-token", "linode", "LINODE_TOKEN", True),
    ("vultr-api-key", "vultr", "VULTR_API_KEY", True),
    ("hetzner-cloud-token", "hetzner", "HCLOUD_TOKEN", True),
    ("alibaba-access-key-id", "alibaba-id", "ALIBABA_CLOUD_ACCESS_KEY_ID", False),
    ("alibaba-access-key-secret", "alibaba-secret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", True),
    ("tencent-secret-id", "tencent-id", "TENCENTCLOUD_SECRET_ID", False),
    ("tencent-secret-key", "tencent-secret", "TENCENTCLOUD_SECRET_KEY", True),
    ("ibm-cloud-api-key", "ibm", "IBMCLOUD_API_KEY", True),
    ("vault-service-token", "hvs", "VAULT_TOKEN", False),
    ("vault-batch-token", "hvb", "VAULT_BATCH_TOKEN", False),
    ("vault-token-legacy", "vault-legacy", "VAULT_TOKEN_OLD", True),
    ("terraform-cloud-token", "tfc", "TF_TOKEN_app_terraform_io", False),
    ("pulumi-access-token", "pulumi", "PULUMI_ACCESS_TOKEN", False),
    ("databricks-token", "dapi", "DATABRICKS_TOKEN", False),
    ("databricks-oauth-secret", "dose", "DATABRICKS_CLIENT_SECRET", False),
    ("mongodb-atlas-connection-string", "mongodb-uri", "MONGODB_URI", False),
    ("snowflake-connection-string", "snowflake-uri", "SNOWFLAKE_URL", False),
    ("jdbc-url-password", "jdbc-uri", "JDBC_URL", False),
]

GEN["mongodb-uri"] = lambda: "mongodb+srv://orders_app:%s@cluster0.%s.mongodb.net/orders?retryWrites=true" % (mixed(ALNUM + "~!", 20), mixed(LOWALNUM, 5))
GEN["snowflake-uri"] = lambda: "snowflake://etl_user:%s@northwind-%s/analytics/public?warehouse=ETL_WH" % (mixed(ALNUM + "~!", 20), mixed(LOWALNUM, 7))
GEN["jdbc-uri"] = lambda: "jdbc:postgresql://orders-db.internal:5432/orders?user=orders_app&password=%s" % mixed(ALNUM + "~!", 20)

# Throwaway RSA keys made once with `openssl genrsa -traditional 1024` for
# this corpus (never used anywhere), embedded so the corpus is reproducible.
KEYS = {
    'gh-app': """\
-----BEGIN RSA PRIVATE KEY-----
MIICXQIBAAKBgQDqc8J59MDns0Dq6yoZyqnZCb+GjeQjGAH9B3TSdo+zQf0Hr88H
soDTtiMjwKoLbToP0d3edsLrUaVd3sybG0br12vCtEC94PsBveGD0Rb4G8m1ta+U
VKEU0wbFassZWCpa8KPyFPBNikSd2sFos2rgJd3UHrqZemfIH/tVrN92TwIDAQAB
AoGATYeKQBoX0IcOaKDrgyvpjsQSecRiNNizj6DvmMlsK7MeoXQZ2knFID2S0Tfd
A3pTQPf9jptnSbnuHWSX9JLImILS34lIfg6CT7MMLEKk9Gl0e84c6m/0DtI/8rMI
ss74b/ERGJoqvezCUf+mJl6zdJXFlcEjLqH6KDopE9lx+YECQQD3JVPWyy8RfXmS
iJGutSCJoGPFGnO3wVbMupjFpHWtMwukP0MpWVwdQ+ZPvnu+fUCFlpg40FAqxeue
0MrIpOC3AkEA8toDjwYmfpgbhpapkooEATAoC7IJr7J9yOMga18UybwSO9f0DjtG
9Dqo937WmPVVbeJca89zfdVWc+u5QtlPKQJBAJ5711mEDfjfR5iJ7zHjgKwAqDn7
Dn2lg63hcpo7LiMU+sAmuUDIxuMVaZl1gxDSbQ+9VHwKSX5EUSYUqhUkdd0CQHEE
GnHd994kJXMt/D5Q8monIgvHUBCu7TCm2nh9aCw11Pp6ln5lAbE491cudOn8CkS3
+jDF+0ZNGQ2bXr0IankCQQDAQp1++pFGzgVMkZnvlSQo7IbtZWPI04nQBQBD6QNv
IRIwqgBKUli9rBTGiuvwDH93xiu65LvdR9/vMbrKUlt5
-----END RSA PRIVATE KEY-----
""",
    'k1': """\
-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQCr+8xqvqP+fglKP9wV/Lel+WTuXHMSClxjdEpK1KTIk3S9VWGf
nnNr7R8ELF97zbTtwUkkFsmv3/99Qisr8936asiI0hTagOd55sEozFp3fFBsdypE
2WIGpfBpIeEEW+FmTEnYs6Ff5rFV+tlma3etbThDdXmQ3q6h5zHjH56KfQIDAQAB
AoGAArwEKgZR8S/r0eRmCWt1OAxZEHkj0zua8HHe5IWxAQdnKcN7w9/vEd45SgWy
lvNUVxtloE9EcalsFH/C0/YSp2vzFC/Lk2f0gqVIpXvOMD9yQgAvNDT0Tu1X2WLr
D/7DF+Hw4JQpPsIzvpb1JN9+loBxehVaUns52D616v/Us4ECQQDSih2AgpA74Uxh
S/JreGOQlyMjBdfv8yoU8gifPxHX6K4smyJzUdR7QrF2pZepgsBG+tcLxFuQ1180
QNHv+zDtAkEA0R5yeW4gIK8PG39XrhuN3lUvLYUgtjRrJa+UZ/0dzG0Dih8bN4Jr
netBFrGjXGCJJj7Ep4UYbLdzsubR3Kvd0QJAQE1OlWFLC/7ThSPc9lXektqWMKwo
N3Dc+WiymXB50qeOCrGW5AGqE7ta2BHbMDpu3z7dTwq5rJMa0Kq7c8AUQQJARTm+
DYKuMgOhjam/HczTTvmGD5yVcpuxqJ0SFMaO2cBwvoWDngGXnIRnXJrbiFYQsM9w
jEAcEMk+DMgqStG+MQJBAJ57nEU+7ZNYLm68w1nZbsi115lUkSdoyAteRwr/8Bd6
DLN79SKUa5ZrdqWuV0B5cK5z8c6UKge4/e0BTkyaFAc=
-----END RSA PRIVATE KEY-----
""",
    'k2': """\
-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQDuN+MdUSxPafznkqRY1a9xs5v1WZjo8RkMvxL1+kLWQMn0ZVq/
DlQVzScsX6Sof42OqlODKK9Zd2YGYctcr0zrn4dJYkSdGpPfZemwgLoepM8yu9ST
KfLFshzM5PMLEFfCjLrB2TBPLSD3+pn9LG0toxE3C6mymOxQbq/vk569zQIDAQAB
AoGAMBBYo6aoIRHKdFLTFBVxQ6iwk+1S+9UBb9/xjG3FJIOH++ajS58xegCdocde
apzpy9oz5WfFEXEUxb7fkEDSbOhpGoJ1JlsL4pKq8Ie4VgSwTi0SlpB5qleLmrEK
7MEKWvymx+xZhw0NY3jZ61GsaEspiCa8k/Fw9otk0T00dkUCQQD3C4aYZO0XVWNs
sMv8u66d1/Qm6U88i1hh4c/RS9icR8ejpxylN4UOnAszUZqJysjJKGWNg/gTMr+y
arvd1Z5TAkEA9tp0BTgq1HwJqQDDeW0CQR4aXu2Oj0ojeDDgwna+D3vpqQ6ZvT8P
L2mFI3zjCkFmY5VPyyXtq/GYFdzCwyFvXwJAE8hYftuWIMg1rf56V0KwOPOSGYuV
TMPbz/rFKX1pWxpkYjZ/lLtdbE4Sl4lxVpdmfLU/bJWkx+TIdQEXCiyRAQJAVh3J
odSBZJVNDW9dwiucQLlOu9UmCaj0jMaIcm7YSTCSSE72pUWtd33ZW5MC5Z4BKTZ6
msVFj9l9lArqywYMAwJBAKSqfalqBRH47Xcu1nCzBk0YC7dcmc+bN3BX/Y6CvnOy
0IQqUFatLMNq/RNtH4U3zwjmhNPAGG7Is+8/q6vs09E=
-----END RSA PRIVATE KEY-----
""",
}


class File:
    """One corpus file: text plus labels. A label names a needle (a
    substring occurring exactly once in the final text); its line is the
    line where the needle starts."""

    registry = []

    def __init__(self, path):
        self.path, self.parts, self.pos, self.traps = path, [], [], []
        File.registry.append(self)

    def w(self, text=""):
        self.parts.append(text if text.endswith("\n") else text + "\n")
        return self

    def P(self, needle, rule, confidence):
        self.pos.append((needle, rule, confidence))
        return self

    def T(self, needle, kind):
        self.traps.append((needle, kind))
        return self

    def text(self):
        return "".join(self.parts)

    def line_of(self, needle):
        t = self.text()
        n = t.count(needle)
        assert n == 1, "%s: needle occurs %d times: %r" % (self.path, n, needle[:80])
        return t[: t.index(needle)].count("\n") + 1


def rule_table():
    """rule id -> (confidence, rule file stem), read from patterns/."""
    import tomllib

    out = {}
    pat = os.path.join(os.path.dirname(CORPUS), "patterns")
    for name in sorted(os.listdir(pat)):
        stem = name[: -len(".toml")]
        with open(os.path.join(pat, name), "rb") as fh:
            for r in tomllib.load(fh)["rule"]:
                out[r["id"]] = (r["confidence"], stem)
    return out


def placeholder(value):
    """The value with every letter and digit after its first four bytes
    turned into `x`: what docs print instead of a real key."""
    return value[:4] + re.sub(r"[A-Za-z0-9]", "x", value[4:])


def write_family(d, specs, rules):
    env, yml, code = File(d + "/.env"), File(d + "/config/settings.yaml"), File(d + "/src/clients.py")
    docs, tests, data = File(d + "/docs/SETUP.md"), File(d + "/tests/test_token_formats.py"), File(d + "/tests/fixtures/digests.json")
    env.w("# %s credentials (staging)" % d)
    yml.w("%s:" % d.replace("-", "_"))
    code.w('"""Clients for the %s integrations."""\n\nimport os\n' % d)
    docs.w("# Setting up the %s integrations\n\nCopy `.env.example` and fill in:\n\n```sh" % d)
    tests.w('"""Values shaped like tokens that are not: never to be reported."""\n\nTRUNCATED = [')
    data.w("{\n  \"artifacts\": [")
    for rule, g, name, ctx in specs:
        conf = rules[rule][0]
        v1, v2, v3, v4 = gen(g), gen(g), gen(g), gen(g)
        env.w('%s="%s"' % (name, v1)).P(v1, rule, conf)
        env.w("%s_PREVIOUS=${%s_PREVIOUS}" % (name, name)).T("%s_PREVIOUS=${" % name, "env-ref")
        yml.w('  %s: "%s"' % (name.lower(), v2)).P(v2, rule, conf)
        code.w('%s = "%s"' % (name, v3)).P(v3, rule, conf)
        code.w('%s_FIXTURE = "%s"  # keyhound:allow (fixture for the client tests)' % (name, v4)).T(v4, "allow-comment")
        docs.w("export %s=<your-%s>" % (name, name.lower().replace("_", "-"))).T("export %s=<" % name, "placeholder")
        ph = placeholder(gen(g))
        docs.w("# e.g. %s=%s" % (name, ph)).T("# e.g. %s=" % name, "placeholder-x")
        short = gen(g)
        short = short[: min(20, max(8, len(short) // 4))]
        tests.w('    "%s",  # %s' % (short, rule)).T("# %s\n" % rule, "truncated")
        if ctx:
            bare = gen(g)
            data.w('    {"name": "build-%d", "digest": "%s"},' % (len(data.traps), bare)).T(bare, "no-context")
    tests.w("]")
    data.w('    {"name": "end"}\n  ]\n}')
    code.w("\n\ndef from_env(name):\n    return os.environ[name]")
    docs.w("```")


def write_special(rules):
    """Credentials that are not a single setting: keys in files, tokens in
    kubeconfigs and kubeadm commands."""
    k = KEYS["gh-app"]
    f = File("hosting/github-app/.env")
    f.w("GITHUB_APP_ID=918273")
    esc = k.strip().replace("\n", "\\n")
    f.w('GITHUB_APP_PRIVATE_KEY="%s"' % esc).P(esc[:40], "github-app-private-key", "high")
    f.w("GITHUB_APP_PRIVATE_KEY_PATH=/run/secrets/github-app.pem").T("GITHUB_APP_PRIVATE_KEY_PATH", "file-path")
    f.w('GITHUB_APP_PRIVATE_KEY_OLD="-----BEGIN RSA PRIVATE KEY-----\\n<paste the key>\\n-----END RSA PRIVATE KEY-----"').T("<paste the key>", "placeholder")

    k = KEYS["k1"]
    f = File("cloud-hosts/oci/config.env")
    f.w("OCI_USER=ocid1.user.oc1..aaaaaaaa" + mixed(LOWALNUM, 52))
    f.w("OCI_TENANCY=ocid1.tenancy.oc1..aaaaaaaa" + mixed(LOWALNUM, 52))
    f.w("OCI_FINGERPRINT=" + ":".join(hexs(2) for _ in range(16))).T("OCI_FINGERPRINT", "fingerprint")
    f.w("OCI_KEY_FILE=~/.oci/oci_api_key.pem").T("OCI_KEY_FILE", "file-path")
    esc = k.strip().replace("\n", "\\n")
    f.w('OCI_PRIVATE_KEY="%s"' % esc).P(esc[:40], "oci-api-signing-key", "high")

    k = KEYS["k2"]
    b64key = base64.b64encode(k.encode()).decode()
    sa = gen("k8s-sa")
    f = File("kubernetes/admin.conf")
    f.w("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n    server: https://10.0.0.10:6443\n  name: prod")
    f.w("users:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==")
    f.w("    client-key-data: %s" % b64key).P(b64key[:40], "kubernetes-client-key", "high")
    f.w("- name: deployer\n  user:")
    f.w("    token: %s" % sa).P(sa, "kubernetes-service-account-token", "high")
    f.w("- name: oidc\n  user:\n    token: ${KUBE_TOKEN}").T("${KUBE_TOKEN}", "env-ref")
    f.w("contexts:\n- context:\n    cluster: prod\n    user: kubernetes-admin\n  name: prod\ncurrent-context: prod")

    b1, b2 = gen("k8s-bootstrap"), gen("k8s-bootstrap")
    f = File("kubernetes/join-node.sh")
    f.w("#!/usr/bin/env bash\nset -euo pipefail\n# join a worker (kubeadm)")
    f.w("kubeadm join 10.0.0.10:6443 --token %s \\" % b1).P(b1, "kubernetes-bootstrap-token", "high")
    f.w("  --discovery-token-ca-cert-hash sha256:" + hexs(64)).T("--discovery-token-ca-cert-hash", "hash")
    f.w("# docs: kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef").T("abcdef.0123456789abcdef", "docs-example")
    f = File("kubernetes/kubeadm-config.yaml")
    f.w("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nbootstrapTokens:")
    f.w('- token: "%s"' % b2).P(b2, "kubernetes-bootstrap-token", "high")
    f.w("  ttl: 24h0m0s\n  usages: [signing, authentication]")
    f.w('- token: "<token>"').T('"<token>"', "placeholder")
    f = File("kubernetes/secrets/sa-token.yaml")
    sa2 = gen("k8s-sa")
    f.w("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata:\n  name: deployer-token\n  annotations:\n    kubernetes.io/service-account.name: deployer\nstringData:")
    f.w("  token: %s" % sa2).P(sa2, "kubernetes-service-account-token", "high")
    other = jwt({"iss": "https://id.northwind.dev", "sub": "svc-billing", "aud": "billing", "exp": 2082758400})
    f.w("  # an application token, not a cluster credential:")
    f.w("  app-token: %s" % other).P(other, "jwt", "medium")


def rewrite_manifest(name, ours, key):
    path = os.path.join(CORPUS, name)
    keep = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and json.loads(line)["path"].split("/", 1)[0] not in OWNED:
                keep.append(line)
    lines = keep + [json.dumps(o) for o in ours]
    lines.sort(key=lambda l: key(json.loads(l)))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("".join(l + "\n" for l in lines))


def write():
    import shutil

    rng.seed(SEED)
    rules = rule_table()
    by_dir = {}
    for spec in SPECS:
        by_dir.setdefault(FAMILY[rules[spec[0]][1]], []).append(spec)
    for d in sorted(by_dir):
        write_family(d, by_dir[d], rules)
    write_special(rules)
    for d in OWNED:
        shutil.rmtree(os.path.join(CORPUS, d), ignore_errors=True)
    expected, traps = [], []
    for f in File.registry:
        full = os.path.join(CORPUS, f.path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(f.text())
        for needle, rule, conf in f.pos:
            expected.append({"path": f.path, "line": f.line_of(needle), "rule_id": rule, "confidence": conf})
        for needle, kind in f.traps:
            traps.append({"path": f.path, "line": f.line_of(needle), "kind": kind})
    rewrite_manifest("expected.jsonl", expected, lambda o: (o["path"], o["line"], o["rule_id"]))
    rewrite_manifest("traps.jsonl", traps, lambda o: (o["path"], o["line"], o["kind"]))
    print(
        "saas corpus: %d files, %d positives of %d rule ids, %d traps of %d kinds"
        % (len(File.registry), len(expected), len({e["rule_id"] for e in expected}), len(traps), len({t["kind"] for t in traps}))
    )


def main():
    if sys.argv[1:2] == ["--sample"]:
        rng.seed()
        for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 1):
            print(gen(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--fill"]:
        for p in sys.argv[2:]:
            fill(p)
        return
    write()


if __name__ == "__main__":
    main()
