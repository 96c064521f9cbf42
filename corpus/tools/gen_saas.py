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
    import gen_saas_corpus  # noqa: the corpus writer, below

    gen_saas_corpus.write()


if __name__ == "__main__":
    main()
