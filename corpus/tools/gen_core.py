#!/usr/bin/env python3
"""Generates keyhound's core labeled corpus: AWS, GCP, GitHub, private keys,
JWTs and generic passwords.

Python 3 standard library only; one fixed random seed, so every run writes the
same bytes (run it twice, `git diff` shows nothing).

    python3 corpus/tools/gen_core.py            # write the corpus
    python3 corpus/tools/gen_core.py --samples  # print fresh sample values

What it does:

1. Makes fake but format-valid credentials: AWS key ids that encode an
   account id (the way AWS and moto lay it out), 40-character secrets, STS
   session tokens, Bedrock long- and short-term keys (the latter a base64
   SigV4 presigned URL), GCP API/auth keys, OAuth client secrets, refresh and
   access tokens, HMAC keys, service-account JSON files whose private key is a
   real RSA key generated here in pure Python, GitHub tokens with a valid
   CRC32/base62 checksum, JWTs, passwords. Keys that need real tools (EC,
   DSA, OpenSSH, encrypted, PGP) were made once with openssl/ssh-keygen/gpg
   and are embedded at the end of this file; a PuTTY file is built here.
2. Writes realistic files (.env, AWS INI, Terraform, Python, JS/TS, Go,
   Java .properties, Kubernetes/compose/Actions YAML, JSON, Dockerfile,
   shell, Markdown, XML, minified JS) under corpus/{aws,gcp,github,keys,jwt,
   generic,mixed}/ that mix those credentials with false-positive traps.
3. Labels as it writes: each positive is `(path, line, rule_id,
   confidence)` — the line where the secret starts, the confidence the
   finding should have after structural checks — each trap `(path, line,
   kind)`. corpus/expected.jsonl and corpus/traps.jsonl are rewritten keeping
   every line whose path is not under one of our directories (other
   generators own those), plus ours, sorted.

Labels are by intent: what a careful human reviewing the file would expect a
scanner to report.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import shutil
import struct
import sys
import urllib.parse
import zlib

SEED = 0x4B48_434F  # "KHCO"
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
OWNED = ["aws", "gcp", "github", "keys", "jwt", "generic", "mixed"]

rng = random.Random(SEED)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = DIGITS + UPPER + LOWER
B64 = UPPER + LOWER + DIGITS + "+/"
B64URL = UPPER + LOWER + DIGITS + "-_"
BASE32 = UPPER + "234567"
HEX = "0123456789abcdef"


def rs(alphabet, n):
    """n random characters of `alphabet`."""
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(alphabet, n, need=(UPPER, LOWER, DIGITS)):
    """Like rs(), but retried until every class in `need` occurs and no
    placeholder-looking run (4 equal or 4 consecutive chars) appears, as in
    a real random secret."""
    while True:
        s = rs(alphabet, n)
        if not all(any(c in cls for c in s) for cls in need):
            continue
        if any(s[i] == s[i + 1] == s[i + 2] for i in range(n - 2)):
            continue
        if any(ord(s[i + 1]) == ord(s[i]) + 1 == ord(s[i + 2]) - 1 for i in range(n - 2)):
            continue
        low = s.lower()
        if any(w in low for w in ("example", "xxxx", "dummy", "fake", "test", "your")):
            continue
        return s


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# --------------------------------------------------------------------------
# AWS
# --------------------------------------------------------------------------


def b32encode_nopad(data):
    return base64.b32encode(data).decode().rstrip("=")


def aws_account():
    return "%012d" % rng.randrange(10**11, 10**12)


def aws_key_id(prefix="AKIA", account=None):
    """A key id carrying `account` the way AWS lays it out: the 16 base32
    characters decode to 10 bytes whose first 48 bits hold, from bit 7 up,
    the account id, with the top bit set (so the fifth character is never
    the `I`/`J` of pre-2016 ids)."""
    account = account or aws_account()
    z = (1 << 47) | (int(account) << 7) | rng.randrange(128)
    raw = z.to_bytes(6, "big") + bytes(rng.randrange(256) for _ in range(4))
    kid = prefix + b32encode_nopad(raw)
    assert len(kid) == 20 and decode_account(kid) == account, kid
    return kid


def aws_unique_id(prefix):
    """A 21-character IAM unique id (AIDA user, AROA role, …): same layout as
    a key id plus one more character. Identifiers, never secrets."""
    return aws_key_id(prefix) + rng.choice(BASE32)


def decode_account(kid):
    """The reference decoder (credential-formats.md A1.2), to self-check."""
    if kid[4] in "IJ":
        return None
    b = base64.b32decode(kid[4:20])
    z = int.from_bytes(b[:6], "big")
    return "%012d" % ((z & 0x7FFF_FFFF_FF80) >> 7)


def aws_secret():
    return mixed(B64, 40)


def aws_session_token(modern=True, n=None):
    """STS session tokens: current ones start with base64 of "!\\n\\torigin_ec",
    older ones with the "FwoGZXIvYXdzE" (…"aws"…) header."""
    n = n or rng.randrange(560, 900)
    head = "IQoJb3JpZ2luX2VjE" if modern else "FwoGZXIvYXdzE"
    body = head + rs(B64, n - len(head))
    body = body[: len(body) - len(body) % 4]
    return body if rng.random() < 0.5 else body[:-1] + "="


def bedrock_long_term(account=None):
    account = account or aws_account()
    user = "BedrockAPIKey-%s-at-%s" % (rs(LOWER + DIGITS, 4), account)
    secret = base64.b64encode(bytes(rng.randrange(256) for _ in range(54))).decode()
    return "ABSK" + b64((user + ":" + secret).encode())


def bedrock_short_term(key_id, amz_date, expires=43200, region="us-east-1"):
    token = aws_session_token(True, 740)
    url = (
        "bedrock.amazonaws.com/?Action=CallWithBearerToken"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=%s%%2F%s%%2F%s%%2Fbedrock%%2Faws4_request"
        "&X-Amz-Date=%s&X-Amz-Expires=%d"
        "&X-Amz-Security-Token=%s"
        "&X-Amz-Signature=%s&Version=1"
        % (
            key_id,
            amz_date[:8],
            region,
            amz_date,
            expires,
            urllib.parse.quote(token, safe=""),
            rs(HEX, 64),
        )
    )
    return "bedrock-api-key-" + b64(url.encode())


# AWS's documentation keys: public, never to be reported.
AWS_DOC_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_DOC_KEY_ID_2 = "AKIAI44QH8DHBEXAMPLE"
AWS_DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_DOC_SECRET_2 = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
AWS_SIGV4_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AWS_CANARY_KEY_ID = "AKIAXYZDQCEN4B6JSJQI"  # decodes to a Thinkst canary account


# --------------------------------------------------------------------------
# GCP
# --------------------------------------------------------------------------


def gcp_api_key():
    return "AIzaSy" + rng.choice("ABCD") + mixed(ALNUM + "-_", 32)


def gcp_auth_key():
    return "AQ.Ab8R" + mixed(ALNUM + "-_", 46)


def gcp_project():
    a = rng.choice(["billing", "orders", "ml", "analytics", "payments", "search", "infra", "data"])
    b = rng.choice(["prod", "staging", "pipeline", "platform", "core", "etl"])
    return "%s-%s-%d" % (a, b, rng.randrange(100000, 999999))


def gcp_client_id():
    return "%d-%s.apps.googleusercontent.com" % (
        rng.randrange(10**11, 10**12),
        rs(DIGITS + LOWER, 32),
    )


def gcp_oauth_secret():
    return "GOCSPX-" + mixed(ALNUM + "-_", 28)


def gcp_legacy_secret():
    return mixed(ALNUM + "-_", 24)


def gcp_refresh_token():
    return "1//0" + rs("345679abcdefg", 1) + mixed(ALNUM + "-_", 98)


def gcp_access_token():
    return "ya29.a0" + mixed(ALNUM + "-_", 170)


def gcp_hmac_access_id(service_account=True):
    return "GOOG1E" + rs(UPPER + DIGITS, 55) if service_account else "GOOG" + rs(UPPER + DIGITS, 20)


def gcp_hmac_secret():
    return aws_secret()


GCLOUD_CLIENT_ID = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com"
GCLOUD_CLIENT_SECRET = "d-FL95Q19q7MQmFpd7hHD0Ty"
FIREBASE_SAMPLE_KEY = "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs"
PUBLIC_TEST_SA = "image-pulling@authenticated-image-pulling.iam.gserviceaccount.com"


# --------------------------------------------------------------------------
# GitHub
# --------------------------------------------------------------------------

BASE62 = DIGITS + UPPER + LOWER


def base62(n, width):
    out = ""
    while n:
        out = BASE62[n % 62] + out
        n //= 62
    return out.rjust(width, "0")


def gh_checksum(body):
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_token(prefix="ghp_"):
    body = mixed(ALNUM, 70 if prefix == "ghr_" else 30)
    return prefix + body + gh_checksum(body)


def gh_token_bad_checksum(prefix="ghp_"):
    tok = gh_token(prefix)
    last = tok[-1]
    return tok[:-1] + ("A" if last != "A" else "B")


def gh_fine_grained():
    return "github_pat_" + mixed(ALNUM, 22) + "_" + mixed(ALNUM, 59)


assert gh_checksum("IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn") == "0YWRM0"
assert gh_checksum("ZJDeVREhkptGF7Wvep0NwJWlPEQP7a") == "0t2nxL"


# --------------------------------------------------------------------------
# JWT
# --------------------------------------------------------------------------


def jwt(claims, alg="RS256", kid=True):
    header = {"alg": alg, "typ": "JWT"}
    if kid and alg.startswith(("RS", "ES")):
        header["kid"] = rs(HEX, 40)
    siglen = {"RS256": 256, "ES256": 64, "HS256": 32, "HS512": 64}[alg]
    sig = bytes(rng.randrange(256) for _ in range(siglen))
    enc = lambda o: b64url(json.dumps(o, separators=(",", ":")).encode())
    return "%s.%s.%s" % (enc(header), enc(claims), b64url(sig))


def jwt_claims(iss, sub, aud, iat, lifetime=3600, **extra):
    c = {"iss": iss, "sub": sub, "aud": aud, "iat": iat, "exp": iat + lifetime}
    c.update(extra)
    return c


# --------------------------------------------------------------------------
# Passwords and the like
# --------------------------------------------------------------------------

PW_ALPHABET = ALNUM + "!%*+-_=?^~"


def password(n=None, alphabet=PW_ALPHABET):
    """A random password that starts with a letter or digit."""
    return rng.choice(ALNUM) + mixed(alphabet, (n or rng.randrange(14, 24)) - 1)


def app_secret():
    """A framework secret key (Django/Flask style, 50 characters)."""
    return password(50, ALNUM + "!%*+-_=?^~@")


def url_password(n=None):
    return rng.choice(ALNUM) + mixed(ALNUM + "-_~!*", (n or rng.randrange(14, 22)) - 1)


def uuid4():
    h = rs(HEX, 32)
    return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], rng.choice("89ab"), h[17:20], h[20:])


def sha1hex():
    return hashlib.sha1(bytes(rng.randrange(256) for _ in range(32))).hexdigest()


def sha256hex():
    return hashlib.sha256(bytes(rng.randrange(256) for _ in range(32))).hexdigest()


def sha512_integrity():
    return "sha512-" + b64(hashlib.sha512(bytes(rng.randrange(256) for _ in range(32))).digest())


# --------------------------------------------------------------------------
# Keys: RSA generated here (pure Python, deterministic), the rest embedded
# --------------------------------------------------------------------------


SMALL_PRIMES = [p for p in range(2, 2000) if all(p % q for q in range(2, int(p**0.5) + 1))]


def _is_probable_prime(n, rounds=12):
    if n < 2:
        return False
    for p in SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits, e):
    while True:
        c = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (c - 1) % e and _is_probable_prime(c):
            return c


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der(tag, body):
    return bytes([tag]) + _der_len(len(body)) + body


def _der_int(v):
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")
    return _der(0x02, b)


def rsa_key(bits=2048):
    """A real RSA key: (PKCS#1 DER, PKCS#8 DER)."""
    e = 65537
    while True:
        p, q = _prime(bits // 2, e), _prime(bits // 2, e)
        n = p * q
        if p != q and n.bit_length() == bits:
            break
    if p < q:
        p, q = q, p
    d = pow(e, -1, (p - 1) * (q - 1))
    fields = [0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)]
    pkcs1 = _der(0x30, b"".join(_der_int(v) for v in fields))
    rsa_oid = bytes.fromhex("06092a864886f70d010101") + b"\x05\x00"
    pkcs8 = _der(0x30, _der_int(0) + _der(0x30, rsa_oid) + _der(0x04, pkcs1))
    return pkcs1, pkcs8


def pem(label, der, width=64):
    body = b64(der)
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def openssh_fields(text):
    """Parses an unencrypted openssh-key-v1 file into (keytype, public blob,
    private fields, comment)."""
    body = "".join(l for l in text.strip().splitlines()[1:-1])
    raw = base64.b64decode(body)
    assert raw.startswith(b"openssh-key-v1\0")
    pos = len(b"openssh-key-v1\0")

    def take():
        nonlocal pos
        (n,) = struct.unpack(">I", raw[pos : pos + 4])
        v = raw[pos + 4 : pos + 4 + n]
        pos += 4 + n
        return v

    cipher, _kdf, _opts = take(), take(), take()
    assert cipher == b"none"
    pos += 4  # number of keys
    pub = take()
    priv = take()
    p = 8
    (n,) = struct.unpack(">I", priv[p : p + 4])
    ktype = priv[p + 4 : p + 4 + n]
    p += 4 + n
    (n,) = struct.unpack(">I", priv[p : p + 4])
    p += 4 + n  # public key bytes
    (n,) = struct.unpack(">I", priv[p : p + 4])
    secret = priv[p + 4 : p + 4 + n]
    p += 4 + n
    (n,) = struct.unpack(">I", priv[p : p + 4])
    comment = priv[p + 4 : p + 4 + n]
    return ktype, pub, secret, comment


def putty_ppk(openssh_text, version=3):
    """A PuTTY .ppk (unencrypted) for an Ed25519 OpenSSH key."""
    ktype, pub, secret, comment = openssh_fields(openssh_text)
    priv_blob = ssh_string(secret[:32])
    mac_data = b"".join(
        ssh_string(x) for x in (ktype, b"none", comment, pub, priv_blob)
    )
    if version == 2:
        mac = hmac.new(hashlib.sha1(b"putty-private-key-file-mac-key").digest(), mac_data, hashlib.sha1)
    else:
        mac = hmac.new(b"", mac_data, hashlib.sha256)

    def wrap(data):
        t = b64(data)
        return [t[i : i + 64] for i in range(0, len(t), 64)]

    publ, privl = wrap(pub), wrap(priv_blob)
    lines = [
        "PuTTY-User-Key-File-%d: %s" % (version, ktype.decode()),
        "Encryption: none",
        "Comment: %s" % comment.decode(),
        "Public-Lines: %d" % len(publ),
        *publ,
        "Private-Lines: %d" % len(privl),
        *privl,
        "Private-MAC: %s" % mac.hexdigest(),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Files and labels
# --------------------------------------------------------------------------


class File:
    """One corpus file: text plus labels. A label names a needle (a
    substring occurring exactly once in the final text); its line is the
    line where the needle starts, which is where the scanner reports a
    finding whose secret starts there."""

    registry = []

    def __init__(self, path):
        self.path = path
        self.parts = []
        self.pos = []
        self.traps = []
        File.registry.append(self)

    def w(self, text=""):
        """Appends text; a line break is added unless it ends with one."""
        self.parts.append(text if text.endswith("\n") else text + "\n")
        return self

    def P(self, needle, rule, confidence="high"):
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
        at = t.index(needle) + (len(needle) - len(needle.lstrip("\n")))
        return t[:at].count("\n") + 1


def env_line(k, v, quote=""):
    return "%s=%s%s%s" % (k, quote, v, quote)


# ------------------------------------------------------------------ AWS


def gen_aws():
    # .env with a key pair, a region and traps
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/.env")
    f.w("# local development settings for the ingest worker")
    f.w("APP_ENV=development")
    f.w("AWS_REGION=eu-west-1")
    f.w(env_line("AWS_ACCESS_KEY_ID", kid)).P(kid, "aws-access-key-id")
    f.w(env_line("AWS_SECRET_ACCESS_KEY", sec)).P(sec, "aws-secret-access-key")
    f.w("# AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX").T("AKIAXXXXXXXXXXXXXXXX", "placeholder")
    f.w("AWS_SESSION_TOKEN=${AWS_SESSION_TOKEN}").T("AWS_SESSION_TOKEN=${", "env-ref")
    f.w("S3_BUCKET=ingest-raw-%s" % rs(LOWER + DIGITS, 6))
    f.w("AWS_ACCOUNT_ID=%s" % aws_account()).T("AWS_ACCOUNT_ID=", "account-id")

    # shared credentials file
    f = File("aws/credentials")
    k1, s1 = aws_key_id(), aws_secret()
    k2, s2, t2 = aws_key_id("ASIA"), aws_secret(), aws_session_token(True)
    k3, s3 = aws_key_id(), aws_secret()
    f.w("[default]")
    f.w("aws_access_key_id = %s" % k1).P(k1, "aws-access-key-id")
    f.w("aws_secret_access_key = %s" % s1).P(s1, "aws-secret-access-key")
    f.w("")
    f.w("[ci-deployer]")
    f.w("aws_access_key_id=%s" % k2).P(k2, "aws-access-key-id")
    f.w("aws_secret_access_key=%s" % s2).P(s2, "aws-secret-access-key")
    f.w("aws_session_token=%s" % t2).P(t2, "aws-session-token")
    f.w("")
    f.w("[docs-sample]")
    f.w("aws_access_key_id = %s" % AWS_DOC_KEY_ID).T(AWS_DOC_KEY_ID, "aws-doc-example")
    f.w("aws_secret_access_key = %s" % AWS_DOC_SECRET).T(AWS_DOC_SECRET, "aws-doc-example")
    f.w("")
    f.w("[template]")
    f.w("aws_access_key_id = <your-access-key-id>").T("<your-access-key-id>", "placeholder")
    f.w("aws_secret_access_key = <your-secret-access-key>").T("<your-secret-access-key>", "placeholder")
    f.w("")
    f.w("[legacy-batch]")
    f.w("aws_access_key_id     = %s" % k3).P(k3, "aws-access-key-id")
    f.w("aws_secret_access_key = %s" % s3).P(s3, "aws-secret-access-key")
    f.w("region = us-east-2")

    # config file: no secrets, only identifiers
    acct = aws_account()
    f = File("aws/config")
    f.w("[default]\nregion = eu-central-1\noutput = json\n")
    f.w("[profile analytics]")
    f.w("role_arn = arn:aws:iam::%s:role/AnalyticsReadOnly" % acct).T("role/AnalyticsReadOnly", "arn")
    f.w("source_profile = default")
    f.w("mfa_serial = arn:aws:iam::%s:mfa/jdoe" % acct).T(":mfa/jdoe", "arn")
    f.w("")
    f.w("[profile sso-dev]")
    f.w("sso_start_url = https://northwind.awsapps.com/start")
    f.w("sso_account_id = %s" % aws_account()).T("sso_account_id", "account-id")
    f.w("sso_role_name = PowerUserAccess")
    f.w("credential_process = /usr/local/bin/aws-vault export --format=json dev").T(
        "credential_process", "credential-helper"
    )

    # Terraform provider with literal keys, and the variable-driven form
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/terraform/main.tf")
    f.w('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "~> 5.40"\n    }\n  }\n}\n')
    f.w('provider "aws" {')
    f.w('  region     = "us-west-2"')
    f.w('  access_key = "%s"' % kid).P(kid, "aws-access-key-id")
    f.w('  secret_key = "%s"' % sec).P(sec, "aws-secret-access-key")
    f.w("}\n")
    f.w('provider "aws" {\n  alias      = "replica"\n  region     = "eu-west-1"')
    f.w("  access_key = var.aws_access_key").T("access_key = var.aws_access_key", "variable-ref")
    f.w("  secret_key = var.aws_secret_key").T("secret_key = var.aws_secret_key", "variable-ref")
    f.w("}\n")
    f.w('resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n')
    f.w('output "ci_secret" {')
    f.w("  value     = aws_iam_access_key.ci.secret").T("aws_iam_access_key.ci.secret", "variable-ref")
    f.w("  sensitive = true\n}")
    f.w('resource "aws_s3_bucket" "logs" {')
    f.w('  bucket = "nw-logs-%s"' % acct).T('bucket = "nw-logs-', "account-id")
    f.w("}")

    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/terraform/prod.tfvars")
    f.w('environment    = "prod"')
    f.w('aws_region     = "us-east-1"')
    f.w('aws_access_key = "%s"' % kid).P(kid, "aws-access-key-id")
    f.w('aws_secret_key = "%s"' % sec).P(sec, "aws-secret-access-key")
    f.w('vpc_cidr       = "10.40.0.0/16"')
    f.w('ami_id         = "ami-0%s"' % rs(HEX, 16)).T('ami_id ', "resource-id")

    # boto3 in Python
    kid, sec = aws_key_id(), aws_secret()
    uid = aws_unique_id("AIDA")
    f = File("aws/scripts/upload_reports.py")
    f.w('"""Nightly report upload.\n\nUsage: set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, e.g.\n')
    f.w("    export AWS_ACCESS_KEY_ID=%s" % AWS_DOC_KEY_ID_2).T(AWS_DOC_KEY_ID_2, "aws-doc-example")
    f.w("    export AWS_SECRET_ACCESS_KEY=%s" % AWS_DOC_SECRET_2).T(AWS_DOC_SECRET_2, "aws-doc-example")
    f.w('"""\nimport os\n\nimport boto3\n')
    f.w("BUILD_COMMIT = \"%s\"  # secret rotation landed here" % sha1hex()).T("BUILD_COMMIT", "git-sha")
    f.w("OWNER_ID = \"%s\"  # IAM user id of the report bot" % uid).T(uid, "aws-identifier")
    f.w("\n\ndef client_from_env():")
    f.w('    return boto3.client("s3", aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])').T(
        'aws_secret_access_key=os.environ', "env-ref"
    )
    f.w("\n\ndef legacy_client():")
    f.w("    # TODO: move to the instance role")
    f.w("    return boto3.client(")
    f.w('        "s3",')
    f.w('        aws_access_key_id="%s",' % kid).P(kid, "aws-access-key-id")
    f.w('        aws_secret_access_key="%s",' % sec).P(sec, "aws-secret-access-key")
    f.w('        region_name="eu-west-1",\n    )')

    # presigned URLs in JS
    kid = aws_key_id()
    skid, stok = aws_key_id("ASIA"), aws_session_token(True, 640)
    f = File("aws/web/download-links.js")
    f.w("// Links pasted from the support ticket; they expire after an hour.")
    url1 = (
        "https://nw-exports.s3.eu-west-1.amazonaws.com/2025/03/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=%s%%2F20250301%%2Feu-west-1%%2Fs3%%2Faws4_request&X-Amz-Date=20250301T101500Z"
        "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=%s" % (kid, sha256hex())
    )
    f.w("export const REPORT_URL =\n  '%s';" % url1).P(kid, "aws-access-key-id")
    url2 = (
        "https://nw-exports.s3.amazonaws.com/invoices/8841.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=%s%%2F20250302%%2Fus-east-1%%2Fs3%%2Faws4_request&X-Amz-Date=20250302T080000Z"
        "&X-Amz-Expires=900&X-Amz-SignedHeaders=host\n  &X-Amz-Security-Token=%s"
        "\n  &X-Amz-Signature=%s" % (skid, urllib.parse.quote(stok, safe=""), sha256hex())
    )
    f.w("export const INVOICE_URL = `%s`;" % url2).P(skid, "aws-access-key-id").P(
        "X-Amz-Security-Token=", "aws-session-token"
    )
    sig = sha256hex()
    f.w("// docs sample, see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html")
    f.w(
        "const SAMPLE = 'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Credential=%s%%2F20130524%%2Fus-east-1%%2Fs3%%2Faws4_request&X-Amz-Signature=%s';"
        % (AWS_DOC_KEY_ID, sig)
    ).T("const SAMPLE", "aws-doc-example")
    f.w("const SIG_ONLY = '%s';  // X-Amz-Signature of the request above" % sha256hex()).T(
        "SIG_ONLY", "sha256-hex"
    )

    # sts assume-role output
    k, s, t = aws_key_id("ASIA"), aws_secret(), aws_session_token(True)
    role_id = aws_unique_id("AROA")
    sts = {
        "Credentials": {
            "AccessKeyId": k,
            "SecretAccessKey": s,
            "SessionToken": t,
            "Expiration": "2025-03-04T18:22:31+00:00",
        },
        "AssumedRoleUser": {
            "AssumedRoleId": role_id + ":deploy-session",
            "Arn": "arn:aws:sts::%s:assumed-role/Deployer/deploy-session" % aws_account(),
        },
    }
    f = File("aws/cache/assume-role-output.json")
    f.w(json.dumps(sts, indent=4))
    f.P(k, "aws-access-key-id").P(s, "aws-secret-access-key").P(t, "aws-session-token")
    f.T(role_id, "aws-identifier").T('"Arn"', "arn")

    # iam list-users / list-access-keys
    f = File("aws/iam/list-users.json")
    users = []
    for name in ["ci-bot", "report-bot", "jdoe"]:
        uid = aws_unique_id("AIDA")
        users.append(
            {
                "Path": "/",
                "UserName": name,
                "UserId": uid,
                "Arn": "arn:aws:iam::%s:user/%s" % (acct, name),
                "CreateDate": "2023-0%d-1%dT09:12:44+00:00" % (rng.randrange(1, 9), rng.randrange(10)),
            }
        )
    f.w(json.dumps({"Users": users}, indent=2))
    for u in users:
        f.T(u["UserId"], "aws-identifier")
    f = File("aws/iam/list-access-keys.json")
    keys = [aws_key_id(), aws_key_id()]
    f.w(
        json.dumps(
            {
                "AccessKeyMetadata": [
                    {"UserName": "ci-bot", "AccessKeyId": keys[0], "Status": "Active", "CreateDate": "2024-11-02T10:01:12+00:00"},
                    {"UserName": "ci-bot", "AccessKeyId": keys[1], "Status": "Inactive", "CreateDate": "2023-02-19T16:40:03+00:00"},
                ]
            },
            indent=2,
        )
    )
    for k in keys:
        f.P(k, "aws-access-key-id")

    # Java properties
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/src/main/resources/application.properties")
    f.w("spring.application.name=ledger")
    f.w("aws.region=eu-west-1")
    f.w("aws.accessKeyId=%s" % kid).P(kid, "aws-access-key-id")
    f.w("aws.secretKey=%s" % sec).P(sec, "aws-secret-access-key")
    f.w("cloud.aws.credentials.secret-key=${AWS_SECRET_KEY}").T("cloud.aws.credentials.secret-key", "env-ref")
    f.w("cloud.aws.stack.auto=false")

    # docker-compose with localstack defaults and a real key
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/docker-compose.yml")
    f.w("services:\n  localstack:\n    image: localstack/localstack:3.4\n    environment:")
    f.w("      - AWS_ACCESS_KEY_ID=test").T("AWS_ACCESS_KEY_ID=test", "default-credential")
    f.w("      - AWS_SECRET_ACCESS_KEY=test").T("AWS_SECRET_ACCESS_KEY=test", "default-credential")
    f.w("  worker:\n    build: .\n    environment:")
    f.w("      AWS_ACCESS_KEY_ID: %s" % kid).P(kid, "aws-access-key-id")
    f.w('      AWS_SECRET_ACCESS_KEY: "%s"' % sec).P(sec, "aws-secret-access-key")
    f.w("      AWS_DEFAULT_REGION: us-east-1")
    f.w("  minio:\n    image: minio/minio\n    environment:")
    f.w("      MINIO_ROOT_USER: minioadmin")
    f.w("      MINIO_ROOT_PASSWORD: minioadmin").T("MINIO_ROOT_PASSWORD", "default-credential")

    # GitHub Actions workflow: only references
    f = File("aws/.github/workflows/deploy.yml")
    f.w("name: deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:")
    f.w("      - uses: aws-actions/configure-aws-credentials@v4\n        with:")
    f.w("          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}").T("aws-access-key-id: ${{", "ci-secret-ref")
    f.w("          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}").T(
        "aws-secret-access-key: ${{", "ci-secret-ref"
    )
    f.w("          role-to-assume: arn:aws:iam::%s:role/GithubDeploy" % acct).T("role/GithubDeploy", "arn")
    f.w("          aws-region: eu-west-1")
    f.w("      - run: aws s3 sync ./dist s3://nw-site --delete")

    # README with docs examples, format prose, and one real leak
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/README.md")
    f.w("# ingest worker\n\n## Credentials\n")
    f.w("Access key ids start with `AKIA` (long-term) or `ASIA` (temporary) and are followed by 16")
    f.w("upper-case letters and digits; the secret is 40 characters of base64.\n").T(
        "upper-case letters and digits", "prose"
    )
    f.w("```ini\n[default]")
    f.w("aws_access_key_id = %s" % AWS_DOC_KEY_ID).T("= %s\n" % AWS_DOC_KEY_ID, "aws-doc-example")
    f.w("aws_secret_access_key = %s" % AWS_SIGV4_SECRET).T(AWS_SIGV4_SECRET, "aws-doc-example")
    f.w("```\n")
    f.w("Never commit keys; use `aws_secret_access_key = {{ vault_aws_secret }}` in Ansible.").T(
        "{{ vault_aws_secret }}", "template-ref"
    )
    f.w("\n## Troubleshooting\n\nIf uploads fail with `SignatureDoesNotMatch`, check the pair, e.g.:\n")
    f.w("```\n$ aws configure list")
    f.w("      Name                    Value             Type    Location")
    f.w("access_key     ****************%s shared-credentials-file" % kid[-4:]).T(
        "****************", "masked"
    )
    f.w("$ AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s aws s3 ls" % (kid, sec)).P(
        kid, "aws-access-key-id"
    ).P(sec, "aws-secret-access-key")
    f.w("```")
    f.w("\nA truncated id such as `%s` in logs is not a credential." % kid[:14]).T(
        "A truncated id", "truncated"
    )

    # canary key (a real key of a canary account: reported, flagged canary)
    f = File("aws/.env.backup")
    csec = aws_secret()
    f.w("# restored from the old bastion")
    f.w("AWS_ACCESS_KEY_ID=%s" % AWS_CANARY_KEY_ID).P(AWS_CANARY_KEY_ID, "aws-access-key-id")
    f.w("AWS_SECRET_ACCESS_KEY=%s" % csec).P(csec, "aws-secret-access-key")

    # IAM console credentials CSV
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/iam/credentials.csv")
    f.w("User name,Password,Access key ID,Secret access key,Console login link")
    f.w("etl-runner,,%s,%s,https://%s.signin.aws.amazon.com/console" % (kid, sec, acct)).P(
        kid, "aws-access-key-id"
    ).P(sec, "aws-secret-access-key")
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/iam/etl_accessKeys.csv")
    f.w("Access key ID,Secret access key")
    f.w("%s,%s" % (kid, sec)).P(kid, "aws-access-key-id").P(sec, "aws-secret-access-key")

    # Bedrock keys
    long1 = bedrock_long_term()
    short1 = bedrock_short_term(aws_key_id("ASIA"), "20250814T101500Z")
    f = File("aws/bedrock/.env")
    f.w("BEDROCK_MODEL_ID=anthropic.claude-3-5-sonnet-20240620-v1:0")
    f.w("AWS_BEARER_TOKEN_BEDROCK=%s" % long1).P(long1, "aws-bedrock-api-key")
    f.w("# short-term key from the console, valid 12h")
    f.w("BEDROCK_SHORT_KEY=%s" % short1).P(short1, "aws-bedrock-short-term-key")
    f.w("# AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleS...").T("ABSKQmVkcm9ja0FQSUtleS...", "truncated")
    long2 = bedrock_long_term()
    f = File("aws/bedrock/client.py")
    f.w("import requests\n")
    f.w('API_KEY = "%s"' % long2).P(long2, "aws-bedrock-api-key")
    f.w('ENDPOINT = "https://bedrock-runtime.us-east-1.amazonaws.com/model/{}/converse"\n')
    f.w("def converse(model, prompt, key=API_KEY):")
    f.w('    headers = {"Authorization": f"Bearer {key}"}').T('{"Authorization": f"Bearer {key}"}', "format-string")
    f.w('    return requests.post(ENDPOINT.format(model), json={"messages": prompt}, headers=headers)')

    # Dockerfile
    kid, sec = aws_key_id(), aws_secret()
    f = File("aws/Dockerfile")
    f.w("FROM python:3.12-slim")
    f.w("ARG AWS_SECRET_ACCESS_KEY").T("ARG AWS_SECRET_ACCESS_KEY", "env-ref")
    f.w("ENV AWS_ACCESS_KEY_ID=%s" % kid).P(kid, "aws-access-key-id")
    f.w("ENV AWS_SECRET_ACCESS_KEY=%s" % sec).P(sec, "aws-secret-access-key")
    f.w("COPY . /app\nRUN pip install -r /app/requirements.txt\nCMD [\"python\", \"/app/main.py\"]")

    # Go SDK v1 static credentials + an id that cannot be base32 (medium)
    kid, sec = aws_key_id(), aws_secret()
    odd = "AKIA" + "".join(rng.choice(UPPER + "0189") for _ in range(16))
    f = File("aws/internal/storage/client.go")
    f.w('package storage\n\nimport (\n\t"github.com/aws/aws-sdk-go/aws"\n\t"github.com/aws/aws-sdk-go/aws/credentials"\n)\n')
    f.w("const buildSHA = \"%s\"\n" % sha1hex()).T("buildSHA", "git-sha")
    f.w("func staticConfig() *aws.Config {")
    f.w("\tcreds := credentials.NewStaticCredentials(\"%s\", \"%s\", \"\")" % (kid, sec)).P(
        kid, "aws-access-key-id"
    ).P(sec, "aws-secret-access-key")
    f.w('\treturn aws.NewConfig().WithCredentials(creds).WithRegion("eu-west-1")\n}\n')
    f.w("// key imported from the 2016 account; its id predates the base32 scheme")
    f.w("var legacyKeyID = \"%s\"" % odd).P(odd, "aws-access-key-id", "medium")

    # ABIA / ACCA ids
    abia, acca = aws_key_id("ABIA"), aws_key_id("ACCA")
    f = File("aws/logs/cloudtrail-sample.json")
    f.w(
        json.dumps(
            {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": aws_unique_id("AROA") + ":svc",
                    "accessKeyId": abia,
                },
                "eventSource": "sts.amazonaws.com",
                "eventName": "GetServiceBearerToken",
                "requestParameters": {"credentialId": acca},
            },
            indent=2,
        )
    )
    f.P(abia, "aws-access-key-id-other", "medium").P(acca, "aws-access-key-id-other", "medium")
    f.T('"principalId"', "aws-identifier")

    # hashes and other 40-character shapes near AWS words
    kid = aws_key_id()
    f = File("aws/release-notes.txt")
    f.w("Release 4.2.0")
    f.w("- rotated the deploy key %s (commit %s)" % (kid, sha1hex())).P(kid, "aws-access-key-id").T(
        "(commit ", "git-sha"
    )
    f.w("- aws_secret_access_key now read from SSM parameter /prod/ingest/aws_secret_access_key").T(
        "/prod/ingest/aws_secret_access_key", "file-path"
    )
    f.w("- aws_secret checksum sha1: %s" % sha1hex().upper()).T("checksum sha1", "hex-digest")
    f.w("- secretAccessKey must be 40 characters: ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn").T(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn", "sequential"
    )
    f.w("- AWS_SECRET_ACCESS_KEY=%s (one char short)" % aws_secret()[:39]).T("(one char short)", "wrong-length")


# ------------------------------------------------------------------ GCP


def sa_key(project=None, email=None, key_der=None):
    project = project or gcp_project()
    if email is None:
        email = "%s@%s.iam.gserviceaccount.com" % (
            rng.choice(["orders-sync", "etl-runner", "ci-deployer", "bq-reader", "terraform"]),
            project,
        )
    if key_der is None:
        key_der = rsa_key()[1]
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": rs(HEX, 40),
        "private_key": pem("PRIVATE KEY", key_der),
        "client_email": email,
        "client_id": str(rng.randrange(10**20, 10**21)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + urllib.parse.quote(email, safe=""),
        "universe_domain": "googleapis.com",
    }


SA_NEEDLE = '"private_key": "-----BEGIN'


def gen_gcp():
    # gcloud-style key files
    f = File("gcp/keys/orders-core-sa.json")
    f.w(json.dumps(sa_key(), indent=2)).P(SA_NEEDLE, "gcp-service-account-key")

    proj = gcp_project()
    f = File("gcp/keys/%s-3f2a1c9b7d04.json" % proj)
    f.w(json.dumps(sa_key(proj), indent=2)).P(SA_NEEDLE, "gcp-service-account-key")

    proj = gcp_project()
    f = File("gcp/firebase/serviceAccountKey.json")
    email = "firebase-adminsdk-%s@%s.iam.gserviceaccount.com" % (rs(LOWER + DIGITS, 5), proj)
    f.w(json.dumps(sa_key(proj, email), indent=2)).P(SA_NEEDLE, "gcp-service-account-key")

    f = File("gcp/keys/sorted-dump.json")
    f.w(json.dumps(sa_key(), sort_keys=True)).P('"private_key": "-----BEGIN', "gcp-service-account-key")

    # compute default service account, minified JSON
    proj = gcp_project()
    f = File("gcp/keys/compute-default.json")
    email = "%d-compute@developer.gserviceaccount.com" % rng.randrange(10**11, 10**12)
    f.w(json.dumps(sa_key(proj, email), separators=(",", ":"))).P('"private_key":"-----BEGIN', "gcp-service-account-key")

    # the intentionally public k8s test service account
    f = File("gcp/testdata/image-pulling-sa.json")
    # Its key is published on purpose: the service-account check rejects it.
    # The same bytes are still a well-formed private key, and the engine has
    # no way for a rejected service-account match to silence the bare
    # `private-key` finding, so that one is expected (a known gap, reported).
    f.w(json.dumps(sa_key("authenticated-image-pulling", PUBLIC_TEST_SA), indent=2)).T(
        '"client_email": "image-pulling@', "public-test-sa"
    ).P(SA_NEEDLE, "private-key")

    # templates and elided keys
    f = File("gcp/docs/sa-template.json")
    t = sa_key()
    t["private_key"] = "-----BEGIN PRIVATE KEY-----\n<your-private-key>\n-----END PRIVATE KEY-----\n"
    t["private_key_id"] = "<key-id>"
    f.w(json.dumps(t, indent=2)).T(SA_NEEDLE, "placeholder")
    f = File("gcp/docs/sa-elided.json")
    t = sa_key()
    body = t["private_key"].split("\n")
    t["private_key"] = "\n".join(body[:2] + ["...", body[-3]] + body[-2:])
    f.w(json.dumps(t, indent=2)).T(SA_NEEDLE, "truncated")

    # Kubernetes Secret with the key file in stringData
    f = File("gcp/k8s/gcp-credentials-secret.yaml")
    sa = json.dumps(sa_key(), indent=2)
    f.w("apiVersion: v1\nkind: Secret\nmetadata:\n  name: gcp-credentials\n  namespace: pipelines\ntype: Opaque\nstringData:")
    f.w("  key.json: |")
    f.w("\n".join("    " + l for l in sa.split("\n")))
    f.P(SA_NEEDLE, "gcp-service-account-key")

    # the key file as an escaped string in a CI variables export
    f = File("gcp/ci/variables.json")
    sa = json.dumps(sa_key(), separators=(",", ":"))
    f.w(json.dumps({"variables": [{"key": "GCP_SA_KEY", "value": sa, "protected": True}]}, indent=2))
    f.P('private_key\\":', "gcp-service-account-key")

    # ADC user credentials
    cid, csec, rt = gcp_client_id(), gcp_legacy_secret(), gcp_refresh_token()
    f = File("gcp/gcloud/application_default_credentials.json")
    f.w(json.dumps({"client_id": cid, "client_secret": csec, "quota_project_id": gcp_project(), "refresh_token": rt, "type": "authorized_user"}, indent=2))
    f.P(csec, "gcp-oauth-client-secret-legacy", "medium").P(rt, "gcp-oauth-refresh-token")
    rt = gcp_refresh_token()
    f = File("gcp/gcloud/legacy_credentials/adc.json")
    f.w(json.dumps({"client_id": GCLOUD_CLIENT_ID, "client_secret": GCLOUD_CLIENT_SECRET, "refresh_token": rt, "type": "authorized_user"}, indent=2))
    f.T(GCLOUD_CLIENT_SECRET, "gcloud-public-secret").P(rt, "gcp-oauth-refresh-token")

    # workload identity federation config: no secret
    f = File("gcp/gcloud/wif-config.json")
    f.w(
        json.dumps(
            {
                "type": "external_account",
                "audience": "//iam.googleapis.com/projects/%d/locations/global/workloadIdentityPools/github/providers/gh" % rng.randrange(10**11, 10**12),
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                "token_url": "https://sts.googleapis.com/v1/token",
                "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@%s.iam.gserviceaccount.com:generateAccessToken" % gcp_project(),
                "credential_source": {"file": "/var/run/secrets/tokens/gcp-ksa/token", "format": {"type": "text"}},
            },
            indent=2,
        )
    ).T('"external_account"', "wif-config").T('"credential_source"', "file-path")

    # .env with API/auth keys and an OAuth client
    k1, k2, cs = gcp_api_key(), gcp_auth_key(), gcp_oauth_secret()
    cid = gcp_client_id()
    f = File("gcp/.env")
    f.w("GOOGLE_CLOUD_PROJECT=%s" % gcp_project())
    f.w("GOOGLE_APPLICATION_CREDENTIALS=/secrets/gcp/key.json").T("GOOGLE_APPLICATION_CREDENTIALS", "file-path")
    f.w("GOOGLE_API_KEY=%s" % k1).P(k1, "gcp-api-key")
    f.w("GEMINI_API_KEY=%s" % k2).P(k2, "gcp-auth-key")
    f.w("GOOGLE_CLIENT_ID=%s" % cid).T(cid, "client-id")
    f.w("GOOGLE_CLIENT_SECRET=%s" % cs).P(cs, "gcp-oauth-client-secret")
    f.w("MAPS_API_KEY=AIzaSy" + "X" * 33).T("MAPS_API_KEY", "placeholder")
    f.w("GOOGLE_API_KEY_OLD=%s" % gcp_api_key()[:-3]).T("GOOGLE_API_KEY_OLD", "truncated")

    # Firebase web config (public browser key, still reported) and the SDK sample key
    k = gcp_api_key()
    proj = gcp_project()
    f = File("gcp/web/src/firebase.ts")
    f.w('import { initializeApp } from "firebase/app";\n')
    f.w("const firebaseConfig = {")
    f.w('  apiKey: "%s",' % k).P(k, "gcp-api-key")
    f.w('  authDomain: "%s.firebaseapp.com",\n  projectId: "%s",' % (proj, proj))
    f.w('  storageBucket: "%s.appspot.com",\n  messagingSenderId: "%d",' % (proj, rng.randrange(10**11, 10**12)))
    f.w('  appId: "1:%d:web:%s",\n};\n' % (rng.randrange(10**11, 10**12), rs(HEX, 22))).T('appId: "1:', "app-id")
    f.w("// from the firebase-android-sdk test fixtures")
    f.w('export const SAMPLE_KEY = "%s";' % FIREBASE_SAMPLE_KEY).T(FIREBASE_SAMPLE_KEY, "firebase-sample-key")
    f.w("export const app = initializeApp(firebaseConfig);")

    k = gcp_api_key()
    f = File("gcp/android/app/google-services.json")
    proj = gcp_project()
    num = rng.randrange(10**11, 10**12)
    gs = {
        "project_info": {"project_number": str(num), "project_id": proj, "storage_bucket": proj + ".appspot.com"},
        "client": [
            {
                "client_info": {"mobilesdk_app_id": "1:%d:android:%s" % (num, rs(HEX, 16)), "android_client_info": {"package_name": "dev.northwind.shop"}},
                "oauth_client": [{"client_id": "%d-%s.apps.googleusercontent.com" % (num, rs(LOWER + DIGITS, 32)), "client_type": 3}],
                "api_key": [{"current_key": k}],
            }
        ],
        "configuration_version": "1",
    }
    f.w(json.dumps(gs, indent=2)).P(k, "gcp-api-key").T('"client_id"', "client-id")

    # OAuth client secret files (current and legacy format)
    cid, cs = gcp_client_id(), gcp_oauth_secret()
    f = File("gcp/oauth/client_secret_web.json")
    f.w(json.dumps({"web": {"client_id": cid, "project_id": gcp_project(), "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token", "client_secret": cs, "redirect_uris": ["https://shop.northwind.dev/oauth/callback"]}}))
    f.P(cs, "gcp-oauth-client-secret")
    cid, cs = gcp_client_id(), gcp_legacy_secret()
    f = File("gcp/oauth/client_secret_installed.json")
    f.w(json.dumps({"installed": {"client_id": cid, "project_id": gcp_project(), "client_secret": cs, "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob", "http://localhost"]}}, indent=2))
    f.P(cs, "gcp-oauth-client-secret-legacy", "medium")
    cs = gcp_legacy_secret()
    f = File("gcp/oauth/settings.py")
    f.w("# OAuth app for the internal dashboard")
    f.w('GOOGLE_OAUTH_CLIENT_ID = "%s"' % gcp_client_id())
    f.w('GOOGLE_OAUTH_CLIENT_SECRET = "%s"' % cs).P(cs, "gcp-oauth-client-secret-legacy", "medium")
    f.w("\n# gcloud's own installed-app client: public by design")
    f.w('GCLOUD_CLIENT_ID = "%s"' % GCLOUD_CLIENT_ID)
    f.w('GCLOUD_CLIENT_SECRET = "%s"' % GCLOUD_CLIENT_SECRET).T("GCLOUD_CLIENT_SECRET =", "gcloud-public-secret")
    f.w('\nSESSION_SALT = "%s"  # not near any client id' % gcp_legacy_secret()).T("SESSION_SALT", "random-string")

    # HMAC keys: boto config and gcloud output
    aid, sec = gcp_hmac_access_id(), gcp_hmac_secret()
    f = File("gcp/storage/.boto")
    f.w("[Credentials]")
    f.w("gs_access_key_id = %s" % aid).T(aid, "hmac-access-id")
    f.w("gs_secret_access_key = %s" % sec).P(sec, "gcp-hmac-key")
    f.w("\n[GSUtil]\ndefault_project_id = %s" % gcp_project())
    aid, sec = gcp_hmac_access_id(False), gcp_hmac_secret()
    f = File("gcp/storage/hmac-create.yaml")
    f.w("metadata:")
    f.w("  accessId: %s" % aid)
    f.w("  etag: %s" % b64(bytes(rng.randrange(256) for _ in range(9))))
    f.w("  id: %s/%s" % (gcp_project(), aid))
    f.w("  kind: storage#hmacKey\n  projectId: %s" % gcp_project())
    f.w("  serviceAccountEmail: hmac-user@%s.iam.gserviceaccount.com\n  state: ACTIVE" % gcp_project())
    f.w("secret: %s" % sec).P(sec, "gcp-hmac-key")

    # tokens in docs and scripts
    at, rt = gcp_access_token(), gcp_refresh_token()
    f = File("gcp/docs/debugging-auth.md")
    f.w("# Debugging auth\n\nCheck what a token can do:\n\n```sh")
    f.w('curl -H "Authorization: Bearer %s" \\' % at).P(at, "gcp-oauth-access-token")
    f.w("  https://www.googleapis.com/oauth2/v3/tokeninfo\n```\n")
    f.w("Tokens look like `ya29.a0AfH6SM...` and expire after an hour; refresh tokens start with `1//0`.").T(
        "ya29.a0AfH6SM...", "truncated"
    )
    f.w("\nReplace `ya29.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` with your own token.").T("ya29.xxx", "placeholder")
    f.w("\nThe token that leaked in INC-2291 (revoked):\n")
    f.w("    refresh_token=%s" % rt).P(rt, "gcp-oauth-refresh-token")
    rt = gcp_refresh_token()
    f = File("gcp/scripts/refresh.sh")
    f.w("#!/bin/sh\nset -eu\n# exchange the stored refresh token for an access token")
    f.w("curl -s https://oauth2.googleapis.com/token \\")
    f.w('  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" \\').T('client_secret="$CLIENT_SECRET"', "env-ref")
    f.w("  -d grant_type=refresh_token \\")
    f.w("  -d refresh_token=%s" % urllib.parse.quote(rt, safe="")).P(
        urllib.parse.quote(rt, safe=""), "gcp-oauth-refresh-token"
    )

    # Terraform and Python config
    k = gcp_api_key()
    f = File("gcp/terraform/main.tf")
    f.w('provider "google" {')
    f.w('  credentials = file("${path.module}/sa.json")').T("credentials = file(", "file-path")
    f.w('  project     = "%s"\n  region      = "europe-west4"\n}\n' % gcp_project())
    f.w('resource "google_service_account_key" "ci" {\n  service_account_id = google_service_account.ci.name\n}\n')
    f.w('output "ci_key" {')
    f.w("  value     = google_service_account_key.ci.private_key").T("google_service_account_key.ci.private_key", "variable-ref")
    f.w("  sensitive = true\n}\n")
    f.w('resource "google_cloud_run_v2_service" "geo" {\n  name     = "geo"\n  location = "europe-west4"\n  template {\n    containers {\n      image = "europe-docker.pkg.dev/nw/geo:1.4"\n      env {\n        name  = "MAPS_KEY"')
    f.w('        value = "%s"' % k).P(k, "gcp-api-key")
    f.w("      }\n    }\n  }\n}")

    k = gcp_api_key()
    f = File("gcp/app/config.py")
    f.w("import os\n")
    f.w('GOOGLE_API_KEY = os.environ["GOOGLE_API_KEY"]').T('os.environ["GOOGLE_API_KEY"]', "env-ref")
    f.w('GEOCODER_KEY = "%s"  # restricted to the geocoding API' % k).P(k, "gcp-api-key")
    f.w('DOCS_URL = "https://developers.google.com/maps/documentation/javascript/get-api-key"').T("get-api-key", "prose")

    f = File("gcp/.github/workflows/ci.yml")
    f.w("jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: google-github-actions/auth@v2\n        with:")
    f.w("          credentials_json: ${{ secrets.GCP_SA_KEY }}").T("credentials_json: ${{", "ci-secret-ref")
    f.w("      - run: gcloud storage ls gs://nw-artifacts")
    k = gcp_auth_key()
    f = File("gcp/notebooks/gemini_quickstart.py")
    f.w("from google import genai\n")
    f.w('client = genai.Client(api_key="%s")' % k).P(k, "gcp-auth-key")
    f.w('print(client.models.generate_content(model="gemini-2.0-flash", contents="hello").text)')
    f.w('# client = genai.Client(api_key="AQ.Ab8R...")').T('"AQ.Ab8R..."', "truncated")


# ------------------------------------------------------------------ GitHub


def gen_github():
    t1, t2 = gh_token("ghp_"), gh_fine_grained()
    f = File("github/.env")
    f.w("GITHUB_OWNER=northwind")
    f.w("GITHUB_TOKEN=%s" % t1).P(t1, "github-token")
    f.w("GH_TOKEN=%s" % t2).P(t2, "github-fine-grained-pat")
    f.w("# GITHUB_TOKEN=ghp_" + "x" * 36).T("# GITHUB_TOKEN=ghp_", "placeholder")
    f.w("RENOVATE_TOKEN=${RENOVATE_TOKEN}").T("RENOVATE_TOKEN=${", "env-ref")

    t = gh_token("ghp_")
    f = File("github/.github/workflows/release.yml")
    f.w("name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4")
    f.w("      - run: gh release create ${{ github.ref_name }} --generate-notes\n        env:")
    f.w("          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}").T("GH_TOKEN: ${{", "ci-secret-ref")
    f.w("      - run: ./scripts/publish-homebrew.sh\n        env:")
    f.w("          HOMEBREW_TAP_TOKEN: %s" % t).P(t, "github-token")

    ts, to = gh_token("ghs_"), gh_token("gho_")
    f = File("github/scripts/mirror.sh")
    f.w("#!/usr/bin/env bash\nset -euo pipefail\n")
    f.w("git remote add mirror https://x-access-token:%s@github.com/northwind/infra-mirror.git" % ts).P(ts, "github-token")
    f.w("git push --mirror mirror")
    f.w('curl -fsS -H "Authorization: token %s" https://api.github.com/user/repos' % to).P(to, "github-token")
    f.w('curl -fsS -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/rate_limit').T(
        "Bearer $GITHUB_TOKEN", "env-ref"
    )

    tu, tr = gh_token("ghu_"), gh_token("ghr_")
    f = File("github/app/src/oauthCallback.ts")
    f.w("// Response captured while debugging the GitHub App login (2025-02-11)")
    f.w("export const SAMPLE_TOKEN_RESPONSE = {")
    f.w('  access_token: "%s",' % tu).P(tu, "github-token")
    f.w("  expires_in: 28800,")
    f.w('  refresh_token: "%s",' % tr).P(tr, "github-token")
    f.w("  refresh_token_expires_in: 15811200,\n  token_type: \"bearer\",\n};\n")
    f.w("export function tokenFrom(body: URLSearchParams): string | null {")
    f.w('  return body.get("access_token");').T('body.get("access_token")', "function-call")
    f.w("}")

    f = File("github/tests/test_token_format.py")
    f.w('"""Tokens that look right but are not: the scanner must not report them."""\n')
    bad = [gh_token_bad_checksum("ghp_"), gh_token_bad_checksum("gho_"), gh_token_bad_checksum("ghs_")]
    f.w("BAD_CHECKSUM = [")
    for b in bad:
        f.w('    "%s",' % b).T(b, "bad-checksum")
    f.w("]")
    f.w('ALL_A = "ghp_%s"' % ("A" * 36)).T("ALL_A", "placeholder")
    f.w('TOO_SHORT = "%s"' % gh_token("ghp_")[:-2]).T("TOO_SHORT", "wrong-length")
    f.w('FIXTURE_OK = "%s"  # keyhound:allow (fixture for the checksum test)' % gh_token("ghp_")).T(
        "FIXTURE_OK", "allow-comment"
    )
    f.w('PREFIX_ONLY = "ghp_"').T("PREFIX_ONLY", "prefix-only")

    f = File("github/docs/TOKENS.md")
    f.w("# Token formats\n")
    f.w("| prefix | kind |\n|---|---|")
    f.w("| `ghp_` | personal access token (classic) |").T("| `ghp_` |", "prose")
    f.w("| `github_pat_` | fine-grained personal access token |").T("| `github_pat_` |", "prose")
    f.w("\nA classic token is `ghp_` followed by 36 characters, e.g. `ghp_<36 characters>`.").T(
        "`ghp_<36 characters>`", "placeholder"
    )
    f.w("Fine-grained: `github_pat_11ABCDEFG0123456789_...`.").T("github_pat_11ABCDEFG", "truncated")

    t = gh_token("gho_")
    f = File("github/config/hub")
    f.w("github.com:\n- user: mkowalski")
    f.w("  oauth_token: %s" % t).P(t, "github-token")
    f.w("  protocol: https")

    t = gh_token("ghp_")
    f = File("github/.npmrc")
    f.w("@northwind:registry=https://npm.pkg.github.com")
    f.w("//npm.pkg.github.com/:_authToken=%s" % t).P(t, "github-token")
    f.w("//registry.npmjs.org/:_authToken=${NPM_TOKEN}").T("${NPM_TOKEN}", "env-ref")

    t = gh_token("ghp_")
    f = File("github/maven/settings.xml")
    f.w('<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n  <servers>\n    <server>\n      <id>github</id>\n      <username>ci-northwind</username>')
    f.w("      <password>%s</password>" % t).P(t, "github-token")
    f.w("    </server>\n    <server>\n      <id>nexus</id>\n      <username>deploy</username>")
    f.w("      <password>${env.NEXUS_PASSWORD}</password>").T("${env.NEXUS_PASSWORD}", "env-ref")
    f.w("    </server>\n  </servers>\n</settings>")

    t, t2 = gh_token("ghp_"), gh_fine_grained()
    f = File("github/.git-credentials")
    f.w("https://mkowalski:%s@github.com" % t).P(t, "github-token")
    f.w("https://mkowalski:%s@github.com" % t2).P(t2, "github-fine-grained-pat")

    t = gh_fine_grained()
    f = File("github/terraform/providers.tf")
    f.w('provider "github" {\n  owner = "northwind"')
    f.w('  token = "%s"' % t).P(t, "github-fine-grained-pat")
    f.w("}\n")
    f.w('variable "github_token" {\n  type      = string\n  sensitive = true\n}')
    f.w('provider "github" {\n  alias = "var"\n  token = var.github_token').T("token = var.github_token", "variable-ref")
    f.w("}")
    f.w('# github_pat_<redacted>').T("github_pat_<redacted>", "placeholder")


# ------------------------------------------------------------------ keys


def first_lines(text, n=2):
    return "\n".join(text.split("\n")[:n])


def gen_keys():
    E = EMBEDDED
    # OpenSSH keys and their public halves
    for path, name in [
        ("keys/ssh/id_ed25519", "openssh_ed25519_a"),
        ("keys/ssh/deploy_rsa", "openssh_rsa"),
        ("keys/ssh/jenkins_ecdsa", "openssh_ecdsa"),
    ]:
        f = File(path)
        f.w(E[name]).P(first_lines(E[name]), "private-key")
    f = File("keys/ssh/id_ed25519.pub")
    f.w(E["ssh_ed25519_pub"]).T("ssh-ed25519 ", "public-key")
    f = File("keys/ssh/deploy_rsa.pub")
    f.w(E["ssh_rsa_pub"]).T("ssh-rsa ", "public-key")
    f = File("keys/ssh/authorized_keys")
    f.w('command="/usr/local/bin/backup-only",no-pty ' + E["ssh_rsa_pub"].strip()).T("ssh-rsa", "public-key")
    f.w(E["ssh_ed25519_pub"].strip()).T("ssh-ed25519", "public-key")

    # TLS: PKCS#1 RSA key generated here, certificate, bundle
    p1, p8 = rsa_key()
    k = pem("RSA PRIVATE KEY", p1)
    f = File("keys/tls/server.key")
    f.w(k).P(first_lines(k), "private-key")
    f = File("keys/tls/server.crt")
    f.w(E["pem_certificate"]).T("-----BEGIN CERTIFICATE-----", "certificate")
    p1, p8 = rsa_key()
    k = pem("PRIVATE KEY", p8)
    f = File("keys/tls/bundle.pem")
    f.w(E["pem_certificate"]).T("-----BEGIN CERTIFICATE-----", "certificate")
    f.w(k).P(first_lines(k), "private-key")
    f = File("keys/tls/public.pem")
    f.w(E["pem_public"]).T("-----BEGIN PUBLIC KEY-----", "public-key")

    # EC / DSA
    f = File("keys/ec/signing-p256.pem")
    f.w(E["ec_p256_sec1"]).P(first_lines(E["ec_p256_sec1"]), "private-key")
    f = File("keys/ec/signing-p384.pkcs8.pem")
    f.w(E["ec_p384_pkcs8"]).P(first_lines(E["ec_p384_pkcs8"]), "private-key")
    f = File("keys/legacy/dsa.pem")
    f.w(E["dsa_trad"]).P(first_lines(E["dsa_trad"]), "private-key")

    # encrypted keys: still reported (low severity), same confidence
    for path, name in [
        ("keys/encrypted/api-signing.enc.pem", "rsa_pkcs8_encrypted"),
        ("keys/encrypted/legacy-aes.pem", "rsa_proc_encrypted"),
        ("keys/encrypted/id_ed25519_bastion", "openssh_ed25519_encrypted"),
    ]:
        f = File(path)
        f.w(E[name]).P(first_lines(E[name]), "private-key")

    # PGP
    f = File("keys/pgp/release-signing.asc")
    f.w(E["pgp_private"]).P(first_lines(E["pgp_private"]), "private-key")
    f = File("keys/pgp/release-public.asc")
    f.w(E["pgp_public"]).T("-----BEGIN PGP PUBLIC KEY BLOCK-----", "public-key")

    # PuTTY
    f = File("keys/putty/deploy.ppk")
    t = putty_ppk(E["openssh_ed25519_b"], 2)
    f.w(t).P("PuTTY-User-Key-File-2", "private-key-putty")
    f = File("keys/putty/ci-runner.ppk")
    t = putty_ppk(E["openssh_ed25519_a"], 3)
    f.w(t).P("PuTTY-User-Key-File-3", "private-key-putty")

    # Kubernetes TLS secret: base64 of PEMs
    p1, p8 = rsa_key()
    f = File("keys/k8s/ingress-tls.yaml")
    f.w("apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-ingress-tls\ntype: kubernetes.io/tls\ndata:")
    cert64 = b64(E["pem_certificate"].encode())
    key64 = b64(pem("RSA PRIVATE KEY", p1).encode())
    f.w("  tls.crt: %s" % cert64).T("tls.crt", "certificate")
    f.w("  tls.key: %s" % key64).P(key64[:60], "private-key-base64")
    f = File("keys/.env")
    ossh64 = b64(E["openssh_ed25519_b"].encode())
    f.w("DEPLOY_HOST=10.20.4.17")
    f.w("SSH_PRIVATE_KEY_B64=%s" % ossh64).P(ossh64[:60], "private-key-base64")
    esc = E["openssh_ed25519_a"].replace("\n", "\\n")
    f.w('SSH_PRIVATE_KEY="%s"' % esc).P('SSH_PRIVATE_KEY="', "private-key")
    f.w("SSH_PUBLIC_KEY_B64=%s" % b64(E["ssh_ed25519_pub"].encode())).T("SSH_PUBLIC_KEY_B64", "public-key")
    f.w("CA_CERT_B64=%s" % b64(E["pem_certificate"].encode())).T("CA_CERT_B64", "certificate")

    # `base64 id_rsa > deploy_key.b64` wraps at 76 columns
    wrapped = b64(E["openssh_rsa"].encode())
    wrapped = "\n".join(wrapped[i : i + 76] for i in range(0, len(wrapped), 76))
    f = File("keys/ci/deploy_key.b64")
    f.w(wrapped).P(wrapped[:60], "private-key-base64")

    # keys in code
    p1, _ = rsa_key()
    k = pem("RSA PRIVATE KEY", p1).strip().split("\n")
    f = File("keys/src/main/java/dev/northwind/auth/JwtSigner.java")
    f.w("package dev.northwind.auth;\n\nfinal class JwtSigner {")
    f.w("    // TODO(sec-412): load from the KMS instead")
    f.w("    private static final String SIGNING_KEY =")
    f.w(" +\n".join('        "%s\\n"' % l for l in k) + ";").P('"-----BEGIN RSA PRIVATE KEY-----\\n" +', "private-key")
    f.w("\n    private static final String PUBLIC_KEY = \"-----BEGIN PUBLIC KEY-----\\n\" + PUB_BODY;").T(
        "PUBLIC_KEY = ", "public-key"
    )
    f.w("}")

    _, p8 = rsa_key()
    k8 = pem("PRIVATE KEY", p8)
    ec = E["ec_p256_sec1"]
    f = File("keys/internal/tlsutil/testkeys.go")
    f.w("package tlsutil\n")
    f.w("// serverKey is the staging server's key (copied from the vault export).")
    f.w("const serverKey = `" + k8.strip() + "`").P("`-----BEGIN PRIVATE KEY-----", "private-key")
    f.w("")
    f.w('var ecKey = []byte("' + ec.strip().replace("\n", "\\n") + '")').P('("-----BEGIN EC PRIVATE KEY', "private-key")
    f.w("")
    f.w('const elided = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAwJ...\\n-----END RSA PRIVATE KEY-----"').T(
        "const elided", "truncated"
    )

    f = File("keys/tests/fixtures.py")
    f.w('"""Fixtures for the PEM parser tests."""\n')
    f.w('PLACEHOLDER = """-----BEGIN RSA PRIVATE KEY-----\n<paste the key here>\n-----END RSA PRIVATE KEY-----"""').T(
        "PLACEHOLDER = ", "placeholder"
    )
    f.w('TRUNCATED = """-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"""').T(
        "TRUNCATED = ", "truncated"
    )
    f.w('NOT_BASE64 = "-----BEGIN PRIVATE KEY-----\\n' + "this is not a key at all, just words " * 3 + '\\n-----END PRIVATE KEY-----"').T(
        "NOT_BASE64 = ", "not-a-key"
    )
    f.w("PUBLIC = '''" + E["pem_public"].strip() + "'''").T("PUBLIC = '''", "public-key")

    f = File("keys/README.md")
    f.w("# Keys\n\nGenerate a deploy key with `ssh-keygen -t ed25519 -C deploy@northwind` and paste the")
    f.w("`-----BEGIN OPENSSH PRIVATE KEY-----` block into the CI secret `DEPLOY_KEY`.").T(
        "`-----BEGIN OPENSSH PRIVATE KEY-----` block", "prose"
    )
    f.w("\nThe file must look like this:\n\n```")
    f.w("-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----").T(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n...", "placeholder"
    )
    f.w("```")

    # Ansible vars with a YAML block scalar
    k = E["openssh_rsa"].strip().split("\n")
    f = File("keys/ansible/group_vars/backup.yml")
    f.w("backup_user: restic\nbackup_host: vault-01.internal")
    f.w("backup_ssh_key: |")
    f.w("\n".join("  " + l for l in k)).P("  -----BEGIN OPENSSH PRIVATE KEY-----", "private-key")
    f.w("backup_ssh_pubkey: \"%s\"" % E["ssh_rsa_pub"].strip()).T("backup_ssh_pubkey", "public-key")

    # Dockerfile writes a key from a build arg (trap) and one inline (positive)
    k = E["openssh_ed25519_b"].strip().replace("\n", "\\n")
    f = File("keys/docker/Dockerfile")
    f.w("FROM alpine:3.20\nRUN apk add --no-cache openssh-client git")
    f.w("ARG SSH_KEY")
    f.w('RUN mkdir -p /root/.ssh && echo "$SSH_KEY" > /root/.ssh/id_ed25519').T('echo "$SSH_KEY"', "env-ref")
    f.w('RUN printf "%s\\n" > /root/.ssh/deploy_key && chmod 600 /root/.ssh/deploy_key' % k).P(
        'RUN printf "-----BEGIN', "private-key"
    )


# ------------------------------------------------------------------ JWT

JWT_IO_SAMPLE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def gen_jwt():
    now = 1754000000
    t1 = jwt(jwt_claims("https://id.northwind.dev/", "svc-reporting", "reports-api", now, 86400 * 365 * 5, scope="reports:write"), "HS256")
    t2 = jwt(jwt_claims("https://id.northwind.dev/", "user_5521", "shop-web", now - 86400 * 30, 3600, email="j.doe@northwind.dev"))
    f = File("jwt/.env")
    f.w("REPORTS_API_URL=https://reports.northwind.dev")
    f.w("REPORTS_API_TOKEN=%s" % t1).P(t1, "jwt", "medium")
    f.w("# expired session token captured from the browser")
    f.w("DEBUG_SESSION=%s" % t2).P(t2, "jwt", "medium")

    t = jwt(jwt_claims("https://auth.acme-logistics.io/", "m2m-billing", "billing", now, 86400 * 90), "RS256")
    f = File("jwt/clients/billing_client.py")
    f.w("import requests\n")
    f.w('HEADERS = {"Authorization": "Bearer %s"}' % t).P(t, "jwt", "medium")
    f.w('\ndef invoices():\n    return requests.get("https://billing.acme-logistics.io/v1/invoices", headers=HEADERS).json()')
    f.w('\n# jwt.io sample, used in the docs only\nSAMPLE = "%s"' % JWT_IO_SAMPLE).T(JWT_IO_SAMPLE, "jwt-sample")

    # Kubernetes service-account token
    t = jwt(
        {
            "aud": ["https://kubernetes.default.svc.cluster.local"],
            "exp": now + 86400 * 365,
            "iat": now,
            "iss": "https://kubernetes.default.svc.cluster.local",
            "kubernetes.io": {"namespace": "ci", "serviceaccount": {"name": "deployer", "uid": uuid4()}},
            "nbf": now,
            "sub": "system:serviceaccount:ci:deployer",
        },
        "RS256",
    )
    f = File("jwt/k8s/kubeconfig-ci.yaml")
    f.w("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://k8s.northwind.internal:6443\n  name: prod\nusers:\n- name: deployer\n  user:")
    f.w("    token: %s" % t).P(t, "kubernetes-service-account-token")
    f.w("contexts:\n- context:\n    cluster: prod\n    user: deployer\n  name: prod\ncurrent-context: prod")

    # Supabase keys (anon is public-ish but still a signed JWT; service_role is critical)
    ref = rs(LOWER, 20)
    anon = jwt({"iss": "supabase", "ref": ref, "role": "anon", "iat": 1717000000, "exp": 2032576000}, "HS256", kid=False)
    svc = jwt({"iss": "supabase", "ref": ref, "role": "service_role", "iat": 1717000000, "exp": 2032576000}, "HS256", kid=False)
    f = File("jwt/supabase/.env.local")
    f.w("NEXT_PUBLIC_SUPABASE_URL=https://%s.supabase.co" % ref)
    f.w("NEXT_PUBLIC_SUPABASE_ANON_KEY=%s" % anon).P(anon, "jwt", "medium")
    f.w("SUPABASE_SERVICE_ROLE_KEY=%s" % svc).P(svc, "supabase-service-role-key")

    # HAR capture with a cookie
    t = jwt(jwt_claims("https://shop.northwind.dev", "cust_30021", "shop", now - 7200, 7200), "ES256")
    f = File("jwt/captures/checkout.har")
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "request": {
                        "method": "POST",
                        "url": "https://shop.northwind.dev/api/checkout",
                        "headers": [{"name": "Cookie", "value": "session=%s; theme=dark" % t}],
                    },
                    "response": {"status": 200},
                }
            ],
        }
    }
    f.w(json.dumps(har, indent=2)).P(t, "jwt", "medium")

    # docs and traps
    header_only = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    unsigned = "%s.%s." % (b64url(b'{"alg":"none","typ":"JWT"}'), b64url(json.dumps({"sub": "admin", "iat": now}).encode()))
    notjwt = "%s.%s.%s" % (
        b64url(json.dumps({"kind": "config", "version": 3}).encode()),
        b64url(json.dumps({"replicas": 2, "image": "shop:1.9"}).encode()),
        b64url(bytes(rng.randrange(256) for _ in range(24))),
    )
    cfg = b64(json.dumps({"auths": {"registry.northwind.dev": {"email": "ci@northwind.dev"}}}).encode())
    f = File("jwt/README.md")
    f.w("# Auth\n\nTokens are JWTs: `eyJhbGciOi...` (header), payload and signature.").T("`eyJhbGciOi...`", "truncated")
    f.w("\nHeader only: `%s`" % header_only).T("Header only", "jwt-header-only")
    f.w("\nUnsigned tokens are rejected: `%s`" % unsigned).T("Unsigned tokens", "unsigned-jwt")
    f.w("\nThe canonical example from jwt.io: `%s`" % JWT_IO_SAMPLE).T("canonical example", "jwt-sample")
    f.w("\nNot a JWT (no `alg`): `%s`" % notjwt).T("Not a JWT", "base64-json")
    f.w("\nRegistry config: `%s`" % cfg).T("Registry config", "base64-json")
    t = jwt(jwt_claims("https://id.northwind.dev/", "svc-ops", "ops", now, 86400 * 30), "HS512")
    f.w("\nUse it like this:\n\n```\ncurl -H 'Authorization: Bearer %s' https://ops.northwind.dev/health\n```" % t).P(
        t, "jwt", "medium"
    )


# ------------------------------------------------------------------ generic


def data_uri(n=600):
    return "data:image/png;base64," + b64(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(n)))


def gen_generic():
    G, C = "generic-password", "generic-connection-string-password"
    pw1, pw2, sk = password(), password(), app_secret()
    rpw = url_password()
    f = File("generic/.env")
    f.w("APP_NAME=storefront\nAPP_DEBUG=false")
    f.w("DB_HOST=db.internal\nDB_USER=storefront")
    f.w("DB_PASSWORD=%s" % pw1).P(pw1, G, "low")
    f.w("REDIS_URL=redis://default:%s@cache.internal:6379/0" % rpw).P(rpw, C, "medium")
    f.w("APP_SECRET=%s" % sk).P(sk, G, "low")
    f.w("SMTP_PASSWORD=").T("SMTP_PASSWORD=", "empty-value")
    f.w("ADMIN_PASSWORD=changeme").T("ADMIN_PASSWORD=changeme", "placeholder")
    f.w("REPLICA_PASSWORD=${DB_PASSWORD}").T("REPLICA_PASSWORD=${", "env-ref")
    f.w("BACKUP_PASSWORD=<set-in-vault>").T("<set-in-vault>", "placeholder")
    f.w("API_TOKEN=%s" % pw2).P(pw2, G, "low")

    pw, sk, mpw = password(), app_secret(), url_password()
    f = File("generic/shop/settings.py")
    f.w("import os\n")
    f.w("SECRET_KEY = \"%s\"" % sk).P(sk, G, "low")
    f.w("DEBUG = False\n")
    f.w("DATABASES = {\n    \"default\": {\n        \"ENGINE\": \"django.db.backends.postgresql\",\n        \"NAME\": \"shop\",\n        \"USER\": \"shop\",")
    f.w('        "PASSWORD": "%s",' % pw).P(pw, G, "low")
    f.w('        "HOST": "db.internal",\n    },\n    "replica": {')
    f.w('        "PASSWORD": os.environ.get("REPLICA_DB_PASSWORD"),').T('os.environ.get("REPLICA_DB_PASSWORD")', "env-ref")
    f.w("    },\n}\n")
    f.w("AUTH_PASSWORD_VALIDATORS = [\n    {\"NAME\": \"django.contrib.auth.password_validation.MinimumLengthValidator\"},\n]").T(
        "AUTH_PASSWORD_VALIDATORS", "identifier"
    )
    f.w('MONGO_URL = "mongodb+srv://shop-reader:%s@cluster0.k3hq2.mongodb.net/catalog?retryWrites=true&w=majority"' % mpw).P(mpw, "mongodb-atlas-connection-string")
    f.w('PASSWORD_RESET_TIMEOUT = 259200').T("PASSWORD_RESET_TIMEOUT", "identifier")
    f.w('EMAIL_HOST_PASSWORD = get_secret("smtp")').T('get_secret("smtp")', "function-call")

    pw = password()
    f = File("generic/config/database.yml")
    f.w("default: &default\n  adapter: postgresql\n  encoding: unicode\n  pool: 5\n")
    f.w("development:\n  <<: *default\n  database: shop_dev\n  password: <%= ENV['DB_PASSWORD'] %>").T("<%= ENV['DB_PASSWORD'] %>", "template-ref")
    f.w("\nproduction:\n  <<: *default\n  database: shop\n  username: shop")
    f.w("  password: %s" % pw).P(pw, G, "low")

    pw, cpw = password(), url_password()
    f = File("generic/docker-compose.yml")
    f.w("services:\n  db:\n    image: postgres:16\n    environment:")
    f.w("      POSTGRES_PASSWORD: postgres").T("POSTGRES_PASSWORD: postgres", "default-credential")
    f.w("  analytics-db:\n    image: postgres:16\n    environment:")
    f.w("      POSTGRES_PASSWORD: \"%s\"" % pw).P(pw, G, "low")
    f.w("  app:\n    build: .\n    environment:")
    f.w("      DATABASE_URL: postgres://app:%s@analytics-db:5432/app" % cpw).P(cpw, C, "medium")
    f.w("      TEST_DATABASE_URL: postgres://postgres:postgres@localhost:5432/test").T("TEST_DATABASE_URL", "default-credential")
    f.w("  rabbit:\n    image: rabbitmq:3-management\n    environment:")
    f.w("      RABBITMQ_DEFAULT_PASS: guest").T("RABBITMQ_DEFAULT_PASS: guest", "default-credential")
    f.w("      BROKER_URL: amqp://guest:guest@rabbit:5672/").T("amqp://guest:guest@", "default-credential")

    raw = password(20)
    f = File("generic/k8s/db-secret.yaml")
    f.w("apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\ntype: Opaque\nstringData:")
    f.w("  username: orders")
    f.w("  password: %s" % raw).P(raw, G, "low")
    f.w("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders\nspec:\n  template:\n    spec:\n      containers:\n      - name: orders\n        env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:")
    f.w("              name: orders-db\n              key: password").T("key: password", "identifier")

    key, tok = mixed(ALNUM, 32), password()
    f = File("generic/web/src/api.js")
    f.w("import axios from 'axios';\n")
    f.w("const apiKey = '%s';" % key).P(key, G, "low")
    f.w("export const client = axios.create({ baseURL: 'https://api.partner.example.net', headers: { 'X-Api-Key': apiKey } });\n")
    f.w("export function login(req) {")
    f.w("  const password = req.body.password;").T("req.body.password", "variable-ref")
    f.w("  if (password === 'letmein-debug-2024') { return true; }").T("password === ", "comparison")
    f.w("  return check(password);\n}")
    f.w("export const serviceToken = \"%s\";" % tok).P(tok, G, "low")

    cpw = url_password()
    f = File("generic/cmd/server/main.go")
    f.w('package main\n\nimport (\n\t"database/sql"\n\t"flag"\n)\n')
    f.w('var password = flag.String("password", "", "database password")').T('flag.String("password"', "function-call")
    f.w("\nfunc open() (*sql.DB, error) {")
    f.w('\tdsn := "postgres://svc_orders:%s@orders-db.internal:5432/orders?sslmode=require"' % cpw).P(cpw, C, "medium")
    f.w('\treturn sql.Open("postgres", dsn)\n}')

    pw = password()
    f = File("generic/src/main/resources/application-prod.properties")
    f.w("spring.datasource.url=jdbc:postgresql://db.internal:5432/ledger")
    f.w("spring.datasource.username=ledger")
    f.w("spring.datasource.password=%s" % pw).P(pw, G, "low")
    f.w("spring.mail.password=${MAIL_PASSWORD}").T("${MAIL_PASSWORD}", "env-ref")
    f.w("management.endpoints.web.exposure.include=health,info")

    f = File("generic/i18n/en.json")
    f.w(json.dumps({"login": {"password": "Password", "password_hint": "At least 8 characters", "forgot_password": "Forgot your password?", "token_expired": "Your session expired, please sign in again"}, "settings": {"api_key": "API key", "secret": "Secret"}}, indent=2))
    f.T('"password": "Password"', "i18n-label").T('"api_key": "API key"', "i18n-label")
    f = File("generic/i18n/de.json")
    f.w(json.dumps({"login": {"password": "Passwort", "new_password": "Neues Passwort eingeben"}}, indent=2))
    f.T('"password": "Passwort"', "i18n-label")

    f = File("generic/package-lock.json")
    deps = {}
    for name in ["left-pad", "lodash", "react", "chalk", "debug", "ms"]:
        deps["node_modules/" + name] = {
            "version": "%d.%d.%d" % (rng.randrange(1, 9), rng.randrange(20), rng.randrange(10)),
            "resolved": "https://registry.npmjs.org/%s/-/%s.tgz" % (name, name),
            "integrity": sha512_integrity(),
        }
    f.w(json.dumps({"name": "storefront", "lockfileVersion": 3, "packages": deps}, indent=2))
    for d in deps.values():
        f.T(d["integrity"], "lockfile-integrity")

    f = File("generic/release/manifest.yaml")
    f.w("release: 2025.03.2")
    f.w("commit: %s  # includes the secret-rotation fix" % sha1hex()).T("commit: ", "git-sha")
    f.w("artifacts:\n  - name: storefront.tar.gz")
    f.w("    sha256: %s" % sha256hex()).T("    sha256: ", "sha256-hex")
    f.w("secret_sha256: %s" % sha256hex()).T("secret_sha256", "sha256-hex")
    f.w("token_fingerprint: SHA256:%s" % b64(hashlib.sha256(b"k").digest()).rstrip("=")).T("token_fingerprint", "hex-digest")
    f.w("secretName: storefront-tls").T("secretName", "identifier")

    f = File("generic/app/logging_utils.py")
    f.w('import logging\n\nlog = logging.getLogger(__name__)\n')
    f.w('def audit(user, password):')
    f.w('    log.info("login user=%s password=%s", user, "***")').T('password=%s"', "format-string")
    f.w('    log.debug(f"token={mask(password)}")').T('f"token={mask', "format-string")
    f.w('    return {"password": None, "token": ""}').T('"password": None', "empty-value")

    f = File("generic/data/ids.json")
    f.w(json.dumps({"secretId": uuid4(), "tokenId": uuid4(), "requestId": uuid4(), "secret_version": uuid4()}, indent=2))
    f.T('"secretId"', "uuid").T('"tokenId"', "uuid").T('"secret_version"', "uuid")

    # minified bundle and CSS with data URIs
    f = File("generic/web/dist/app.min.js")
    js = (
        '!function(){"use strict";var e={password:"",token:null};function t(t){return e.password=t.target.value,e}'
        'function n(e){return fetch("/api/login",{method:"POST",body:JSON.stringify({password:e.password,token:e.token})})}'
        'var r="%s";window.__logo=r;var o=function(e){return e.secret||e.apiKey||""};' % data_uri(900)
        + 'for(var i=0;i<64;i++){var a=Math.random().toString(36).slice(2);o({secret:a})}'
        + "}();\n//# sourceMappingURL=app.min.js.map"
    )
    f.w(js).T('!function(){"use strict"', "minified-js")
    f = File("generic/web/dist/app.css")
    f.w(".logo{background:url(%s) no-repeat}" % data_uri(1200)).T(".logo{", "data-uri")
    f.w(".icon-key{background-image:url(%s)}" % data_uri(300)).T(".icon-key{", "data-uri")

    pw = password()
    f = File("generic/scripts/db-restore.sh")
    f.w("#!/usr/bin/env bash\nset -euo pipefail\n")
    f.w('mysql -u root -p"$MYSQL_PWD" shop < dump.sql').T('-p"$MYSQL_PWD"', "env-ref")
    f.w("PGPASSWORD='%s' psql -h db.internal -U restore shop < shop.sql" % pw).P(pw, G, "low")
    f.w('read -rsp "password: " password').T('read -rsp "password: "', "prompt")

    tok = "pypi-AgEIcHlwaS5vcmc" + mixed(ALNUM + "-_", 120)
    f = File("generic/.pypirc")
    f.w("[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__")
    f.w("password = %s" % tok).P(tok, "pypi-token")

    pw, cpw1, cpw2 = password(), url_password(), url_password()
    f = File("generic/config/services.toml")
    f.w('[ldap]\nurl = "ldaps://ldap.northwind.internal:636"\nbind_dn = "cn=svc-portal,ou=services,dc=northwind,dc=dev"')
    f.w('bind_password = "%s"' % pw).P(pw, G, "low")
    f.w('\n[queue]\nurl = "amqps://orders:%s@mq.northwind.internal:5671/orders"' % cpw1).P(cpw1, C, "medium")
    f.w('\n[warehouse]\nurl = "mysql://etl:%s@warehouse.internal:3306/dw"' % cpw2).P(cpw2, C, "medium")
    f.w('\n[docs]\nurl = "mysql://user:password@localhost/db"').T("mysql://user:password@", "placeholder")
    f.w('mongo = "mongodb+srv://<user>:<password>@cluster0.mongodb.net/test"').T("mongodb+srv://<user>", "placeholder")
    f.w('redis = "redis://:${REDIS_PASSWORD}@redis:6379"').T("redis://:${", "env-ref")
    f.w('local = "postgresql://localhost:5432/dev"').T("postgresql://localhost", "no-credential")

    f = File("generic/docs/CONFIG.md")
    f.w("# Configuration\n")
    f.w("| key | description |\n|---|---|")
    f.w("| `DB_PASSWORD` | database password, e.g. `DB_PASSWORD=your_password_here` |").T(
        "your_password_here", "placeholder"
    )
    f.w("| `API_TOKEN` | token for the partner API (`API_TOKEN=xxxxxxxxxxxxxxxx`) |").T("API_TOKEN=xxxx", "placeholder")
    f.w("\nSet `password: \"********\"` in `values.yaml` to keep the chart default.").T('"********"', "masked")
    f.w("\nThe password must be 12+ characters: letters, digits and one of `!#%*`.").T("12+ characters", "prose")

    pw = password()
    f = File("generic/deploy/values-prod.yaml")
    f.w("replicaCount: 3\nimage:\n  repository: registry.northwind.dev/storefront\n  tag: 2025.03.2\n")
    f.w("postgresql:\n  auth:\n    username: storefront")
    f.w("    password: %s" % pw).P(pw, G, "low")
    f.w("    existingSecret: \"\"")
    f.w("redis:\n  auth:\n    password: {{ .Values.global.redisPassword }}").T("{{ .Values.global.redisPassword }}", "template-ref")
    f.w("    passwordFromSecret: redis-auth").T("passwordFromSecret", "identifier")

    f = File("generic/src/AuthService.cs")
    pw = password()
    f.w("namespace Northwind.Auth;\n\npublic sealed class AuthService\n{")
    f.w('    private const string ServiceAccountPassword = "%s";' % pw).P(pw, G, "low")
    f.w("    public bool Check(string password) => password == _expected;").T("password == _expected", "comparison")
    f.w("}")


# ------------------------------------------------------------------ mixed


def gen_mixed():
    G = "generic-password"
    # GitLab CI with several providers
    kid, sec, gt, ak = aws_key_id(), aws_secret(), gh_token("ghp_"), gcp_api_key()
    f = File("mixed/ci/.gitlab-ci.yml")
    f.w("stages: [test, deploy]\n\nvariables:")
    f.w('  AWS_ACCESS_KEY_ID: "%s"' % kid).P(kid, "aws-access-key-id")
    f.w('  AWS_SECRET_ACCESS_KEY: "%s"' % sec).P(sec, "aws-secret-access-key")
    f.w('  GITHUB_TOKEN: "%s"' % gt).P(gt, "github-token")
    f.w('  MAPS_KEY: "%s"' % ak).P(ak, "gcp-api-key")
    f.w('  SONAR_TOKEN: $SONAR_TOKEN').T("SONAR_TOKEN: $SONAR_TOKEN", "env-ref")
    f.w("\ndeploy:\n  stage: deploy\n  image: amazon/aws-cli:2.15.0\n  script:\n    - aws s3 sync dist/ s3://nw-static/")

    # terraform state: an IAM access key resource
    kid, sec = aws_key_id(), aws_secret()
    smtp = b64(bytes(rng.randrange(256) for _ in range(32)))[:44]
    f = File("mixed/terraform.tfstate")
    state = {
        "version": 4,
        "terraform_version": "1.8.5",
        "serial": 42,
        "lineage": uuid4(),
        "resources": [
            {
                "mode": "managed",
                "type": "aws_iam_access_key",
                "name": "ci",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [
                    {
                        "schema_version": 0,
                        "attributes": {
                            "create_date": "2024-10-01T08:15:00Z",
                            "id": kid,
                            "secret": sec,
                            "ses_smtp_password_v4": smtp,
                            "status": "Active",
                            "user": "ci",
                        },
                        "sensitive_attributes": [],
                    }
                ],
            }
        ],
    }
    f.w(json.dumps(state, indent=2)).P(kid, "aws-access-key-id").P(sec, "aws-secret-access-key")
    f.T('"lineage"', "uuid").T('"ses_smtp_password_v4"', "derived-secret")

    # incident notes
    kid, sec = aws_key_id(), aws_secret()
    t, fg = gh_token("ghp_"), gh_fine_grained()
    rt = gcp_refresh_token()
    f = File("mixed/docs/incident-2291.md")
    f.w("# INC-2291: credentials in a public gist\n\n## What leaked\n")
    f.w("- AWS key `%s` with secret `%s` (user `etl-runner`)" % (kid, sec)).P(kid, "aws-access-key-id").P(
        sec, "aws-secret-access-key"
    )
    f.w("- GitHub PAT `%s`" % t).P(t, "github-token")
    f.w("- fine-grained PAT `%s`" % fg).P(fg, "github-fine-grained-pat")
    f.w("- a gcloud refresh token `%s`" % rt).P(rt, "gcp-oauth-refresh-token")
    f.w("\n## Not leaked\n")
    f.w("- the account id %s and the role `arn:aws:iam::%s:role/etl`" % (aws_account(), aws_account())).T(
        "the account id", "account-id"
    )
    f.w("- the `AIDA` id `%s` of the user" % aws_unique_id("AIDA")).T("the `AIDA` id", "aws-identifier")
    f.w("- commit `%s` that removed the gist link" % sha1hex()).T("that removed the gist", "git-sha")

    # SQL dump: API keys in rows, bcrypt hashes as traps
    k1, k2 = gcp_api_key(), gcp_api_key()
    f = File("mixed/db/seed.sql")
    f.w("INSERT INTO integrations (id, provider, api_key) VALUES")
    f.w("  (1, 'maps', '%s')," % k1).P(k1, "gcp-api-key")
    f.w("  (2, 'places', '%s');" % k2).P(k2, "gcp-api-key")
    f.w("INSERT INTO users (id, email, password_hash) VALUES")
    for i in range(3):
        h = "$2b$12$" + rs(ALNUM + "./", 53)
        f.w("  (%d, 'user%d@northwind.dev', '%s')%s" % (i + 1, i + 1, h, "," if i < 2 else ";")).T(h, "bcrypt-hash")

    # minified bundle with a leaked key among lookalikes
    k = gcp_api_key()
    f = File("mixed/web/vendor.min.js")
    js = (
        '(()=>{var e={"maps":{"key":"%s","v":"3.55"},"sentry":{"dsn":"https://%s@o%d.ingest.sentry.io/%d"}};'
        'var t="%s";var n=t.split("").reverse().join("");'
        'const r=a=>a.replace(/[A-Za-z0-9+\\/]{40}/g,"[redacted]");'
        'window.cfg=e;})();' % (k, rs(HEX, 32), rng.randrange(10**5, 10**6), rng.randrange(10**6, 10**7), rs(B64, 64))
    )
    f.w(js).P(k, "gcp-api-key").T("window.cfg", "minified-js")

    # Slack export with pasted credentials
    t = gh_token("ghp_")
    kid = aws_key_id()
    f = File("mixed/exports/slack-channel-ops.json")
    msgs = [
        {"user": "U02ABCDEF", "ts": "1709891234.000200", "text": "can someone rotate this? `%s` is in the build log" % t},
        {"user": "U02GHIJKL", "ts": "1709891299.000300", "text": "also the old deploy key %s, secret is in 1password" % kid},
        {"user": "U02MNOPQR", "ts": "1709891311.000400", "text": "token format is ghp_ + 36 chars, e.g. ghp_<token>"},
    ]
    f.w(json.dumps(msgs, indent=1)).P(t, "github-token").P(kid, "aws-access-key-id").T("ghp_<token>", "placeholder")

    # Jupyter notebook: JSON-escaped source lines
    kid, sec = aws_key_id(), aws_secret()
    f = File("mixed/notebooks/explore.ipynb")
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 3,
                "metadata": {},
                "outputs": [],
                "source": [
                    "import boto3\n",
                    "session = boto3.Session(\n",
                    "    aws_access_key_id=\"%s\",\n" % kid,
                    "    aws_secret_access_key=\"%s\",\n" % sec,
                    ")\n",
                ],
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    f.w(json.dumps(nb, indent=1)).P(kid, "aws-access-key-id").P(sec, "aws-secret-access-key")

    # helm values with a little of everything
    pw = password()
    sa = json.dumps(sa_key(), separators=(",", ":"))
    f = File("mixed/deploy/values.yaml")
    f.w("global:\n  imageRegistry: registry.northwind.dev\n")
    f.w("database:\n  host: orders-db.internal")
    f.w("  password: \"%s\"" % pw).P(pw, G, "low")
    f.w("gcp:")
    f.w("  serviceAccountJson: '%s'" % sa).P('"private_key":"-----BEGIN', "gcp-service-account-key")
    f.w("github:\n  token: \"\"\n  tokenSecretRef: gh-token").T("tokenSecretRef", "identifier")

    # lines explicitly allowed by the developers
    kid, sec = aws_key_id(), aws_secret()
    f = File("mixed/tests/test_scanner_fixtures.py")
    f.w('"""Fixtures with real-looking values, each marked as allowed."""\n')
    f.w('FIXTURE_KEY_ID = "%s"  # keyhound:allow' % kid).T("FIXTURE_KEY_ID", "allow-comment")
    f.w('FIXTURE_SECRET = "%s"  # keyhound:allow' % sec).T("FIXTURE_SECRET", "allow-comment")
    t = gh_token("ghs_")
    f.w('FIXTURE_TOKEN = "%s"  # keyhound:allow' % t).T("FIXTURE_TOKEN", "allow-comment")

    # high-entropy things that are not credentials
    f = File("mixed/misc/lookalikes.txt")
    f.w("uuid: %s" % uuid4()).T("uuid: ", "uuid")
    f.w("sha1: %s" % sha1hex()).T("sha1: ", "git-sha")
    f.w("sha256: %s" % sha256hex()).T("sha256: ", "sha256-hex")
    f.w("docker image digest: sha256:%s" % sha256hex()).T("docker image digest", "sha256-hex")
    f.w("ssh host key fingerprint: SHA256:%s" % b64(hashlib.sha256(b"host").digest()).rstrip("=")).T(
        "ssh host key fingerprint", "hex-digest"
    )
    f.w("s3 etag: \"%s\"" % rs(HEX, 32)).T("s3 etag", "hex-digest")
    f.w("random base64 blob: %s" % b64(bytes(rng.randrange(256) for _ in range(30)))).T("random base64 blob", "random-string")
    f.w("request id: %s" % rs(UPPER + DIGITS, 16)).T("request id", "random-string")
    f.w("AROA role id: %s" % aws_unique_id("AROA")).T("AROA role id", "aws-identifier")
    f.w("ANPA policy id: %s" % aws_unique_id("ANPA")).T("ANPA policy id", "aws-identifier")
    f.w("AGPA group id: %s" % aws_unique_id("AGPA")).T("AGPA group id", "aws-identifier")
    f.w("AIPA instance profile id: %s" % aws_unique_id("AIPA")).T("AIPA instance profile id", "aws-identifier")
    f.w("APKA cloudfront public key id: %s" % aws_unique_id("APKA")).T("APKA cloudfront", "aws-identifier")
    f.w("AppSync-like: da2-%s" % rs(LOWER + DIGITS, 26)).T("AppSync-like", "random-string")
    f.w("xsrf: %s" % rs(B64URL, 43)).T("xsrf: ", "random-string")
    kid = aws_key_id()
    f.w("lower-case is not a key id: %s" % kid.lower()).T("lower-case is not", "lowercase-lookalike")
    f.w("embedded in a longer word: X%sQ" % aws_key_id()).T("embedded in a longer word", "embedded-in-word")
    blob = b64(bytes(rng.randrange(256) for _ in range(120)))
    f.w("blob: %sAKIA%s%s" % (blob[:40], rs(BASE32, 16), blob[40:])).T("\nblob: ", "base64-blob")
    f.w("sigv4 test suite id: AKIDEXAMPLE").T("AKIDEXAMPLE", "aws-doc-example")
    f.w("not a github prefix: ghx_%s" % mixed(ALNUM, 36)).T("not a github prefix", "wrong-prefix")
    f.w("gcp key one char short: %s" % gcp_api_key()[:-1]).T("gcp key one char short", "wrong-length")

    # a Windows-edited file: CRLF line ends everywhere
    kid, sec = aws_key_id(), aws_secret()
    ec = EMBEDDED["ec_p256_sec1"]
    f = File("mixed/windows/deploy-settings.ini")
    f.w("[aws]\r")
    f.w("aws_access_key_id=%s\r" % kid).P(kid, "aws-access-key-id")
    f.w("aws_secret_access_key=%s\r" % sec).P(sec, "aws-secret-access-key")
    f.w("[tls]\r")
    f.w(ec.replace("\n", "\r\n")).P(ec.split("\n")[0] + "\r\n" + ec.split("\n")[1], "private-key")
    f.w("password=\r").T("password=\r", "empty-value")


# --------------------------------------------------------------------------
# Writing files and manifests
# --------------------------------------------------------------------------


def rewrite_manifest(name, ours, key):
    """Keeps every line of corpus/<name> whose path is not under one of our
    directories (other generators own them), adds ours, sorts."""
    path = os.path.join(CORPUS, name)
    keep = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                p = json.loads(line)["path"]
                if p.split("/", 1)[0] not in OWNED:
                    keep.append(line)
    lines = keep + [json.dumps(o) for o in ours]
    lines.sort(key=lambda l: key(json.loads(l)))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("".join(l + "\n" for l in lines))


def main():
    if sys.argv[1:] == ["--samples"]:
        rng.seed()
        print("aws", aws_key_id(), aws_secret())
        print("github", gh_token(), gh_fine_grained())
        print("gcp", gcp_api_key(), gcp_oauth_secret(), gcp_refresh_token())
        return
    gen_aws()
    gen_gcp()
    gen_github()
    gen_keys()
    gen_jwt()
    gen_generic()
    gen_mixed()

    for d in OWNED:
        shutil.rmtree(os.path.join(CORPUS, d), ignore_errors=True)
    expected, traps = [], []
    seen = set()
    for f in File.registry:
        assert f.path.split("/", 1)[0] in OWNED, f.path
        assert f.path not in seen, f.path
        seen.add(f.path)
        full = os.path.join(CORPUS, f.path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(f.text())
        for needle, rule, conf in f.pos:
            expected.append({"path": f.path, "line": f.line_of(needle), "rule_id": rule, "confidence": conf})
        for needle, kind in f.traps:
            traps.append({"path": f.path, "line": f.line_of(needle), "kind": kind})
    keys = [(e["path"], e["line"], e["rule_id"]) for e in expected]
    assert len(keys) == len(set(keys)), "duplicate expected entries"
    rewrite_manifest("expected.jsonl", expected, lambda o: (o["path"], o["line"], o["rule_id"]))
    rewrite_manifest("traps.jsonl", traps, lambda o: (o["path"], o["line"], o["kind"]))
    rules = sorted({e["rule_id"] for e in expected})
    kinds = sorted({t["kind"] for t in traps})
    print(
        "core corpus: %d files, %d positives of %d rule ids, %d traps of %d kinds"
        % (len(File.registry), len(expected), len(rules), len(traps), len(kinds))
    )



# --------------------------------------------------------------------------
# Embedded keys
# --------------------------------------------------------------------------

# Generated once with openssl genpkey / ssh-keygen / gpg (throwaway keys made
# for this corpus, never used anywhere); embedded so the corpus is reproducible.
EMBEDDED = {
    'ec_p256_sec1': """\
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIIWlJkKjUAKhhSZOj+l97pFw7ESefSSidCGM49TE4R4QoAoGCCqGSM49
AwEHoUQDQgAEVWGFf9achgbRAWbY2fKFATzif91P+mg4CfrMJztJgJxW3HEc63qm
HIVgjmtEe9BgNXl4WwsiQFMyETO6z1dLOw==
-----END EC PRIVATE KEY-----
""",
    'ec_p384_pkcs8': """\
-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDA3v2vd4yOoYAQ0sQXb
ZKxFK5frGX4Oa6jDhyk5T92WFv7Ns+hMoIuV4TKZfeykjYqhZANiAAQFbXGh+3HQ
roN9YJ8Ufl7m9MPKv9eowoQxcIJtqo2zUHHTczrbT82aUKDYkWyaOkB689yQcCjY
dX0omwc224l2+/GNC/hfJMQHbTK7EGwxPoARVgDnI2sgjgRIzis8h2s=
-----END PRIVATE KEY-----
""",
    'dsa_trad': """\
-----BEGIN DSA PRIVATE KEY-----
MIIDTgIBAAKCAQEA7oxwdTnliet7ceMsk0MxVkh5Kypy5xiib8PG0QGPvK4uDDDa
fO+LsbDNhML0AH1t4nKaCKXSZtAwAmC12DVSJiaXLeS+99nFxfkAbPkvXw7WLUbo
32r/fQg/ZMK3o5cZ0DXmPR9Sdq+WGz1aXogiBXIyy9l29pNQ1wlci0oFF4p0G+Vh
euoIna5Xpy+pTXRliK9vpWIDvzuYKtxOs96hGKT6sbNQhA6B8vHM7AdSg8kM1B2U
c/iwkz+nkLU2LbFNWDlPSDDsRiAiVYXHlpLzjsYmd0yhX6rmbJpW1i71POUkul63
eWmkaT+jEQPPAYmZJDcf1yEdpejGGr3v50sefwIdAJJkxPszgAb5BmqPgf3xKR32
gi5MzaY3ZZbLRvkCggEBAOrGhQFF89+IwTEcNjV9AAKs81Vp2T/qfhWj4+GEeKk0
SymFS29qdzoZxI3n6kwfowwwllDLsyXhEAS4FYDnEL3NpCclZjGJsPgkXgyOkl29
dd7KXI0iDSkcH3VVVmkaMCc8G8BKmEHZLnsUlyFWjLtRkIVoroCeHxa9nY/10cXb
IYxPX1MATG6wReaIpq/CQ2G4y5QpCaL5gdozEolmwX5hDpKC1+PC/7cGGQXoxKJS
kVB/co0qN6LwXHuRFnqpEbnch7jm6lmCJ2VEAqnStF5+fWAVTx3LqECez/Axvlue
QmNrBe1tS9jo77OAZCrBynqXeGH1CXPna/tKx3chiIQCggEAdrqvLl+aF75B8vHj
hrTzkuTbPxjLxjFEbTIPZ/V+Snrd2wW3d4vl5P833j/9PU/WqNvYch7t74mzrvgQ
u2lk/XHo2cXXA7QBSdj+G0FdO8qg+D4Xb15hctkwFLtW+g9G3xlvkbNSWpEk0Km1
UVkyBiwui6KKC5/UAUvq2l2R62+uEE7k3Py2EQKJTAL+hvacRtEM88XAvQ87r4z1
sUC8bmbHJ2gF0ygoGSTTirEJs87DjMEzvEhqUnlwNhKyaL2cPRAgYnqyS677C8t8
jljiFaARNEgF6cmn/CwvTYimdJh3qvfzVuR6VxoaKp0JaOrTz6UOYq6GbBw73d8S
7BpvrgIcaacxCnQEKEB7BA2L5Qw3v9d9EmQ2MtVf38MRvw==
-----END DSA PRIVATE KEY-----
""",
    'rsa_pkcs8_encrypted': """\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIFLTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIqQ7+t9A30VUCAggA
MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBAPJ1bROLDQFRokuLlhB/hIBIIE
0LKIDaXOyusRtpIDwWO7oUrUxAgpmPWgatitz5g3FXBR2VvXfFKawcnpiqJKo2mb
AoxRGl3SuzzUYvgkjCprDjGsUHMukHSHeI4s0QndgkN0Qcfkktgr4soml88ndM6a
8FcZDvVvmLhjzkjd9p7+g6XGbQETrA4Za9jIVwlobpDPjUoaF97/otXvkZkJx8ty
nN3Siw6RLqHW4HSoSIdjfvKaL1yzIgs5TuJ091OqB2H6sd96Qr+4ndxg1UjcGoHM
8vd7R2Iu4eVzBDFO1jgjkS2hW6pPkuHJsPWviNhdCtoYw23gwvnC4eKc6gd7p5ak
n4kxzF0SIBZSBmD5NWktIGYtJVx+0PlmGVJI9yf9MpFav6e1A7OXfGniSvExZ+Jk
KVDRbF0SMdfkMGvBK/T3tt0pVhth10TxhVQwOWpSx6vLWE5MO3eHogFPsxIcc35N
GUf84xgfb6pq1HbpbDVEysysDFg3b4L42/K+5NsJZjPVen7nrjv9GsOSuFYoLxZZ
ZaneH4I2DzJu94H7LOIu6x4aex/RXtQee+3HoROY/TL5KXwPe+JU2XJITJptvqAH
tZ5v9hV+lszxa6p2FAQppXaQsYrF6umOgZDr784WEGksTZbvUsEPeGbdLEM6KUKs
0aYBRHCwJcatpF+XbnMMAggE9COy7xfRFw6yVmbrqJbhvSiPNUwa4iwM4YpHCIlk
MSNce3pdWW2rqTK0x39AgVmaBp2jcboPRiJBcINSDagmJXLqIZZcSaqz+QFTZEkk
geDPZmqMvt3LMYdP1NOSbJyfMKn27XdG1R0+tISu70xqrO3urp1VY2pJYucEAjsq
6i6iOT4sT6bMer45dQo7JLwhpMs+vBuvcqmwNLw7DWmVfJaHHVJ6Lz77Vb88V1af
lQYiB4/dS54Xd9EqQxk4gQ8vFI5FrUV/TQsRXXuewwyWGFVA5zHbQ/P7Qcq52Oik
95o+C5LetmKvDTFdXwlsvrD9LoK55pgkXBIInI/GA/Xuh97b7epF95TrvzgcDf3f
pO/IQt9IeuzyH+n8o/pXVblBEcIjuMs7OcET9E/n+pMb1IB43PjWKGR4IxQ3qKQH
gOR+JDVPg+mVAYvOsQRvS5oEVlI8C3eGZlj14weI/XbtjiaqBqL7PVy+RI9CH/+p
ux4aDuO7R4z0gLa9e4u023eNhRKyAlfDxzZbv2JMIXv6VaTa+jq4RUrqOejDzbvE
7A8b63QGOtQ+mgBnNNVT7BsUZK92Xx4VcYxwQ6msJhTJ+RUFjqFB9PhD6mhbsIt+
i/jNIVWfinHhzspk5wL2fXkMlWWbw0+qCwj9IxKohIiuwDwxYfonpSA0q260J2/g
+obhGhawt1CvsxZm/jj0C5F4ReQQLIsWykMpcjSeBUsrTBdrUeXCM3CiSrzKQOUe
l04xyNf6U9UbAosOWgbA0/7xFnelexfvcTYmMUDH5DmkW3S9PEyZKuRL9NjLLecC
c96V1V0SfptK/0tFA36edlgNkEeEPQcAThO1HytSAZKFQ2PzQThPWrdO9aV3TdvJ
FOnwcFiJE6wW3CyQSYmHw5oO35H2FQl7ipqjV7pNWZNXf239jEPQovjqB8dcwVMZ
UlEmP8UDtnZ3QRgDOLVs7rWDs/1jkS1QYuHz0jNg26xQ
-----END ENCRYPTED PRIVATE KEY-----
""",
    'rsa_proc_encrypted': """\
-----BEGIN RSA PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-128-CBC,BD42EEAA06B48E4544909B63F347D306

UtvBLJo+Z4JW3Skx7MH4+XvB4fmj8QqMye9hCVtqHzfhpE5b6hPj85+c/ALayeKG
QqAxMZrKho0XGDCjY4zy+2NZALQRHR43OvnzL4vaiIpXk8QOZVRbOOzhki4XQ9iV
ZwKwvkUYFnPc5R69eEl8XFx9vnKzZL4aCb4KdZ2S0GE7Yx2hl0cte1zvuGTUSJ8X
4uQGxBngqra/wtnWnJXHkyT2FNIm1r3BmFgdL5HD3XX5k4EoGjgiGhSM69kyETXt
6iyFC8Q8+Ku2QVjGb6DAg5aznqi8aDKvGU1UFRytgfPo8l7kuu7inOvbdUt8Xps6
Xp6UO7BNKKHFS9VDfGPOC/dtza7wT1klk/6LHoJPPA0BOe9bzueU4xQU2AN1Jor4
o0XLZLSrvNVRZH1lGRR1PrPZ37Xp27BMYbFqsR41yJOUlw5r8+waRNC2WEyUv16z
fRpRQnBxO96YY15UG4RFcogJyeRGFxS+1JnS+XOemaKqNL9/S/CbgAoZx06ccHlc
2AYAvvxzC1xJ6K9Ppg09DjpFvkD0uamwDM0uw2OeUu2Zr15IJEw8KpYAkhiXthZM
g6rTzN8oy8iLGAGO2Oooy9rz0iY5rriaQynstpXCOIe6qkqCn3FZTXCJIRsK97Sg
laPSgDeETrl4jr6Og2RGJdPFGQf24ZHQ/aqqkU0UqBA753spgViKZA1LpvNVq3DS
KyE+x2tP4Y+izLI2unEFIbpWUvUA0/I9kW4QKGAz4wggPffFKm9ytJ9fVof4TSY4
IsOPnR7SYvokwN2Qe2btGVkUJUHPp1KwyKirPXmwA7y7FRLvB/F7YqWtjo+sX9lZ
esvQDkWQbw6CkHMO9h/A/QI06stbW2/foK4rUmTWzPOn31IZYLhnurqiPJnQbEbS
MlL6ToJvz4V5b7TuYybPiyIqEHJVAKCfuc3Pw6ww91fv7FTYd6rjqQIS49dOvN/s
aUdELsouso1LsJ1EpDI1aLRO1TWLM0OfKbG7AKgXIkQyPEArO6q7/xh+a6xAyhlC
1xakvHqc728Xyvdk9RAFU9AI2o+Jroerq+67ZPp2BCu9xHF0X9kZN2SLssCOHycd
zq4rxsxwB6AIDhFHuDgiPniq+6zOYtmtrDtQppRYHIVs1ix880GxoIotRX81T/Xq
3ZoQqklW8RflWqYkK6D7/PNoC4nqKaaXpceblb4/Ev/d7EtwaHSSy5MzteM+1eVm
sL8RXB2dzS49eKOann2v/s7Vuj1t4XnvRfXtBJkrJBtYAcfFUDXyQx4Ke8sc8o+R
UjiU5wtbxsBreBAOEFLEBngwKZL+uvNjnOBe1lKbWCczmj+A+gbPXkwzAhcCXY8q
8GkT1CkCTMDEQWtm+mJzCnRQx828eFbS/070SKytnmo/YG7YSgqQNxiBIjwEwcty
3uAkZjjn+38GfNZ4VAlDYnGWg+SNHmNqyPk6gx/Aljp/SHN8NaS8P0YiK5MZYM4f
BguimEa4ykDmJJ9iMSlRTH34NESn04RBT11//di2EGt6y3jYFsihvYHaj11Q4LYc
JnuCckegws1b/DhDpdOEe3bmH+EDbHxmDs+cO1opHYWM50R/ouHhuvFQTqWtGwXf
-----END RSA PRIVATE KEY-----
""",
    'openssh_ed25519_a': """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACD+X2XDPmZq7QouJCcYECDIBKmTN2RmYspdJI+npllb3AAAAJg1LZMlNS2T
JQAAAAtzc2gtZWQyNTUxOQAAACD+X2XDPmZq7QouJCcYECDIBKmTN2RmYspdJI+npllb3A
AAAEAPAyRMHp7aAx4mF3FZzqn0T1GyDA3JluOdrrJ9TMfxmf5fZcM+ZmrtCi4kJxgQIMgE
qZM3ZGZiyl0kj6emWVvcAAAAE2RlcGxveUBjaS1ydW5uZXItMDcBAg==
-----END OPENSSH PRIVATE KEY-----
""",
    'openssh_ed25519_b': """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACAKbX3funIOSTMUwLRlm9QYqbYqpTUGRMjNBnlX5qa3iQAAAJAdhB6/HYQe
vwAAAAtzc2gtZWQyNTUxOQAAACAKbX3funIOSTMUwLRlm9QYqbYqpTUGRMjNBnlX5qa3iQ
AAAEDHGXsPTql684sSXsg4tpIqEZ+Di0pJQalb4PkxksgrPwptfd+6cg5JMxTAtGWb1Bip
tiqlNQZEyM0GeVfmpreJAAAADG1hcmlhQGxhcHRvcAE=
-----END OPENSSH PRIVATE KEY-----
""",
    'openssh_rsa': """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn
NhAAAAAwEAAQAAAYEAx3qi8dR5pe/vy6TmXCD0xkGgBV9woJkPpUbCZvXvQ880O4ysciWA
C7zK8Glzlg7NyTy4ofZrXZYN/2v0XGGwkXib576E4c0Lp1G4xgVCXSjszvO9OXRnKuZ4vV
oT8+WC8mDILB1XHqbCIoEBj3yY9f6xu+bMile6TRVCOuI/I9Dyh8vABLmjoIljiEMLgc+S
StCCQLJOY5AI29Ss6B5ZNnK0tOZXsUdE+LHoZ6rsBzThFkRBYfi5J0cw//eyMQ7w48bLzb
UgwYokow9ZuzOdwmMZTHVQNHzlqzli9DmfCJlWkgzXaNwwMgUEqZJjabYI3rJ/xpRH0O0+
6eAUDcvCLsMoV+UNFXpA2gHGV+yXk4fb54Y3I4qSSkVSX8W6xUBJNrhDlwEeVFc4C2feT5
iMWLp3kAqi9dnDtbG9/XJ4vuTTM/WtLLh6IFxpwZ1KBdJmBg/95MWH9TL23cDwUooWMtlH
jyM8l6HpN89lu8YrfDkaKzIOYJ+nWKKI/tiEHfrhAAAFgISMUOeEjFDnAAAAB3NzaC1yc2
EAAAGBAMd6ovHUeaXv78uk5lwg9MZBoAVfcKCZD6VGwmb170PPNDuMrHIlgAu8yvBpc5YO
zck8uKH2a12WDf9r9FxhsJF4m+e+hOHNC6dRuMYFQl0o7M7zvTl0ZyrmeL1aE/PlgvJgyC
wdVx6mwiKBAY98mPX+sbvmzIpXuk0VQjriPyPQ8ofLwAS5o6CJY4hDC4HPkkrQgkCyTmOQ
CNvUrOgeWTZytLTmV7FHRPix6Geq7Ac04RZEQWH4uSdHMP/3sjEO8OPGy821IMGKJKMPWb
szncJjGUx1UDR85as5YvQ5nwiZVpIM12jcMDIFBKmSY2m2CN6yf8aUR9DtPungFA3Lwi7D
KFflDRV6QNoBxlfsl5OH2+eGNyOKkkpFUl/FusVASTa4Q5cBHlRXOAtn3k+YjFi6d5AKov
XZw7Wxvf1yeL7k0zP1rSy4eiBcacGdSgXSZgYP/eTFh/Uy9t3A8FKKFjLZR48jPJeh6TfP
ZbvGK3w5GisyDmCfp1iiiP7YhB364QAAAAMBAAEAAAGAAbEbaa6ne3ijUYMBWyhXux4Ps+
FL12jaQPNuhFNd/KFowX/fbzZnNXJGoa8F8RteCRtlO3vCDFtQnL53JkNugnAB7n9nVBzv
ljMzZyaLRLarT36yDPyHlXhlRMHbUncQsGqRYre6/Je7JMdwUnMNlGSHxbQJlGYgaTVJcw
NmjVthJeAHWGLqAttiHI6TrehV8XbUQU/h1Kas6eRjX7Kbh20woCol9esd/Xf7ecmcJ9wo
c+O5+ZE+TMQl+RMfj+/0UjeP5HvOvH6ueTxWof4/S5iDAjWBcVcwPcFvjbvxvmlBOcFIf2
fZ7XjbI+SCUydcSsMc2RI2fZMTQkHsjflQ6bS+ZmEIAinEzkjbmmBTDo+6vNVGLlo2a2Nu
BbY1xGpIkMQ7MSQ/6ahNdYIdrDHj7T4iK79ZDxy01SomJ8+PEE2y+wYHGoj6kWWoDh+hoK
fj8mORzJVeAJNd+xGuY+4fU3xcB9+j98EO9ioaRLjw2p62ujLC4UtUSdLWrCdNOpv5AAAA
wFso/M2fhHJE0Oh/03KAlt/ItdJKLTwgZDrl/UEcwAOXJhgIcjDYo4AkSrCdIXYMbbFr07
tQGN8RAjgVduPfpAwIZX5uZ/dRS0oDRX7SVALNZ4WnRNEstSXqie32sVb1V+bqqEKzdK18
kIbBTSRsrJVDvA2EkNzLiXqTiyHdBYwFHN1HlE22n2C8GpxCO+I76M5KjG+R9NaD4Bc/+b
hsuziOtcmVShUE9XnmK5iOLsSKZQWhpVNGpGZHyibCYoIv3AAAAMEA+uIOzKHpEWPpvccg
PodKA3hIm7t7VNyQwjjkvsXmZS4oNbkD1e7PsANxBzAZlzPaCy7Tf2ijRZsz0raUSBaA7L
H8TqlEaEbCkHdk0SSoT6Igqcurv041/6dKreaZc7mRa8LrjT7L9RJud1RyZDrsQMiQ6RZk
Y0247I9t7d16uSWdVgRwRr3jLU9HfYvx3jhFlOcTZyI8ckcznDK3SyABs45BQHPK+LVeBT
PAPgEWoRSJG42Vfmtb3bdntBQVDIglAAAAwQDLjC6DekiqqQvg/kl0SN1f+aisML3+HfPo
xFKu93RPcS6pxp9J/xvjNZHBGLoz/LgsS27It1IL8VLc5IAMsgGczc2jtagKQxcYVncQwU
mDP1P3yx5U7rTASRiYDKjSYrnD/WxI9fUSo2GAAa7drFOnicZ3lWEiMwYpob47d7om3Rfn
dPqfx+Eohw2kPax10FmT2TpAnM65LMD7jRcMjTIT0W02z3Mgtz+jawKvB/t/JrWj39mAPJ
+xqvWKpRetfQ0AAAALYmFja3VwQGRiMDE=
-----END OPENSSH PRIVATE KEY-----
""",
    'openssh_ecdsa': """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS
1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQSlAGMXjQs51Qy3PVi7mdlTQE4wTcsd
kfiWmoB7+FF0DfszLG12lUN2oJNbehv/zGoJ4LTWU6cjcEt9hc/9w/ECAAAAqHpJrYZ6Sa
2GAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKUAYxeNCznVDLc9
WLuZ2VNATjBNyx2R+JaagHv4UXQN+zMsbXaVQ3agk1t6G//MagngtNZTpyNwS32Fz/3D8Q
IAAAAhAMFyy1hfwdOf6/JdfwDVMV2aNPTNPRbUC2bTt06Mf4WLAAAADWplbmtpbnNAYnVp
bGQBAg==
-----END OPENSSH PRIVATE KEY-----
""",
    'openssh_ed25519_encrypted': """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBvVT6kkx
IwmvW887UQaB44AAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIMW5xjkR1YHSRBg4
BRWtyE/us3nvmC8Q5PtjYKad6MzgAAAAkPtAz4gYOksCsHW3Q5RJNBY20N9HSU5Q5jLrJn
u7zGxZTfoK+LAVAtHtGAesKV4Dc3E6iEQlZvXeegtaQdMisXFU8TXEQbYHWK1itmTxPGUO
mtQPTvn/nTExukKC2itKmox2PaYYVGHNby/DSHAz3HMz/5g6URub6c8etbpkSVv6xmx/5p
FchHlsyo5ecuIK9g==
-----END OPENSSH PRIVATE KEY-----
""",
    'pgp_private': """\
-----BEGIN PGP PRIVATE KEY BLOCK-----

lFgEawPveBYJKwYBBAHaRw8BAQdAfE/D+RZRDD7hqKXJI1vSM+VpZcBHiJe8pi5E
2ftY4YQAAP9LKo9naLOHtLrFIql2AnTvsqHiVkgG2dll+HKOc27uJRHBtCdSZWxl
YXNlIEJvdCA8cmVsZWFzZS1ib3RAbm9ydGh3aW5kLmRldj6IkAQTFggAOBYhBDIc
s6jc7BLbuIsDP0F0A9f1Ad3VBQJrA+94AhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4B
AheAAAoJEEF0A9f1Ad3Vr5AA/iaAQjTBUqsVx1bdtu6VMGzLuR7NCCfU2aPM+Cx1
LQLDAQDxJLOMPCP3KXZj2J5zhw5SXjJAYYTr5DFpJHyyLFHrCQ==
=SjiB
-----END PGP PRIVATE KEY BLOCK-----
""",
    'ssh_ed25519_pub': """\
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP5fZcM+ZmrtCi4kJxgQIMgEqZM3ZGZiyl0kj6emWVvc deploy@ci-runner-07
""",
    'ssh_rsa_pub': """\
ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDHeqLx1Hml7+/LpOZcIPTGQaAFX3CgmQ+lRsJm9e9DzzQ7jKxyJYALvMrwaXOWDs3JPLih9mtdlg3/a/RcYbCReJvnvoThzQunUbjGBUJdKOzO8705dGcq5ni9WhPz5YLyYMgsHVcepsIigQGPfJj1/rG75syKV7pNFUI64j8j0PKHy8AEuaOgiWOIQwuBz5JK0IJAsk5jkAjb1KzoHlk2crS05lexR0T4sehnquwHNOEWREFh+LknRzD/97IxDvDjxsvNtSDBiiSjD1m7M53CYxlMdVA0fOWrOWL0OZ8ImVaSDNdo3DAyBQSpkmNptgjesn/GlEfQ7T7p4BQNy8IuwyhX5Q0VekDaAcZX7JeTh9vnhjcjipJKRVJfxbrFQEk2uEOXAR5UVzgLZ95PmIxYuneQCqL12cO1sb39cni+5NMz9a0suHogXGnBnUoF0mYGD/3kxYf1MvbdwPBSihYy2UePIzyXoek3z2W7xit8ORorMg5gn6dYooj+2IQd+uE= backup@db01
""",
    'pem_public': """\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA29zoZucajwOXnS+JGfog
S9ALgG8hVGwclTjyYgZc0lw2zjuuVNDKkSvqdoXV+lxA2+fylfYOzqlexDHMtSu8
75sjwIF6a1Y+rrK6l+ZLJ5rO90ClgfRJ7OxaCXEE35USU9oNTXmZYGoORWuc2TjP
tyD9kuTFyOZwLFeYgjDoCahRVC6vKN3ctgpB4UFc98cYaCX8T4wpR3Z1cs9mzzPb
jGWtfQ2cxkaOZ6+rYrFfZVVQojpsty75Bxw6VK69VAGVJraPGJkzk3xoFIvg2xZu
dEjLtlXMDAshskgm/fej+ejAAjwgDphUp7JsWGvsrUPKKdh0O8EzF/aEL82qSYQF
9QIDAQAB
-----END PUBLIC KEY-----
""",
    'pem_certificate': """\
-----BEGIN CERTIFICATE-----
MIIDGTCCAgGgAwIBAgIUBSUXYi0llZoKosbMJf7hopOY10owDQYJKoZIhvcNAQEL
BQAwHDEaMBgGA1UEAwwRYXBpLm5vcnRod2luZC5kZXYwHhcNMjYxMTIzMDc0NzA0
WhcNMjcxMTIzMDc0NzA0WjAcMRowGAYDVQQDDBFhcGkubm9ydGh3aW5kLmRldjCC
ASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBANvc6GbnGo8Dl50viRn6IEvQ
C4BvIVRsHJU48mIGXNJcNs47rlTQypEr6naF1fpcQNvn8pX2Ds6pXsQxzLUrvO+b
I8CBemtWPq6yupfmSyeazvdApYH0SezsWglxBN+VElPaDU15mWBqDkVrnNk4z7cg
/ZLkxcjmcCxXmIIw6AmoUVQuryjd3LYKQeFBXPfHGGgl/E+MKUd2dXLPZs8z24xl
rX0NnMZGjmevq2KxX2VVUKI6bLcu+QccOlSuvVQBlSa2jxiZM5N8aBSL4NsWbnRI
y7ZVzAwLIbJIJv33o/nowAI8IA6YVKeybFhr7K1DyinYdDvBMxf2hC/NqkmEBfUC
AwEAAaNTMFEwHQYDVR0OBBYEFMxCyV2WxZJW15zeEmpfOB4xLeJEMB8GA1UdIwQY
MBaAFMxCyV2WxZJW15zeEmpfOB4xLeJEMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZI
hvcNAQELBQADggEBAGZ/h97N7ZXor+wBCxHraIbGRGLJ43Iv+yfvZh6TazDQiwzV
V6ETCZ2FEWrjq9tt/N3+e9FYD2+dKZbEFMFaU3LyMEifwaMiXK6SSrOr9mdF5fUO
BpiL6CcPYaT5RvbZmZchLaamiRdBgPUvGHy3DzKO//sqgR6SumIW++MAVWpfyKW/
GPQvif9LlHxhw/WYTMxc8O/YjfSpkzWidmzsBWlWZedINh5oOPDkN6JFQ3fLxA78
a26cCYYyIZ5q22eLEOZFIF8RbcWjxt0c8hFULqPXf2uQBQurJTRS1q2VXyz5F1cN
hmSRNAC0vrDlHlwTceDC493vmftl/l6fTpeOMZA=
-----END CERTIFICATE-----
""",
    'pgp_public': """\
-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEawPveBYJKwYBBAHaRw8BAQdAfE/D+RZRDD7hqKXJI1vSM+VpZcBHiJe8pi5E
2ftY4YS0J1JlbGVhc2UgQm90IDxyZWxlYXNlLWJvdEBub3J0aHdpbmQuZGV2PoiQ
BBMWCAA4FiEEMhyzqNzsEtu4iwM/QXQD1/UB3dUFAmsD73gCGwMFCwkIBwIGFQoJ
CAsCBBYCAwECHgECF4AACgkQQXQD1/UB3dWvkAD+JoBCNMFSqxXHVt227pUwbMu5
Hs0IJ9TZo8z4LHUtAsMBAPEks4w8I/cpdmPYnnOHDlJeMkBhhOvkMWkkfLIsUesJ
=sKuL
-----END PGP PUBLIC KEY BLOCK-----
""",
}


if __name__ == "__main__":
    main()
