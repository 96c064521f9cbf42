#!/usr/bin/env python3
"""Generates the Azure part of keyhound's labeled corpus: corpus/azure/.

Python 3 standard library only; a fixed random seed, so every run writes the
same bytes (run it twice, `git diff` shows nothing).

    python3 corpus/tools/gen_azure.py

What it does:

1. Makes fake but format-valid Azure credentials: Microsoft "identifiable"
   keys (HIS v1: signature at a fixed offset + Marvin32 checksum), common
   annotated keys (CASK, `JQQJ99…`), Entra client secrets (`…8Q~…` with
   their base-66 Marvin32 checksum), legacy DevOps PATs (base32 with the
   CRC32 ^ magic check bytes), SAS tokens, Entra access tokens (JWT) and the
   connection strings they live in. The Marvin32-based checksums are checked
   against the reference vectors in credential-formats.md before anything
   is written (the DevOps PAT layout has no public vector; it follows
   Microsoft's SEC101/102 description).
2. Writes realistic files (appsettings.json, web.config, .env, Terraform,
   Bicep/ARM, code, Kubernetes/pipeline YAML, scripts, Markdown) that mix
   those credentials with false-positive traps (emulator keys, placeholders,
   GUIDs, wrong checksums, `keyhound:allow` lines, …).
3. Labels as it writes: each positive is `(path, line, rule_id,
   confidence)`, each trap `(path, line, kind)`. `corpus/expected.jsonl` and
   `corpus/traps.jsonl` are rewritten keeping every line whose path is not
   under `azure/` (other providers' generators own those).

Labels are by intent: what a careful human reviewing the file would expect
a scanner to report (an expired SAS token is still a leak, reported at low
severity; an Entra secret whose checksum fails is reported at low
confidence).
"""

import base64
import binascii
import datetime as dt
import json
import os
import random
import shutil
import string
import struct
import sys
import urllib.parse

SEED = 0x4B48_415A  # "KHAZ"
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
OUT = os.path.join(CORPUS, "azure")
PREFIX = "azure/"

# --------------------------------------------------------------------------
# Marvin32 (port of the SymCrypt/Microsoft security-utilities pseudocode in
# reference/credential-formats.md A3.0)
# --------------------------------------------------------------------------

M32 = 0xFFFFFFFF


def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & M32


def _block(p0, p1):
    p1 ^= p0
    p0 = _rotl(p0, 20)
    p0 = (p0 + p1) & M32
    p1 = _rotl(p1, 9)
    p1 ^= p0
    p0 = _rotl(p0, 27)
    p0 = (p0 + p1) & M32
    p1 = _rotl(p1, 19)
    return p0, p1


def seed_of(name):
    """An 8-char ASCII seed literal ("Default0") as the u64 Marvin seed."""
    assert len(name) == 8
    return int.from_bytes(name.encode("ascii"), "big")


def marvin32(seed, data):
    """Marvin32 hash of `data` (bytes) with a u64 seed, folded to 32 bits."""
    if isinstance(seed, str):
        seed = seed_of(seed)
    p0, p1 = seed & M32, (seed >> 32) & M32
    n, i = len(data), 0
    while n - i >= 4:
        p0 = (p0 + int.from_bytes(data[i:i + 4], "little")) & M32
        p0, p1 = _block(p0, p1)
        i += 4
    t = data[i:]
    if len(t) == 0:
        p0 += 0x80
    elif len(t) == 1:
        p0 += 0x8000 | t[0]
    elif len(t) == 2:
        p0 += 0x800000 | t[1] << 8 | t[0]
    else:
        p0 += 0x80000000 | t[2] << 16 | t[1] << 8 | t[0]
    p0 &= M32
    p0, p1 = _block(p0, p1)
    p0, p1 = _block(p0, p1)
    h = (p1 << 32) | p0
    return ((h >> 32) ^ (h & M32)) & M32


# --------------------------------------------------------------------------
# Key makers
# --------------------------------------------------------------------------

B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
ALNUM = string.ascii_uppercase + string.ascii_lowercase + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ENTRA = string.ascii_letters + string.digits + "._~-"
ENC66 = string.ascii_lowercase + string.ascii_uppercase + "1234567890.-_~"

# HIS v1 families: signature -> (encoded length, signature offset, url-safe,
# seeds). From credential-formats.md A3.0.
HIS = {
    "+ASt": (88, 76, False, ["Default0"]),
    "ACDb": (88, 76, False, ["MastRW00", "MastRO00", "Resour00"]),
    "+ABa": (88, 76, False, ["AbAcct00"]),
    "+AMC": (88, 76, False, ["Classic0"]),
    "APIM": (88, 76, False, ["Tenant00", "Gatewy00"]),
    "AzFu": (56, 44, True, ["Functi00", "Master00", "System00"]),
    "AzSe": (52, 42, False, ["Query000", "PAdmin00"]),
    "+ACR": (52, 42, False, ["ACRDflt0"]),
    "+ASb": (44, 33, False, ["Send0000", "Listen00", "Manage00"]),
    "+AEh": (44, 33, False, ["Send0000", "Listen00", "Manage00"]),
    "+ARm": (44, 33, False, ["Send0000", "Listen00", "Manage00"]),
    "AzCa": (44, 33, False, ["Access00"]),
    "AIoT": (44, 33, False, ["IoTHub00", "Device00", "DpsKey00"]),
}


def _b64decode(s, urlsafe=False):
    s = s.rstrip("=")
    s += "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s) if urlsafe else base64.b64decode(s)


def _b64encode(b, urlsafe=False):
    return (base64.urlsafe_b64encode(b) if urlsafe else base64.b64encode(b)).decode()


def his_valid(key, sig):
    """True if `key` carries `sig` at its offset and a Marvin32 checksum
    under one of the family's seeds (the detector's check, in Python)."""
    length, offset, urlsafe, seeds = HIS[sig]
    if len(key) != length or key[offset:offset + 4] != sig:
        return False
    raw = _b64decode(key, urlsafe)
    want = raw[-4:]
    return any(struct.pack("<I", marvin32(s, raw[:-4])) == want for s in seeds)


class Keys:
    """Every fake credential of the corpus comes from one seeded RNG."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def chars(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def bytes(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def hexs(self, n):
        return self.chars("0123456789abcdef", n)

    def guid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"

    # -- storage / cosmos style legacy keys: 64 random bytes ---------------
    def legacy64(self):
        """A pre-identifiable 88-char account key (64 random bytes)."""
        while True:
            k = _b64encode(self.bytes(64))
            # Never produce an accidental identifiable key.
            if k[76:80] not in HIS:
                return k

    def legacy32(self):
        """A pre-identifiable 44-char SAS policy key (32 random bytes)."""
        while True:
            k = _b64encode(self.bytes(32))
            if k[33:37] not in HIS:
                return k

    # -- HIS v1 identifiable keys ------------------------------------------
    def his(self, sig, valid=True, seed=None):
        """A HIS v1 identifiable key of family `sig`: random prefix, the
        signature at its fixed offset, then the LE Marvin32 checksum of all
        bytes before it. `valid=False` corrupts the checksum."""
        length, offset, urlsafe, seeds = HIS[sig]
        alphabet = B64URL if urlsafe else B64
        seed = seed or self.rng.choice(seeds)
        while True:
            data_chars = len(_b64encode(bytes(_b64len_to_bytes(length)), urlsafe).rstrip("="))
            template = self.chars(alphabet, offset) + sig
            template += "A" * (data_chars - len(template))
            raw = bytearray(_b64decode(template, urlsafe))
            raw[-4:] = struct.pack("<I", marvin32(seed, bytes(raw[:-4])))
            if not valid:
                raw[-1] ^= 0x5A
                raw[-3] ^= 0xC3
            key = _b64encode(bytes(raw), urlsafe)
            assert len(key) == length, (sig, key)
            if key[offset:offset + 4] != sig:
                continue
            if valid != his_valid(key, sig):
                continue
            return key

    # -- CASK / HIS v2 -----------------------------------------------------
    def cask(self, sig="AZDO", provider="AAAA", year="B", month="F", valid=True):
        """An 84-char common annotated key: 52 random base62 chars, JQQJ99,
        year/month, 12 platform chars, provider-reserved, provider
        signature, then the first 4 chars of base62(Marvin32) over the
        decoded first 80 chars."""
        while True:
            body = (self.chars(ALNUM, 52) + "JQQJ99" + year + month
                    + self.chars(ALNUM, 12) + provider + sig)
            assert len(body) == 80
            c = marvin32("Default0", base64.b64decode(body))
            digits = _base62(int.from_bytes(struct.pack("<I", c), "big"))
            if len(digits) != 6:
                continue  # keep clear of the short-number edge case
            checksum = digits[:4]
            if not valid:
                checksum = self._other(ALNUM, checksum)
            return body + checksum

    # -- Entra ID client secrets -------------------------------------------
    def entra(self, valid=True, old=False):
        if old:  # 37 chars: 3 + "7Q~" + 31, no checksum
            return self.chars(ENTRA, 3) + "7Q~" + self.chars(ENTRA, 31)
        while True:
            head = self.chars(ENTRA, 3) + "8Q~" + self.chars(ENTRA, 31)
            if head[-1] == ".":
                continue  # keep trailing-dot ambiguity out of the corpus
            check = entra_checksum(head)
            if not valid:
                check = self._other(string.ascii_letters + string.digits, check)
            return head + check

    # -- Azure DevOps legacy PAT ---------------------------------------------
    def devops_pat(self, magic=0xE0B9692D):
        raw = bytearray(self.bytes(32))
        covered = raw[0:2] + raw[3:7] + raw[9:22] + raw[23:32]
        c = (binascii.crc32(bytes(covered)) ^ magic) & M32
        b = struct.pack("<I", c)
        raw[22], raw[8], raw[7], raw[2] = b[0], b[1], b[2], b[3]
        return base64.b32encode(bytes(raw)).decode().rstrip("=").lower()

    # -- misc -----------------------------------------------------------------
    def sas_sig(self):
        """URL-encoded base64 HMAC-SHA256 (32 bytes) as in `sig=`."""
        return urllib.parse.quote(_b64encode(self.bytes(32)), safe="")

    def entra_jwt(self, tenant, exp, v2=False, app=None, aud="https://management.azure.com/"):
        """An Entra ID access token (RS256 JWT) issued by
        sts.windows.net (v1) or login.microsoftonline.com (v2); the
        signature is random bytes of the right length."""
        app = app or self.guid()
        iat = exp - 3600 - self.rng.randrange(0, 1800)
        header = {"typ": "JWT", "alg": "RS256",
                  "x5t": _b64u(self.bytes(20)), "kid": _b64u(self.bytes(20))}
        if v2:
            iss = f"https://login.microsoftonline.com/{tenant}/v2.0"
            payload = {"aud": aud, "iss": iss, "iat": iat, "nbf": iat, "exp": exp,
                       "aio": _b64u(self.bytes(60)), "azp": app, "azpacr": "1",
                       "oid": self.guid(), "rh": "0." + _b64u(self.bytes(48)),
                       "roles": ["Files.Read.All"], "sub": self.guid(), "tid": tenant,
                       "uti": _b64u(self.bytes(16)), "ver": "2.0"}
        else:
            iss = f"https://sts.windows.net/{tenant}/"
            payload = {"aud": aud, "iss": iss, "iat": iat, "nbf": iat, "exp": exp,
                       "aio": _b64u(self.bytes(60)), "appid": app, "appidacr": "1",
                       "idp": iss, "idtyp": "app", "oid": self.guid(),
                       "rh": "0." + _b64u(self.bytes(48)), "sub": self.guid(),
                       "tid": tenant, "uti": _b64u(self.bytes(16)), "ver": "1.0",
                       "xms_tcdt": iat - 86400 * 400}
        return jwt_encode(header, payload, self.bytes(256))

    def _other(self, alphabet, current):
        while True:
            s = self.chars(alphabet, len(current))
            if s != current:
                return s


def _b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt_encode(header, payload, signature):
    def part(obj):
        return _b64u(json.dumps(obj, separators=(",", ":")).encode())
    return f"{part(header)}.{part(payload)}.{_b64u(signature)}"


def _b64len_to_bytes(length):
    return {88: 64, 56: 40, 52: 39, 44: 32}[length]


def _base62(n):
    s = ""
    while n:
        s = B62[n % 62] + s
        n //= 62
    return s or "0"


def _enc66(v):
    s = ""
    while v:
        s = ENC66[v % 66] + s
        v //= 66
    return s.rjust(6, "a")


def entra_checksum(first37):
    return _enc66(marvin32("AadPwd00", first37.encode("latin-1")))[:3]


def cask_valid(key):
    c = marvin32("Default0", base64.b64decode(key[:80]))
    return _base62(int.from_bytes(struct.pack("<I", c), "big")).ljust(6, "0")[:4] == key[80:84]


def self_test():
    """The reference vectors (credential-formats.md, appendix)."""
    assert seed_of("Default0") == 0x44656661756C7430
    assert his_valid("oqb4TdY9T0hphvktd5fJnMiHuQqzVy1jd5sSuOpAbGkaoqTlrHl0BOJN2okcasinVLOJzfDbZo1L+ASt68RAhA==", "+ASt")
    assert not his_valid("6jqh42QQjWWBwoPGGR/Jr0PZjhBMZVbHm/gkhEfHvOj8aV6+oI8ed6ZAAwB5a6993WqyQDiuJJB0QpseJwqYxw==", "+ASt")
    assert cask_valid("6RtqHqPc66Y6DYbkydbrrFJTYnRoA7r40ts7LWS2SkINSFsRABxhJQQJ99BFACAAAAALGcqjAAASAZDO3eqU")
    assert entra_checksum("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz") == "blP"


# --------------------------------------------------------------------------
# Documents and labels
# --------------------------------------------------------------------------

HIGH, MEDIUM, LOW = "high", "medium", "low"

# Rule ids (patterns/azure.toml).
STORAGE = "azure-storage-account-key"
IDENT = "azure-identifiable-key"
CASK = "azure-cask-key"
ENTRA_SECRET = "azure-entra-client-secret"
SAS = "azure-sas-token"
SB_SAS = "azure-service-bus-sas-token"
COSMOS = "azure-cosmosdb-connection-string"
SB = "azure-service-bus-connection-string"
IOT = "azure-iot-hub-connection-string"
REDIS = "azure-redis-connection-string"
APPCONFIG = "azure-app-configuration-connection-string"
FUNC = "azure-function-key"
APIM = "azure-apim-subscription-key"
OPENAI = "azure-openai-api-key"
SQL = "azure-sql-connection-string"
PAT = "azure-devops-pat"
TOKEN = "azure-entra-token"

# Confidence each rule reports when its check passes unchanged.
RULE_CONFIDENCE = {PAT: MEDIUM}


def P(rule, confidence=None):
    """A positive label: `rule` must report on this line."""
    return (rule, confidence or RULE_CONFIDENCE.get(rule, HIGH))


class Doc:
    """One corpus file, built line by line so every label has its line."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self.positives = []  # (line, rule, confidence)
        self.traps = []  # (line, kind)

    def add(self, text="", pos=None, trap=None):
        assert "\n" not in text, (self.path, text)
        self.lines.append(text)
        n = len(self.lines)
        if pos is not None:
            for p in pos if isinstance(pos, list) else [pos]:
                rule, conf = p if isinstance(p, tuple) else P(p)
                self.positives.append((n, rule, conf))
        if trap is not None:
            self.traps.append((n, trap))
        return n

    def block(self, text):
        """Unlabeled lines (structure, comments)."""
        for line in text.strip("\n").split("\n"):
            self.add(line)


class Corpus:
    def __init__(self, keys):
        self.k = keys
        self.docs = []

    def doc(self, path):
        d = Doc(path)
        self.docs.append(d)
        return d

    # -- credential/connection-string builders --------------------------------

    def storage_conn(self, account, key=None, suffix="core.windows.net"):
        key = key or self.k.legacy64()
        return (f"DefaultEndpointsProtocol=https;AccountName={account};"
                f"AccountKey={key};EndpointSuffix={suffix}")

    def cosmos_conn(self, account, key=None):
        key = key or self.k.legacy64()
        return f"AccountEndpoint=https://{account}.documents.azure.com:443/;AccountKey={key};"

    def sb_conn(self, ns, keyname="RootManageSharedAccessKey", key=None, entity=None):
        key = key or self.k.legacy32()
        s = f"Endpoint=sb://{ns}.servicebus.windows.net/;SharedAccessKeyName={keyname};SharedAccessKey={key}"
        return s + (f";EntityPath={entity}" if entity else "")

    def iot_conn(self, hub, device=None, keyname="iothubowner", key=None):
        key = key or self.k.legacy32()
        who = f"DeviceId={device}" if device else f"SharedAccessKeyName={keyname}"
        return f"HostName={hub}.azure-devices.net;{who};SharedAccessKey={key}"

    def redis_conn(self, name, key=None):
        key = key or self.k.legacy32()
        return f"{name}.redis.cache.windows.net:6380,password={key},ssl=True,abortConnect=False"

    def appconfig_conn(self, store):
        cred_id = f"{self.k.chars(ALNUM, 4)}-l{self.k.rng.randrange(10)}-s0:{self.k.chars(ALNUM, 20)}"
        return f"Endpoint=https://{store}.azconfig.io;Id={cred_id};Secret={self.k.legacy32()}"

    def sql_password(self):
        k = self.k
        while True:
            pw = (k.chars(string.ascii_uppercase, 1) + k.chars(ALNUM, 5)
                  + k.chars("!#%^*-+.@", 1) + k.chars(ALNUM, 5) + k.chars("!#%^*-", 1)
                  + k.chars(string.digits, 2))
            if not any(w in pw.lower() for w in ("xxxx", "__")):
                return pw

    def sql_conn(self, server, db, user, password=None, style="ado"):
        pw = password or self.sql_password()
        host = f"{server}.database.windows.net"
        if style == "ado":
            return (f"Server=tcp:{host},1433;Initial Catalog={db};Persist Security Info=False;"
                    f"User ID={user};Password={pw};MultipleActiveResultSets=False;Encrypt=True;"
                    f"TrustServerCertificate=False;Connection Timeout=30;")
        if style == "odbc":
            return (f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:{host},1433;"
                    f"Database={db};Uid={user};Pwd={{{pw}}};Encrypt=yes;TrustServerCertificate=no;"
                    f"Connection Timeout=30;")
        if style == "jdbc":
            return (f"jdbc:sqlserver://{host}:1433;database={db};user={user}@{server};"
                    f"password={pw};encrypt=true;trustServerCertificate=false;"
                    f"hostNameInCertificate=*.database.windows.net;loginTimeout=30;")
        if style == "datasource":
            return f"Data Source={host};Initial Catalog={db};User Id={user};Password={pw};"
        raise ValueError(style)

    def iso(self, year, month=None, day=None, hour=None, encoded=False):
        r = self.k.rng
        t = dt.datetime(year, month or r.randrange(1, 13), day or r.randrange(1, 29),
                        hour if hour is not None else r.randrange(24), r.randrange(60), r.randrange(60))
        s = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        return s.replace(":", "%3A") if encoded else s

    def sas(self, kind="account", expired=False, amp="&", encoded_times=False):
        """A SAS query string (no leading `?`). Future expiries are
        2030-2036, expired ones 2019-2023."""
        r = self.k.rng
        end_year = r.randrange(2019, 2024) if expired else r.randrange(2030, 2037)
        se = self.iso(end_year, encoded=encoded_times)
        st = self.iso(end_year - 1, encoded=encoded_times)
        sv = r.choice(["2022-11-02", "2021-08-06", "2023-01-03", "2020-08-04", "2019-12-12"])
        sig = self.k.sas_sig()
        if kind == "account":
            parts = [f"sv={sv}", "ss=" + r.choice(["b", "bf", "bfqt", "bq"]),
                     "srt=" + r.choice(["sco", "co", "o"]),
                     "sp=" + r.choice(["rl", "rwdlac", "rwdlacupiytfx", "r"]),
                     f"se={se}", f"st={st}", "spr=https", f"sig={sig}"]
        elif kind == "service":  # the portal's blob/container SAS order
            parts = ["sp=" + r.choice(["r", "racwdl", "rl", "rcw"]), f"st={st}", f"se={se}",
                     "spr=https", f"sv={sv}", "sr=" + r.choice(["b", "c"]), f"sig={sig}"]
        elif kind == "delegation":
            parts = ["sp=r", f"st={st}", f"se={se}", f"skoid={self.k.guid()}",
                     f"sktid={self.k.guid()}", f"skt={st}", f"ske={se}", "sks=b",
                     f"skv={sv}", "spr=https", f"sv={sv}", "sr=b", f"sig={sig}"]
        elif kind == "sigfirst":  # hand-assembled: signature first
            parts = [f"sig={sig}", f"se={se}", "sp=r", f"sv={sv}", "sr=b"]
        else:
            raise ValueError(kind)
        return amp.join(parts)

    def sb_sas_token(self, ns, entity, expired=False, keyname="SendOnly"):
        r = self.k.rng
        se = r.randrange(1546300800, 1700000000) if expired else r.randrange(1900000000, 2080000000)
        sr = urllib.parse.quote(f"https://{ns}.servicebus.windows.net/{entity}", safe="")
        return f"SharedAccessSignature sr={sr}&sig={self.k.sas_sig()}&se={se}&skn={keyname}"

    def func_key_legacy(self):
        """A pre-AzFu Functions key: 40 random bytes, base64url, `==`."""
        while True:
            s = _b64encode(self.k.bytes(40), urlsafe=True)
            if "AzFu" not in s:
                return s


# --------------------------------------------------------------------------
# The files
# --------------------------------------------------------------------------

AZURITE = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
COSMOS_EMULATOR = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
AZURITE_CONN = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                f"AccountKey={AZURITE};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
                "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;")


def f_appsettings(c):
    k = c.k
    d = c.doc("appsettings.json")
    tenant, client = k.guid(), k.guid()
    d.add("{")
    d.add('  "Logging": {')
    d.add('    "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning" }')
    d.add("  },")
    d.add('  "AllowedHosts": "*",')
    d.add('  "ConnectionStrings": {')
    d.add(f'    "DefaultConnection": "{c.sql_conn("sql-contoso-orders", "orders", "orders_app")}",', pos=SQL)
    d.add(f'    "Storage": "{c.storage_conn("stcontosoorders")}",', pos=STORAGE)
    d.add(f'    "CosmosDb": "{c.cosmos_conn("cosmos-contoso-catalog")}",', pos=COSMOS)
    d.add(f'    "ServiceBus": "{c.sb_conn("sb-contoso-orders")}",', pos=SB)
    d.add(f'    "Redis": "{c.redis_conn("redis-contoso-sessions")}",', pos=REDIS)
    d.add(f'    "AppConfig": "{c.appconfig_conn("appcs-contoso-prod")}"', pos=APPCONFIG)
    d.add("  },")
    d.add('  "AzureAd": {')
    d.add('    "Instance": "https://login.microsoftonline.com/",', trap="authority-url")
    d.add('    "Domain": "contoso.onmicrosoft.com",')
    d.add(f'    "TenantId": "{tenant}",', trap="tenant-id")
    d.add(f'    "ClientId": "{client}",', trap="client-id")
    d.add(f'    "ClientSecret": "{k.entra()}",', pos=ENTRA_SECRET)
    d.add('    "CallbackPath": "/signin-oidc"')
    d.add("  },")
    d.add('  "ApplicationInsights": {')
    d.add(f'    "ConnectionString": "InstrumentationKey={k.guid()};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;ApplicationId={k.guid()}"', trap="app-insights")
    d.add("  },")
    d.add('  "KeyVault": {')
    d.add('    "VaultUri": "https://kv-contoso-prod.vault.azure.net/",', trap="keyvault-uri")
    d.add('    "CertificateThumbprint": "' + k.hexs(40).upper() + '"', trap="cert-thumbprint")
    d.add("  },")
    d.add('  "Blob": {')
    d.add('    "ContainerUri": "https://stcontosoorders.blob.core.windows.net/invoices",', trap="storage-url")
    d.add(f'    "ExportSasUri": "https://stcontosoorders.blob.core.windows.net/exports?{c.sas("service")}"', pos=SAS)
    d.add("  }")
    d.add("}")


def f_appsettings_development(c):
    k = c.k
    d = c.doc("appsettings.Development.json")
    d.add("{")
    d.add('  "ConnectionStrings": {')
    d.add('    "DefaultConnection": "Server=(localdb)\\\\mssqllocaldb;Database=orders-dev;Trusted_Connection=True;MultipleActiveResultSets=true",', trap="localdb")
    d.add('    "Storage": "UseDevelopmentStorage=true",', trap="dev-storage")
    d.add(f'    "StorageEmulator": "{AZURITE_CONN}",', trap="azurite-key")
    d.add(f'    "CosmosDb": "AccountEndpoint=https://localhost:8081/;AccountKey={COSMOS_EMULATOR};",', trap="cosmos-emulator-key")
    d.add('    "ServiceBus": "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;",', trap="service-bus-emulator")
    d.add('    "Sql": "Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password={your_password};Encrypt=True;"', trap="placeholder")
    d.add("  },")
    d.add('  "AzureAd": {')
    d.add(f'    "TenantId": "{k.guid()}",', trap="tenant-id")
    d.add(f'    "ClientId": "{k.guid()}",', trap="client-id")
    d.add('    "ClientSecret": "<client-secret>"', trap="placeholder")
    d.add("  },")
    d.add('  "Storage": {')
    d.add('    "AccountName": "devstoreaccount1",')
    d.add(f'    "AccountKey": "{AZURITE}"', trap="azurite-key")
    d.add("  }")
    d.add("}")


def f_appsettings_production(c):
    """Identifiable keys as the portal hands them out today."""
    k = c.k
    d = c.doc("appsettings.Production.json")
    d.add("{")
    d.add('  "ConnectionStrings": {')
    d.add(f'    "Storage": "{c.storage_conn("stcontosoprodweu", k.his("+ASt"))}",', pos=IDENT)
    d.add(f'    "CosmosDb": "{c.cosmos_conn("cosmos-contoso-prod", k.his("ACDb"))}",', pos=IDENT)
    d.add(f'    "ServiceBus": "{c.sb_conn("sb-contoso-prod", key=k.his("+ASb"))}",', pos=IDENT)
    d.add(f'    "EventHubs": "{c.sb_conn("evhns-contoso-prod", "send", k.his("+AEh"), "clicks")}",', pos=IDENT)
    d.add(f'    "Relay": "{c.sb_conn("relay-contoso-prod", "listen", k.his("+ARm"))}",', pos=IDENT)
    d.add(f'    "Redis": "{c.redis_conn("redis-contoso-prod", k.his("AzCa"))}"', pos=IDENT)
    d.add("  },")
    d.add('  "Search": {')
    d.add('    "Endpoint": "https://srch-contoso-prod.search.windows.net",', trap="endpoint-url")
    d.add(f'    "QueryKey": "{k.his("AzSe", seed="Query000")}",', pos=IDENT)
    d.add('    "IndexName": "products"')
    d.add("  },")
    d.add('  "AzureAd": {')
    d.add(f'    "ClientId": "{k.guid()}",', trap="client-id")
    d.add(f'    "ClientSecret": "{k.guid()}"', trap="guid-near-secret")
    d.add("  },")
    d.add('  "ApplicationInsights": {')
    d.add(f'    "InstrumentationKey": "{k.guid()}"', trap="app-insights")
    d.add("  }")
    d.add("}")


def f_local_settings(c):
    k = c.k
    d = c.doc("functions/local.settings.json")
    d.add("{")
    d.add('  "IsEncrypted": false,')
    d.add('  "Values": {')
    d.add('    "AzureWebJobsStorage": "UseDevelopmentStorage=true",', trap="dev-storage")
    d.add('    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",')
    d.add(f'    "APPINSIGHTS_INSTRUMENTATIONKEY": "{k.guid()}",', trap="app-insights")
    d.add(f'    "ServiceBusConnection": "{c.sb_conn("sb-fulfil-dev", "functions", entity="shipments")}",', pos=SB)
    d.add(f'    "IoTHubConnection": "{c.iot_conn("iot-fulfil-dev", keyname="service")}",', pos=IOT)
    d.add('    "CosmosDbConnection": "@Microsoft.KeyVault(SecretUri=https://kv-fulfil.vault.azure.net/secrets/cosmos/)",', trap="keyvault-reference")
    d.add('    "SqlConnection": "Server=tcp:sql-fulfil.database.windows.net,1433;Database=fulfil;Authentication=Active Directory Default;Encrypt=True;"', trap="sql-no-password")
    d.add("  },")
    d.add('  "Host": { "LocalHttpPort": 7071, "CORS": "*" }')
    d.add("}")


def f_web_config(c):
    k = c.k
    d = c.doc("legacy-site/web.config")
    d.add('<?xml version="1.0" encoding="utf-8"?>')
    d.add("<configuration>")
    d.add("  <appSettings>")
    d.add('    <add key="StorageAccountName" value="stlegacysite" />')
    d.add(f'    <add key="StorageAccountKey" value="{k.legacy64()}" />', pos=STORAGE)
    d.add(f'    <add key="ida:Tenant" value="{k.guid()}" />', trap="tenant-id")
    d.add(f'    <add key="ida:ClientId" value="{k.guid()}" />', trap="client-id")
    d.add(f'    <add key="ida:ClientSecret" value="{k.entra()}" />', pos=ENTRA_SECRET)
    d.add(f'    <add key="ReportSas" value="?{c.sas("account", amp="&amp;")}" />', pos=SAS)
    d.add(f'    <add key="ArchiveSas" value="?{c.sas("account", expired=True, amp="&amp;")}" />', pos=SAS)
    d.add('    <add key="ApplicationInsights:InstrumentationKey" value="' + k.guid() + '" />', trap="app-insights")
    d.add("  </appSettings>")
    d.add("  <connectionStrings>")
    d.add(f'    <add name="OrdersDb" connectionString="{c.sql_conn("sql-legacy-site", "orders", "site_rw", style="datasource")}" providerName="System.Data.SqlClient" />', pos=SQL)
    d.add(f'    <add name="Blob" connectionString="{c.storage_conn("stlegacysite")}" />', pos=STORAGE)
    d.add('    <add name="Local" connectionString="UseDevelopmentStorage=true" />', trap="dev-storage")
    d.add("  </connectionStrings>")
    d.add("  <system.web>")
    d.add('    <compilation debug="false" targetFramework="4.8" />')
    d.add("  </system.web>")
    d.add("</configuration>")

    d = c.doc("legacy-site/Web.Release.config")
    d.add('<?xml version="1.0" encoding="utf-8"?>')
    d.add('<configuration xmlns:xdt="http://schemas.microsoft.com/XML-Document-Transform">')
    d.add("  <connectionStrings>")
    d.add('    <add name="OrdersDb" connectionString="Server=tcp:sql-legacy-site.database.windows.net,1433;Database=orders;User ID=site_rw;Password=__SqlPassword__;" xdt:Transform="SetAttributes" xdt:Locator="Match(name)" />', trap="release-token")
    d.add('    <add name="Blob" connectionString="DefaultEndpointsProtocol=https;AccountName=stlegacysite;AccountKey=#{StorageAccountKey}#;EndpointSuffix=core.windows.net" xdt:Transform="SetAttributes" xdt:Locator="Match(name)" />', trap="release-token")
    d.add("  </connectionStrings>")
    d.add("  <appSettings>")
    d.add('    <add key="ida:ClientSecret" value="#{AadClientSecret}#" xdt:Transform="SetAttributes" xdt:Locator="Match(key)" />', trap="release-token")
    d.add('    <add key="StorageAccountKey" value="$(StorageAccountKey)" xdt:Transform="SetAttributes" xdt:Locator="Match(key)" />', trap="pipeline-variable")
    d.add("  </appSettings>")
    d.add("</configuration>")


def f_dotenv(c):
    k = c.k
    d = c.doc(".env")
    d.add("# local overrides for the ingest worker -- do not commit (it was committed)")
    d.add(f"AZURE_TENANT_ID={k.guid()}", trap="tenant-id")
    d.add(f"AZURE_CLIENT_ID={k.guid()}", trap="client-id")
    d.add(f"AZURE_CLIENT_SECRET={k.entra()}", pos=ENTRA_SECRET)
    d.add(f"AZURE_SUBSCRIPTION_ID={k.guid()}", trap="subscription-id")
    d.add(f'AZURE_STORAGE_CONNECTION_STRING="{c.storage_conn("stingestraw")}"', pos=STORAGE)
    d.add("AZURE_STORAGE_ACCOUNT=stingestraw")
    d.add(f"AZURE_STORAGE_KEY={k.legacy64()}", pos=STORAGE)
    d.add(f'AZURE_STORAGE_SAS_TOKEN="?{c.sas("account")}"', pos=SAS)
    d.add(f"COSMOS_ENDPOINT=https://cosmos-ingest.documents.azure.com:443/", trap="endpoint-url")
    d.add(f"COSMOS_KEY={k.legacy64()}", pos=COSMOS)
    d.add("AZURE_OPENAI_ENDPOINT=https://oai-ingest.openai.azure.com/", trap="endpoint-url")
    d.add(f"AZURE_OPENAI_API_KEY={k.hexs(32)}", pos=OPENAI)
    d.add(f"AZURE_DEVOPS_EXT_PAT={k.devops_pat()}", pos=PAT)
    d.add(f"APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey={k.guid()};IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/", trap="app-insights")

    d = c.doc(".env.example")
    d.add("# Copy to .env and fill in. Never commit real values.")
    d.add("AZURE_TENANT_ID=00000000-0000-0000-0000-000000000000", trap="zero-guid")
    d.add("AZURE_CLIENT_ID=<app-registration-client-id>", trap="placeholder")
    d.add("AZURE_CLIENT_SECRET=<client-secret>", trap="placeholder")
    d.add("AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=<account-name>;AccountKey=<account-key>;EndpointSuffix=core.windows.net", trap="placeholder")
    d.add("AZURE_STORAGE_KEY=your_storage_account_key_here", trap="placeholder")
    d.add('AZURE_STORAGE_SAS_TOKEN="?sv=<version>&ss=b&srt=co&sp=rl&se=<expiry>&spr=https&sig=<signature>"', trap="placeholder")
    d.add("COSMOS_KEY=${COSMOS_PRIMARY_KEY}", trap="env-reference")
    d.add("AZURE_OPENAI_API_KEY=<your-azure-openai-key>", trap="placeholder")
    d.add("AZURE_DEVOPS_EXT_PAT=", trap="empty-value")
    d.add("SQL_CONNECTION=Server=tcp:<server>.database.windows.net,1433;Database=<db>;User ID=<user>;Password=<password>;", trap="placeholder")
    d.add("SERVICEBUS_CONNECTION=Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=<key>", trap="placeholder")

    d = c.doc("worker/.env.test")
    d.add("# emulators only")
    d.add(f'AZURE_STORAGE_CONNECTION_STRING="{AZURITE_CONN}"', trap="azurite-key")
    d.add("AzureWebJobsStorage=UseDevelopmentStorage=true", trap="dev-storage")
    d.add(f"COSMOS_KEY={COSMOS_EMULATOR}", trap="cosmos-emulator-key")
    d.add("COSMOS_ENDPOINT=https://localhost:8081/")
    d.add("AZURE_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", trap="placeholder")
    d.add("AZURE_CLIENT_SECRET_SHAPE=abc8Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", trap="placeholder")


def f_terraform(c):
    k = c.k
    d = c.doc("terraform/main.tf")
    d.block('''
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.100"
    }
    azuredevops = {
      source = "microsoft/azuredevops"
    }
  }
}
''')
    d.add("")
    d.add('provider "azurerm" {')
    d.add("  features {}")
    d.add(f'  subscription_id = "{k.guid()}"', trap="subscription-id")
    d.add(f'  tenant_id       = "{k.guid()}"', trap="tenant-id")
    d.add(f'  client_id       = "{k.guid()}"', trap="client-id")
    d.add(f'  client_secret   = "{k.entra()}"', pos=ENTRA_SECRET)
    d.add("}")
    d.add("")
    d.add('provider "azuredevops" {')
    d.add('  org_service_url       = "https://dev.azure.com/contoso"', trap="devops-url")
    d.add(f'  personal_access_token = "{k.devops_pat()}"', pos=PAT)
    d.add("}")
    d.add("")
    d.add('resource "azurerm_storage_account" "logs" {')
    d.add('  name                     = "stcontosologs"')
    d.add("  resource_group_name      = azurerm_resource_group.main.name")
    d.add("  location                 = azurerm_resource_group.main.location")
    d.add('  account_tier             = "Standard"')
    d.add('  account_replication_type = "GRS"')
    d.add("}")
    d.add("")
    d.add('resource "azurerm_linux_function_app" "ingest" {')
    d.add('  name                       = "func-contoso-ingest"')
    d.add("  storage_account_name       = azurerm_storage_account.logs.name")
    d.add("  storage_account_access_key = azurerm_storage_account.logs.primary_access_key", trap="terraform-reference")
    d.add("  app_settings = {")
    d.add('    "AzureWebJobsStorage" = azurerm_storage_account.logs.primary_connection_string', trap="terraform-reference")
    d.add('    "Archive"             = "DefaultEndpointsProtocol=https;AccountName=${azurerm_storage_account.logs.name};AccountKey=${azurerm_storage_account.logs.primary_access_key}"', trap="terraform-interpolation")
    d.add("  }")
    d.add("}")
    d.add("")
    d.add('resource "azurerm_linux_function_app" "legacy" {')
    d.add('  name                       = "func-contoso-legacy"')
    d.add('  storage_account_name       = "stcontosolegacy"')
    d.add(f'  storage_account_access_key = "{k.legacy64()}"', pos=STORAGE)
    d.add("}")
    d.add("")
    d.add('variable "sql_admin_password" {')
    d.add("  type      = string")
    d.add("  sensitive = true")
    d.add("}")
    d.add("")
    d.add('output "sql_connection" {')
    d.add('  value     = "Server=tcp:${azurerm_mssql_server.main.fully_qualified_domain_name},1433;Database=app;User ID=sqladmin;Password=${var.sql_admin_password};"', trap="terraform-interpolation")
    d.add("  sensitive = true")
    d.add("}")

    d = c.doc("terraform/terraform.tfstate")
    key = k.legacy64()
    key2 = k.legacy64()
    d.add("{")
    d.add('  "version": 4,')
    d.add('  "terraform_version": "1.7.5",')
    d.add('  "serial": 42,')
    d.add(f'  "lineage": "{k.guid()}",', trap="guid")
    d.add('  "outputs": {},')
    d.add('  "resources": [')
    d.add("    {")
    d.add('      "mode": "managed",')
    d.add('      "type": "azurerm_storage_account",')
    d.add('      "name": "logs",')
    d.add('      "provider": "provider[\\"registry.terraform.io/hashicorp/azurerm\\"]",')
    d.add('      "instances": [')
    d.add("        {")
    d.add('          "schema_version": 3,')
    d.add('          "attributes": {')
    d.add('            "access_tier": "Hot",')
    d.add(f'            "id": "/subscriptions/{k.guid()}/resourceGroups/rg-contoso/providers/Microsoft.Storage/storageAccounts/stcontosologs",', trap="resource-id")
    d.add('            "name": "stcontosologs",')
    d.add(f'            "primary_access_key": "{key}",', pos=STORAGE)
    d.add('            "primary_blob_endpoint": "https://stcontosologs.blob.core.windows.net/",', trap="storage-url")
    d.add(f'            "primary_blob_connection_string": "DefaultEndpointsProtocol=https;BlobEndpoint=https://stcontosologs.blob.core.windows.net/;AccountName=stcontosologs;AccountKey={key}",', pos=STORAGE)
    d.add(f'            "primary_connection_string": "{c.storage_conn("stcontosologs", key)}",', pos=STORAGE)
    d.add(f'            "secondary_access_key": "{key2}",', pos=STORAGE)
    d.add(f'            "secondary_connection_string": "{c.storage_conn("stcontosologs", key2)}",', pos=STORAGE)
    d.add('            "account_replication_type": "GRS"')
    d.add("          },")
    d.add('          "sensitive_attributes": []')
    d.add("        }")
    d.add("      ]")
    d.add("    }")
    d.add("  ]")
    d.add("}")


def f_bicep_arm(c):
    k = c.k
    d = c.doc("infra/main.bicep")
    d.add("param location string = resourceGroup().location")
    d.add("@secure()")
    d.add("param sqlAdminPassword string", trap="secure-param")
    d.add("")
    d.add("resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {")
    d.add("  name: 'stcontosoapps'")
    d.add("}")
    d.add("")
    d.add("var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${sa.name};AccountKey=${sa.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'", trap="bicep-listkeys")
    d.add("var sqlConnection = 'Server=tcp:${sqlServer.properties.fullyQualifiedDomainName},1433;Database=app;User ID=sqladmin;Password=${sqlAdminPassword};'", trap="bicep-interpolation")
    d.add("")
    d.add("resource script 'Microsoft.Resources/deploymentScripts@2020-10-01' = {")
    d.add("  name: 'seed-data'")
    d.add("  location: location")
    d.add("  kind: 'AzureCLI'")
    d.add("  properties: {")
    d.add("    azCliVersion: '2.52.0'")
    d.add(f"    primaryScriptUri: 'https://stcontosoapps.blob.core.windows.net/scripts/seed.sh?{c.sas('service')}'", pos=SAS)
    d.add("    retentionInterval: 'P1D'")
    d.add("  }")
    d.add("}")

    d = c.doc("infra/azuredeploy.json")
    d.add("{")
    d.add('  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",')
    d.add('  "contentVersion": "1.0.0.0",')
    d.add('  "parameters": {')
    d.add('    "storageName": { "type": "string" },')
    d.add('    "adminPassword": { "type": "securestring" }', trap="secure-param")
    d.add("  },")
    d.add('  "variables": {')
    d.add('    "storageConnection": "[concat(\'DefaultEndpointsProtocol=https;AccountName=\', parameters(\'storageName\'), \';AccountKey=\', listKeys(resourceId(\'Microsoft.Storage/storageAccounts\', parameters(\'storageName\')), \'2023-01-01\').keys[0].value)]"', trap="arm-listkeys")
    d.add("  },")
    d.add('  "resources": []')
    d.add("}")

    d = c.doc("infra/azuredeploy.parameters.json")
    d.add("{")
    d.add('  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",')
    d.add('  "contentVersion": "1.0.0.0",')
    d.add('  "parameters": {')
    d.add('    "storageName": { "value": "stcontosoapps" },')
    d.add(f'    "storageAccountKey": {{ "value": "{k.legacy64()}" }},', pos=STORAGE)
    d.add(f'    "servicePrincipalClientId": {{ "value": "{k.guid()}" }},', trap="client-id")
    d.add(f'    "servicePrincipalClientSecret": {{ "value": "{k.entra()}" }},', pos=ENTRA_SECRET)
    d.add(f'    "artifactsSasToken": {{ "value": "?{c.sas("account", expired=True)}" }},', pos=SAS)
    d.add('    "adminPassword": {')
    d.add('      "reference": {')
    d.add(f'        "keyVault": {{ "id": "/subscriptions/{k.guid()}/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-contoso" }},', trap="resource-id")
    d.add('        "secretName": "sql-admin-password"')
    d.add("      }")
    d.add("    }")
    d.add("  }")
    d.add("}")


def f_code(c):
    k = c.k

    # ---- C# -----------------------------------------------------------------
    d = c.doc("src/Contoso.Orders/Services/BlobArchive.cs")
    d.add("using Azure.Identity;")
    d.add("using Azure.Storage;")
    d.add("using Azure.Storage.Blobs;")
    d.add("")
    d.add("namespace Contoso.Orders.Services;")
    d.add("")
    d.add("public sealed class BlobArchive")
    d.add("{")
    d.add("    // TODO: move to Key Vault before go-live")
    d.add(f'    private const string ConnectionString = "{c.storage_conn("stordersarchive", k.his("+ASt"))}";', pos=IDENT)
    d.add(f'    private const string LegacyConnectionString = "{c.storage_conn("stordersold")}";', pos=STORAGE)
    d.add("")
    d.add("    public static BlobServiceClient SharedKeyClient() =>")
    d.add('        new(new Uri("https://stordersarchive.blob.core.windows.net"),', trap="storage-url")
    d.add(f'            new StorageSharedKeyCredential("stordersarchive", "{k.legacy64()}"));', pos=STORAGE)
    d.add("")
    d.add("    public static BlobServiceClient ServicePrincipalClient() =>")
    d.add('        new(new Uri("https://stordersarchive.blob.core.windows.net"),')
    d.add(f'            new ClientSecretCredential("{k.guid()}", "{k.guid()}", "{k.entra()}"));', pos=ENTRA_SECRET)
    d.add("")
    d.add("    public static BlobServiceClient ManagedIdentityClient() =>")
    d.add('        new(new Uri("https://stordersarchive.blob.core.windows.net"), new DefaultAzureCredential());')
    d.add("")
    d.add("    public static BlobServiceClient FromEnvironment() =>")
    d.add('        new(Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING"));', trap="env-lookup")
    d.add("")
    d.add('    private static string Format(string account, string key) => $"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};EndpointSuffix=core.windows.net";', trap="format-string")
    d.add('    private static string Template => string.Format("DefaultEndpointsProtocol=https;AccountName={0};AccountKey={1}", "a", "b");', trap="format-string")
    d.add("}")

    d = c.doc("src/Contoso.Search/ProductIndex.cs")
    d.add("using Azure;")
    d.add("using Azure.Search.Documents;")
    d.add("")
    d.add("var endpoint = new Uri(\"https://srch-contoso-catalog.search.windows.net\");", trap="endpoint-url")
    d.add(f'var adminKey = new AzureKeyCredential("{k.his("AzSe", seed="PAdmin00")}");', pos=IDENT)
    d.add('var client = new SearchClient(endpoint, "products", adminKey);')
    d.add(f'var openAi = new AzureOpenAIClient(new Uri("https://oai-catalog.openai.azure.com/"), new AzureKeyCredential("{k.cask("ACOG", "AAAB")}"));', pos=CASK)
    d.add(f'var relay = "{c.sb_conn("relay-catalog", "sender", k.his("+ARm"))}";', pos=IDENT)
    d.add("using var http = new HttpClient();")
    d.add(f'http.DefaultRequestHeaders.Add("x-functions-key", "{c.func_key_legacy()}");', pos=FUNC)
    d.add(f'http.DefaultRequestHeaders.Add("Ocp-Apim-Subscription-Key", "{k.hexs(32)}");', pos=APIM)
    d.add('http.DefaultRequestHeaders.Add("Ocp-Apim-Subscription-Key", configuration["Apim:SubscriptionKey"]);', trap="config-lookup")

    # ---- Python -------------------------------------------------------------
    d = c.doc("src/ingest/storage.py")
    d.add('"""Blob and Cosmos helpers for the ingest worker."""')
    d.add("import os")
    d.add("")
    d.add("from azure.cosmos import CosmosClient")
    d.add("from azure.identity import ClientSecretCredential, DefaultAzureCredential")
    d.add("from azure.storage.blob import BlobServiceClient")
    d.add("")
    d.add(f'TENANT_ID = "{k.guid()}"', trap="tenant-id")
    d.add(f'CLIENT_ID = "{k.guid()}"', trap="client-id")
    d.add(f'CLIENT_SECRET = "{k.entra(old=True)}"', pos=ENTRA_SECRET)
    d.add("")
    d.add("")
    d.add("def blob_client():")
    d.add(f'    return BlobServiceClient.from_connection_string("{c.storage_conn("stingestlanding", k.his("+ASt"))}")', pos=IDENT)
    d.add("")
    d.add("")
    d.add("def cosmos_client():")
    d.add(f'    return CosmosClient("https://cosmos-ingest.documents.azure.com:443/", credential="{k.his("ACDb")}")', pos=IDENT)
    d.add("")
    d.add("")
    d.add("def archive_client():")
    d.add('    return BlobServiceClient(account_url="https://stingestarchive.blob.core.windows.net",')
    d.add(f'                             credential="{k.legacy64()}")', pos=STORAGE)
    d.add("")
    d.add("")
    d.add("def identity_client():")
    d.add('    return BlobServiceClient(account_url="https://stingestarchive.blob.core.windows.net",')
    d.add("                             credential=DefaultAzureCredential())", trap="managed-identity")
    d.add("")
    d.add("")
    d.add("def env_client():")
    d.add('    key = os.environ["AZURE_STORAGE_KEY"]', trap="env-lookup")
    d.add('    conn = f"DefaultEndpointsProtocol=https;AccountName={os.environ[\'AZURE_STORAGE_ACCOUNT\']};AccountKey={key}"', trap="format-string")
    d.add("    return BlobServiceClient.from_connection_string(conn)")
    d.add("")
    d.add("")
    d.add("def credential():")
    d.add("    return ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET)")
    d.add("")
    d.add("")
    d.add("def sql_dsn(server, db, user, password):")
    d.add('    return f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:{server}.database.windows.net,1433;Database={db};Uid={user};Pwd={password};"', trap="format-string")
    d.add("")
    d.add("")
    d.add(f'REPORTING_DSN = "{c.sql_conn("sql-ingest-reporting", "reporting", "report_reader", style="odbc")}"', pos=SQL)

    d = c.doc("src/openai/chat.py")
    d.add("import os")
    d.add("from openai import AzureOpenAI")
    d.add("")
    d.add("client = AzureOpenAI(")
    d.add('    azure_endpoint="https://oai-support-bot.openai.azure.com/",', trap="endpoint-url")
    d.add(f'    api_key="{k.cask("ACOG", "AAAB", year="B", month="C")}",', pos=CASK)
    d.add('    api_version="2024-06-01",')
    d.add(")")
    d.add("")
    d.add("fallback = AzureOpenAI(")
    d.add('    azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],')
    d.add('    api_key=os.getenv("AZURE_OPENAI_API_KEY"),', trap="env-lookup")
    d.add('    api_version="2024-06-01",')
    d.add(")")
    d.add(f'os.environ.setdefault("AZURE_OPENAI_KEY", "{k.hexs(32)}")', pos=OPENAI)
    d.add(f'DEPLOYMENT_ID = "{k.hexs(32)}"  # not a key: deployment hash', trap="hex-no-context")

    d = c.doc("src/iot/device_client.py")
    d.add("from azure.iot.device import IoTHubDeviceClient")
    d.add("")
    d.add(f'DEVICE_CONN = "{c.iot_conn("iot-plant-north", device="press-17")}"', pos=IOT)
    d.add(f'SERVICE_CONN = "{c.iot_conn("iot-plant-north", key=k.his("AIoT", seed="IoTHub00"))}"', pos=IDENT)
    d.add(f'DPS_CONN = "HostName=dps-plant.azure-devices-provisioning.net;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey={k.legacy32()}"', pos=IOT)
    d.add('TEMPLATE = "HostName={hub}.azure-devices.net;DeviceId={device};SharedAccessKey={key}"', trap="format-string")
    d.add('X509 = "HostName=iot-plant-north.azure-devices.net;DeviceId=press-18;x509=true"', trap="connection-without-key")
    d.add("")
    d.add("client = IoTHubDeviceClient.create_from_connection_string(DEVICE_CONN)")

    d = c.doc("src/batch/pool.py")
    d.add("from azure.batch import BatchServiceClient")
    d.add("from azure.batch.batch_auth import SharedKeyCredentials")
    d.add("")
    d.add('BATCH_URL = "https://batchcontoso.westeurope.batch.azure.com"', trap="endpoint-url")
    d.add(f'creds = SharedKeyCredentials("batchcontoso", "{k.his("+ABa")}")', pos=IDENT)
    d.add("client = BatchServiceClient(creds, batch_url=BATCH_URL)")
    d.add("")
    d.add("# ML Studio (classic) web service, still called by the nightly job")
    d.add(f'ML_API_KEY = "{k.his("+AMC")}"', pos=IDENT)
    d.add('ML_URL = "https://ussouthcentral.services.azureml.net/workspaces/0f3c/services/ab12/execute?api-version=2.0"')

    # ---- JavaScript -----------------------------------------------------------
    d = c.doc("web/server/messaging.js")
    d.add("const { ServiceBusClient } = require('@azure/service-bus');")
    d.add("const { EventHubProducerClient } = require('@azure/event-hubs');")
    d.add("")
    d.add(f"const sb = new ServiceBusClient('{c.sb_conn('sb-web-notify', 'web-send')}');", pos=SB)
    d.add(f"const hub = new EventHubProducerClient('{c.sb_conn('evhns-web-clicks', 'producer', entity='clicks')}');", pos=SB)
    d.add("const fromEnv = new ServiceBusClient(process.env.SERVICEBUS_CONNECTION_STRING);", trap="env-lookup")
    d.add("")
    d.add("// pre-generated token for the webhook relay")
    d.add(f"const relayToken = '{c.sb_sas_token('sb-web-notify', 'webhooks')}';", pos=SB_SAS)
    d.add(f"const oldToken = '{c.sb_sas_token('sb-web-notify', 'webhooks', expired=True)}';", pos=SB_SAS)
    d.add("const tokenFormat = 'SharedAccessSignature sr={uri}&sig={signature}&se={expiry}&skn={keyName}';", trap="format-string")
    d.add("")
    d.add("async function resize(blobName) {")
    d.add(f"  const res = await fetch(`https://func-web-images.azurewebsites.net/api/resize?name=${{blobName}}&code={c.func_key_legacy()}`);", pos=FUNC)
    d.add("  return res.json();")
    d.add("}")
    d.add("")
    d.add("async function thumbnail(blobName) {")
    d.add(f"  return fetch('https://func-web-images.azurewebsites.net/api/thumbnail?code={k.his('AzFu')}', {{ method: 'POST', body: blobName }});", pos=IDENT)
    d.add("}")
    d.add("")
    d.add("async function callHttpTrigger() {")
    d.add("  return fetch('https://func-web-images.azurewebsites.net/api/status', {")
    d.add(f"    headers: {{ 'x-functions-key': '{c.func_key_legacy()}' }},", pos=FUNC)
    d.add("  });")
    d.add("}")
    d.add("")
    d.add("const signinUrl = 'https://func-web-images.azurewebsites.net/.auth/login/aad/callback?code=0.AQ&state=redir';", trap="oauth-code")
    d.add("module.exports = { sb, hub, resize, thumbnail, callHttpTrigger };")

    # ---- Go -------------------------------------------------------------------
    d = c.doc("cmd/uploader/main.go")
    d.add("package main")
    d.add("")
    d.add("import (")
    d.add('\t"context"')
    d.add('\t"log"')
    d.add("")
    d.add('\t"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"')
    d.add('\t"github.com/redis/go-redis/v9"')
    d.add(")")
    d.add("")
    d.add("const (")
    d.add('\taccountName = "stuploadsprod"')
    d.add(f'\tsasURL      = "https://stuploadsprod.blob.core.windows.net/incoming?{c.sas("delegation")}"', pos=SAS)
    d.add(f'\tredisAddr   = "{c.redis_conn("redis-uploads")}"', pos=REDIS)
    d.add(")")
    d.add("")
    d.add("func main() {")
    d.add(f'\tcred, err := azblob.NewSharedKeyCredential(accountName, "{k.legacy64()}")', pos=STORAGE)
    d.add("\tif err != nil {")
    d.add("\t\tlog.Fatal(err)")
    d.add("\t}")
    d.add(f'\tcred2, _ := azblob.NewSharedKeyCredential("stuploadsprod", "{k.legacy64()}")', pos=STORAGE)
    d.add('\tclient, _ := azblob.NewClientWithSharedKeyCredential("https://stuploadsprod.blob.core.windows.net/", cred, nil)')
    d.add("\t_, _ = client, cred2")
    d.add("\t_ = redis.NewClient(&redis.Options{Addr: \"redis-uploads.redis.cache.windows.net:6380\"})")
    d.add("\t_ = context.Background()")
    d.add("}")


def f_kubernetes(c):
    k = c.k
    d = c.doc("deploy/k8s/secret.yaml")
    d.add("apiVersion: v1")
    d.add("kind: Secret")
    d.add("metadata:")
    d.add("  name: orders-api")
    d.add("  namespace: orders")
    d.add("type: Opaque")
    d.add("stringData:")
    d.add(f'  AZURE_STORAGE_CONNECTION_STRING: "{c.storage_conn("stordersk8s")}"', pos=STORAGE)
    d.add(f"  AZURE_CLIENT_ID: {k.guid()}", trap="client-id")
    d.add(f"  AZURE_CLIENT_SECRET: {k.entra(valid=False)}", pos=P(ENTRA_SECRET, LOW))
    d.add(f'  SQL_CONNECTION: "{c.sql_conn("sql-orders-k8s", "orders", "orders_api")}"', pos=SQL)
    d.add(f'  REDIS_CONNECTION: "{c.redis_conn("redis-orders-k8s")}"', pos=REDIS)
    d.add("data:")
    d.add("  LOG_LEVEL: aW5mbw==", trap="k8s-base64-config")
    d.add("  FEATURE_FLAGS: " + _b64encode(b'{"newCheckout":true,"betaSearch":false,"region":"westeurope"}'), trap="k8s-base64-config")
    d.add("  TLS_CA_BUNDLE_SHA512: " + _b64encode(k.bytes(64)), trap="base64-blob")

    d = c.doc("deploy/k8s/deployment.yaml")
    d.add("apiVersion: apps/v1")
    d.add("kind: Deployment")
    d.add("metadata:")
    d.add("  name: telemetry-gateway")
    d.add("spec:")
    d.add("  replicas: 2")
    d.add("  template:")
    d.add("    metadata:")
    d.add("      labels:")
    d.add("        azure.workload.identity/use: \"true\"")
    d.add("    spec:")
    d.add("      serviceAccountName: telemetry-gateway")
    d.add("      containers:")
    d.add("        - name: gateway")
    d.add("          image: crcontoso.azurecr.io/telemetry-gateway:1.8.2", trap="registry-url")
    d.add("          env:")
    d.add("            - name: AZURE_CLIENT_ID")
    d.add(f'              value: "{k.guid()}"', trap="client-id")
    d.add("            - name: EVENTHUB_CONNECTION")
    d.add(f'              value: "{c.sb_conn("evhns-telemetry", "gateway-send", k.his("+AEh"), "raw")}"', pos=IDENT)
    d.add("            - name: IOTHUB_SERVICE_CONNECTION")
    d.add(f'              value: "{c.iot_conn("iot-telemetry", keyname="service")}"', pos=IOT)
    d.add("            - name: STORAGE_KEY")
    d.add("              valueFrom:")
    d.add("                secretKeyRef:", trap="secret-ref")
    d.add("                  name: telemetry-storage")
    d.add("                  key: AccountKey", trap="secret-ref")
    d.add("            - name: COSMOS_KEY")
    d.add(f'              value: "{k.legacy64()}"', pos=COSMOS)
    d.add("            - name: AZURE_DEVOPS_EXT_PAT")
    d.add(f"              value: {k.devops_pat()}", pos=PAT)
    d.add("            - name: APPLICATIONINSIGHTS_CONNECTION_STRING")
    d.add(f'              value: "InstrumentationKey={k.guid()};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"', trap="app-insights")

    d = c.doc("deploy/helm/values.yaml")
    d.add("image:")
    d.add("  repository: crcontoso.azurecr.io/orders-api", trap="registry-url")
    d.add("  tag: 2.3.1")
    d.add("imagePullSecrets:")
    d.add("  - name: acr-pull")
    d.add("acr:")
    d.add("  server: crcontoso.azurecr.io")
    d.add("  username: crcontoso")
    d.add(f"  password: {k.his('+ACR')}", pos=IDENT)
    d.add("storage:")
    d.add("  accountName: stordershelm")
    d.add(f"  accountKey: {k.legacy64()}", pos=STORAGE)
    d.add("  connectionString: \"\"", trap="empty-value")
    d.add("azureAd:")
    d.add(f"  tenantId: {k.guid()}", trap="tenant-id")
    d.add("  clientSecret: \"{{ .Values.secrets.clientSecret }}\"", trap="template")
    d.add("sql:")
    d.add("  connectionString: \"Server=tcp:sql-orders-helm.database.windows.net,1433;Database=orders;User ID=orders;Password={{ .Values.sqlPassword }};\"", trap="template")


def f_pipelines(c):
    k = c.k
    d = c.doc(".github/workflows/deploy.yml")
    d.add("name: deploy")
    d.add("on:")
    d.add("  push:")
    d.add("    branches: [main]")
    d.add("permissions:")
    d.add("  id-token: write")
    d.add("  contents: read")
    d.add("jobs:")
    d.add("  deploy:")
    d.add("    runs-on: ubuntu-latest")
    d.add("    env:")
    d.add("      AZURE_STORAGE_ACCOUNT: stcontosostatic")
    d.add(f"      AZURE_STORAGE_KEY: {k.his('+ASt')}", pos=IDENT)
    d.add("      ARM_CLIENT_SECRET: ${{ secrets.ARM_CLIENT_SECRET }}", trap="gha-secret-ref")
    d.add("    steps:")
    d.add("      - uses: actions/checkout@v4")
    d.add("      - uses: azure/login@v2")
    d.add("        with:")
    d.add("          client-id: ${{ secrets.AZURE_CLIENT_ID }}", trap="gha-secret-ref")
    d.add("          tenant-id: ${{ secrets.AZURE_TENANT_ID }}", trap="gha-secret-ref")
    d.add("          subscription-id: ${{ secrets.AZURE_SUBSCRIPTION_ID }}", trap="gha-secret-ref")
    d.add("      - name: Upload site")
    d.add("        run: |")
    d.add("          az storage blob upload-batch -d '$web' -s ./dist --account-name stcontosostatic --account-key \"$AZURE_STORAGE_KEY\"", trap="shell-variable")
    d.add(f'          az storage blob upload-batch -d assets -s ./assets --account-name stcontosoassets --sas-token "{c.sas("account")}"', pos=SAS)
    d.add("      - name: Legacy login")
    d.add(f"        run: az login --service-principal -u {k.guid()} -p {k.entra()} --tenant contoso.onmicrosoft.com", pos=ENTRA_SECRET)

    d = c.doc("azure-pipelines.yml")
    d.add("trigger:")
    d.add("  - main")
    d.add("pool:")
    d.add("  vmImage: ubuntu-latest")
    d.add("variables:")
    d.add("  - group: orders-secrets")
    d.add("  - name: storageAccount")
    d.add("    value: stordersci")
    d.add("steps:")
    d.add("  - script: |")
    d.add("      git config --global user.email ci@contoso.com")
    d.add(f"      git push https://build:{k.devops_pat()}@dev.azure.com/contoso/Orders/_git/orders-api HEAD:release", pos=PAT)
    d.add("    displayName: Push release branch")
    d.add("    env:")
    d.add("      SYSTEM_ACCESSTOKEN: $(System.AccessToken)", trap="pipeline-variable")
    d.add("      AZURE_DEVOPS_EXT_PAT: $(PAT)", trap="pipeline-variable")
    d.add("  - script: az devops configure --defaults organization=https://dev.azure.com/contoso", trap="devops-url")
    d.add("    env:")
    d.add(f"      AZURE_DEVOPS_EXT_PAT: {k.cask('AZDO', 'AAAS', year='B', month='D')}", pos=CASK)
    d.add("  - script: echo \"##vso[task.setvariable variable=sqlPassword;issecret=true]$(SqlPassword)\"", trap="pipeline-variable")
    d.add("  - task: AzureCLI@2")
    d.add("    inputs:")
    d.add("      azureSubscription: contoso-prod-connection")
    d.add("      scriptType: bash")
    d.add("      scriptLocation: inlineScript")
    d.add(f"      inlineScript: az storage container list --account-name stordersci --account-key {k.legacy64()}", pos=STORAGE)
    d.add("  - task: SqlAzureDacpacDeployment@1")
    d.add("    inputs:")
    d.add("      ServerName: sql-orders-ci.database.windows.net", trap="server-without-password")
    d.add("      SqlUsername: $(SqlUser)")
    d.add("      SqlPassword: $(SqlPassword)", trap="pipeline-variable")
    d.add("  - script: |")
    d.add(f"      export ADO_PAT={k.devops_pat()}", pos=PAT)
    d.add("      curl -u :$ADO_PAT https://dev.azure.com/contoso/_apis/projects?api-version=7.1", trap="shell-variable")


def f_scripts(c):
    k = c.k
    d = c.doc("scripts/Deploy-Storage.ps1")
    d.add("param(")
    d.add("    [string]$ResourceGroup = 'rg-contoso-prod',")
    d.add("    [string]$StorageAccountName = 'stcontosopsdeploy'")
    d.add(")")
    d.add("")
    d.add(f"$tenantId = '{k.guid()}'", trap="tenant-id")
    d.add(f"$appId = '{k.guid()}'", trap="client-id")
    d.add(f"$secret = ConvertTo-SecureString '{k.entra()}' -AsPlainText -Force", pos=ENTRA_SECRET)
    d.add("$cred = New-Object System.Management.Automation.PSCredential($appId, $secret)")
    d.add("Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant $tenantId")
    d.add("")
    d.add(f"$ctx = New-AzStorageContext -StorageAccountName $StorageAccountName -StorageAccountKey '{k.legacy64()}'", pos=STORAGE)
    d.add("$keys = Get-AzStorageAccountKey -ResourceGroupName $ResourceGroup -Name $StorageAccountName", trap="cmdlet")
    d.add("$ctx2 = New-AzStorageContext -StorageAccountName $StorageAccountName -StorageAccountKey $keys[0].Value", trap="shell-variable")
    d.add("$sas = New-AzStorageContainerSASToken -Name exports -Permission rl -ExpiryTime (Get-Date).AddHours(4) -Context $ctx", trap="cmdlet")
    d.add(f"$archiveSas = '?{c.sas('service', expired=True)}'", pos=SAS)
    d.add(f"$sqlConn = 'Server=tcp:sql-contoso-ps.database.windows.net,1433;Database=ops;User ID=ops_admin;Password=$sqlPassword;Encrypt=True;'", trap="shell-variable")
    d.add(f"Invoke-RestMethod -Uri 'https://apim-contoso.azure-api.net/ops/v1/rotate?subscription-key={k.hexs(32)}' -Method Post", pos=APIM)
    d.add(f"$storageAccountKey = '{k.legacy64()}' # keyhound:allow rotated 2024-02, kept for the replay test", trap="inline-allow")

    d = c.doc("scripts/setup-dev.sh")
    d.add("#!/usr/bin/env bash")
    d.add("set -euo pipefail")
    d.add("")
    d.add(f'az login --service-principal -u {k.guid()} -p "{k.entra(old=True)}" --tenant {k.guid()}', pos=ENTRA_SECRET)
    d.add(f"export AZURE_DEVOPS_EXT_PAT={k.devops_pat()}", pos=PAT)
    d.add("az devops project list --organization https://dev.azure.com/contoso", trap="devops-url")
    d.add("")
    d.add("KEY=$(az storage account keys list -g rg-dev -n stdevshared --query '[0].value' -o tsv)", trap="cmdlet")
    d.add('az storage blob upload --account-name stdevshared --account-key "$KEY" -c seed -f seed.json', trap="shell-variable")
    d.add(f'azcopy copy ./fixtures "https://stdevshared.blob.core.windows.net/fixtures?{c.sas("account")}" --recursive', pos=SAS)
    d.add(f'azcopy copy ./old "https://stdevshared.blob.core.windows.net/old?{c.sas("account", expired=True, encoded_times=True)}" --recursive', pos=SAS)
    d.add(f'curl -s -H "Ocp-Apim-Subscription-Key: {k.hexs(32)}" https://westeurope.api.cognitive.microsoft.com/text/analytics/v3.1/languages', pos=APIM)
    d.add('curl -s -H "Ocp-Apim-Subscription-Key: ${TRANSLATOR_KEY}" https://api.cognitive.microsofttranslator.com/languages', trap="env-reference")
    d.add(f'docker login crcontoso.azurecr.io -u crcontoso -p {k.his("+ACR")}', pos=IDENT)
    d.add("az acr login --name crcontoso", trap="cmdlet")
    d.add(f"STORAGE_KEY={k.legacy64()}  # keyhound:allow test account, no data", trap="inline-allow")
    d.add(f"export AZURE_CLIENT_SECRET={k.entra()} # keyhound:allow", trap="inline-allow")
    d.add(f'git clone "https://{k.devops_pat()}@dev.azure.com/contoso/Tools/_git/tools"', pos=PAT)


def f_docs(c):
    k = c.k
    d = c.doc("docs/storage-setup.md")
    d.add("# Connecting to storage")
    d.add("")
    d.add("Use a connection string of this shape (get the key from the portal, *Access keys*):")
    d.add("")
    d.add("```")
    d.add("DefaultEndpointsProtocol=https;AccountName=<account-name>;AccountKey=<account-key>;EndpointSuffix=core.windows.net", trap="placeholder")
    d.add("```")
    d.add("")
    d.add("For local development run Azurite and use `UseDevelopmentStorage=true`, or the full emulator string:", trap="dev-storage")
    d.add("")
    d.add("```")
    d.add(f"AccountName=devstoreaccount1;AccountKey={AZURITE}", trap="azurite-key")
    d.add("```")
    d.add("")
    d.add("The Cosmos DB emulator listens on https://localhost:8081/ with the well-known key:")
    d.add("")
    d.add(f"    {COSMOS_EMULATOR}", trap="cosmos-emulator-key")
    d.add("")
    d.add("Identifiable storage keys carry `+ASt` at offset 76; Cosmos DB keys carry `ACDb`, Functions keys `AzFu`.", trap="signature-prose")
    d.add("Service Bus keys have `+ASb`, Event Hubs `+AEh`, Relay `+ARm`, Container Registry `+ACR`.", trap="signature-prose")
    d.add("")
    d.add("## SAS")
    d.add("")
    d.add("A SAS URL looks like `https://<account>.blob.core.windows.net/<container>?sv=<version>&sp=rl&se=<expiry>&sig=<signature>`.", trap="placeholder")
    d.add("The `sig` value is an HMAC-SHA256 of the string-to-sign, base64 and URL encoded (it ends in `%3D`).", trap="signature-prose")
    d.add("")
    d.add("This one was pasted into a ticket last year and is still valid, rotate the key:")
    d.add("")
    d.add(f"    https://stcontosoreports.blob.core.windows.net/q3/summary.pdf?{c.sas('service')}", pos=SAS)
    d.add("")
    d.add("## SQL")
    d.add("")
    d.add("```")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password={your_password};Encrypt=True;", trap="placeholder")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=${SQL_PASSWORD};Encrypt=True;", trap="env-reference")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=********;Encrypt=True;", trap="masked")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=<password>;Encrypt=True;", trap="placeholder")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=$(SqlPassword);Encrypt=True;", trap="pipeline-variable")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=%SQL_PASSWORD%;Encrypt=True;", trap="env-reference")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=;Encrypt=True;", trap="empty-value")
    d.add("Server=tcp:sql-contoso-orders.database.windows.net,1433;Initial Catalog=orders;Authentication=Active Directory Managed Identity;User Id=" + k.guid() + ";", trap="sql-no-password")
    d.add("```")
    d.add("")
    d.add("## Service principal")
    d.add("")
    d.add("| setting | value |")
    d.add("|---|---|")
    d.add(f"| tenant | `{k.guid()}` |", trap="tenant-id")
    d.add(f"| client id | `{k.guid()}` |", trap="client-id")
    d.add(f"| object id | `{k.guid()}` |", trap="guid")
    d.add("| client secret | stored in Key Vault `kv-contoso-prod`, secret `sp-deploy` |", trap="keyvault-reference")
    d.add("")
    d.add("Client secrets look like `abc8Q~` followed by 34 characters; never paste them here.", trap="signature-prose")

    d = c.doc("docs/troubleshooting.md")
    tenant = k.guid()
    d.add("# Troubleshooting sign-in")
    d.add("")
    d.add("`AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + k.guid() + "'.`", trap="error-message")
    d.add("")
    d.add("The secret *ID* is a GUID and is not a credential:")
    d.add("")
    d.add(f'    "secretId": "{k.guid()}"', trap="guid-near-secret")
    d.add(f'    "clientSecret": "{k.guid()}"', trap="guid-near-secret")
    d.add("")
    d.add("A trace from the failing job (token captured 2023, expired):")
    d.add("")
    d.add("```")
    d.add("> GET /subscriptions?api-version=2022-12-01 HTTP/1.1")
    d.add("> Host: management.azure.com")
    d.add(f"> Authorization: Bearer {k.entra_jwt(tenant, 1700000000 + k.rng.randrange(0, 3000000))}", pos=TOKEN)
    d.add("< HTTP/1.1 401 Unauthorized")
    d.add("```")
    d.add("")
    d.add("and one from the new runner (still valid when captured):")
    d.add("")
    d.add("```")
    d.add(f"Authorization: Bearer {k.entra_jwt(tenant, 2066256000 + k.rng.randrange(0, 86400), v2=True, aud='00000003-0000-0000-c000-000000000000')}", pos=TOKEN)
    d.add("```")
    d.add("")
    d.add("Redacted tokens in tickets are fine: `Authorization: Bearer eyJ0eXAiOiJKV1Qi...<redacted>`", trap="truncated-token")
    d.add("Masked SAS in logs is fine too: `?sv=2022-11-02&sr=b&sp=r&se=2031-01-01T00:00:00Z&sig=REDACTED`", trap="redacted")
    d.add("")
    d.add("Useful endpoints:")
    d.add("")
    d.add(f"- authority: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token", trap="authority-url")
    d.add(f"- v1 issuer: https://sts.windows.net/{tenant}/", trap="issuer-url")

    d = c.doc("docs/CHANGELOG.md")
    d.add("# Changelog")
    d.add("")
    d.add("## 2.4.0")
    d.add("- Rotated the storage account key (`AccountKey`) and the Service Bus `SharedAccessKey` after the audit.", trap="prose")
    d.add("- Switched the Functions app to identity-based `AzureWebJobsStorage__accountName`.", trap="prose")
    d.add("- Removed `AZURE_CLIENT_SECRET`; the app uses workload identity now.", trap="prose")
    d.add("")
    d.add("## 2.3.0")
    d.add(f"- Pinned the Azurite image; its key `{AZURITE[:16]}...` is public.", trap="truncated-key")
    d.add(f"- Fixed `sig=` handling for SAS tokens longer than 200 characters.", trap="prose")


def f_fixtures(c):
    """Test vectors: right shapes, wrong checksums, and look-alikes."""
    k = c.k
    d = c.doc("tests/fixtures/key-vectors.json")
    d.add("{")
    d.add('  "comment": "checksum fixtures for the key validator: every key below is corrupted on purpose",')
    d.add('  "bad_checksum": [')
    for sig in ["+ASt", "ACDb", "+ABa", "+AMC", "APIM", "AzFu", "AzSe", "+ACR", "+ASb", "+AEh", "+ARm", "AzCa", "AIoT"]:
        d.add(f'    {{ "family": "{sig}", "key": "{k.his(sig, valid=False)}" }},', trap="his-bad-checksum")
    d.add(f'    {{ "family": "+ASt", "key": "{k.his("+ASt", valid=False)}" }}', trap="his-bad-checksum")
    d.add("  ],")
    d.add('  "cask_bad_checksum": [')
    d.add(f'    "{k.cask("AZDO", "AAAS", valid=False)}",', trap="cask-bad-checksum")
    d.add(f'    "{k.cask("ACOG", "AAAB", valid=False)}",', trap="cask-bad-checksum")
    d.add(f'    "{k.cask("AZEG", "AAAA", valid=False)}",', trap="cask-bad-checksum")
    d.add(f'    "{k.cask("AZAC", "AAAA", valid=False)}"', trap="cask-bad-checksum")
    d.add("  ],")
    d.add('  "look_alikes": {')
    d.add(f'    "sha512_digest": "{_b64encode(k.bytes(64))}",', trap="base64-blob")
    d.add(f'    "nonce_32": "{_b64encode(k.bytes(32))}",', trap="base64-blob")
    d.add(f'    "base32_digest": "{base64.b32encode(k.bytes(32)).decode().rstrip("=").lower()}",', trap="base32-no-context")
    d.add(f'    "onion_host": "{base64.b32encode(k.bytes(35)).decode().lower()}.onion",', trap="base32-no-context")
    d.add(f'    "md5_hex": "{k.hexs(32)}",', trap="hex-no-context")
    d.add(f'    "entra_too_short": "{k.chars(ENTRA, 3)}8Q~{k.chars(ENTRA, 20)}",', trap="entra-shaped-short")
    d.add(f'    "tilde_path": "~/src/{k.chars(ALNUM, 3)}8Q~/build",', trap="entra-shaped-short")
    d.add(f'    "cask_truncated": "{k.cask()[:70]}",', trap="truncated-key")
    d.add(f'    "storage_key_87": "{_b64encode(k.bytes(64))[1:]}"', trap="wrong-length-key")
    d.add("  }")
    d.add("}")

    d = c.doc("tests/test_config.py")
    d.add("import pytest")
    d.add("")
    d.add("from ingest.config import parse_connection_string")
    d.add("")
    d.add("")
    d.add("def test_parses_emulator_string():")
    d.add(f'    conn = "{AZURITE_CONN}"', trap="azurite-key")
    d.add('    assert parse_connection_string(conn)["AccountName"] == "devstoreaccount1"')
    d.add("")
    d.add("")
    d.add("def test_rejects_short_key():")
    d.add(f'    conn = "DefaultEndpointsProtocol=https;AccountName=sttest;AccountKey={_b64encode(k.bytes(32))}"', trap="wrong-length-key")
    d.add("    with pytest.raises(ValueError):")
    d.add("        parse_connection_string(conn)")
    d.add("")
    d.add("")
    d.add("def test_rejects_tampered_identifiable_key():")
    d.add(f'    conn = "DefaultEndpointsProtocol=https;AccountName=sttest;AccountKey={k.his("+ASt", valid=False)}"', trap="his-bad-checksum")
    d.add("    with pytest.raises(ValueError):")
    d.add("        parse_connection_string(conn)")
    d.add("")
    d.add("")
    d.add("def test_placeholder():")
    d.add('    assert parse_connection_string("AccountName=x;AccountKey=X") is None', trap="placeholder")
    d.add('    assert parse_connection_string("AccountName={0};AccountKey={1}") is None', trap="format-string")
    d.add('    assert parse_connection_string("AccountName=sttest;AccountKey=" + key) is None', trap="concatenation")
    d.add("")
    d.add("")
    d.add("def test_entra_secret_checksum():")
    d.add('    assert validate("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP")  # Microsoft sample', trap="repeated-chars")

    d = c.doc("web/package-lock.json")
    d.add("{")
    d.add('  "name": "contoso-web",')
    d.add('  "version": "2.4.0",')
    d.add('  "lockfileVersion": 3,')
    d.add('  "packages": {')
    pkgs = ["@azure/storage-blob", "@azure/identity", "@azure/service-bus", "@azure/event-hubs",
            "@azure/cosmos", "@azure/msal-node", "@azure/core-auth", "@azure/app-configuration"]
    for i, name in enumerate(pkgs):
        d.add(f'    "node_modules/{name}": {{')
        d.add(f'      "version": "12.{k.rng.randrange(30)}.{k.rng.randrange(10)}",')
        d.add(f'      "resolved": "https://registry.npmjs.org/{name}/-/{name.split("/")[1]}-12.0.0.tgz",')
        d.add(f'      "integrity": "sha512-{_b64encode(k.bytes(64))}"', trap="sri-hash")
        d.add("    }" + ("," if i < len(pkgs) - 1 else ""))
    d.add("  }")
    d.add("}")


def f_misc(c):
    k = c.k

    # az CLI / MSAL token cache (hidden dir, as on a developer's machine)
    d = c.doc(".azure/msal_token_cache.json")
    tenant, home = k.guid(), k.guid()
    d.add("{")
    d.add('  "AccessToken": {')
    d.add(f'    "{home}.{tenant}-login.microsoftonline.com-accesstoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-{tenant}-https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default": {{', trap="cache-key")
    d.add('      "credential_type": "AccessToken",')
    d.add(f'      "secret": "{k.entra_jwt(tenant, 2066256000 + k.rng.randrange(0, 86400), aud="https://management.core.windows.net/")}",', pos=TOKEN)
    d.add(f'      "home_account_id": "{home}.{tenant}",', trap="guid")
    d.add('      "environment": "login.microsoftonline.com",')
    d.add('      "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",', trap="client-id")
    d.add('      "target": "https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default",')
    d.add(f'      "realm": "{tenant}",', trap="tenant-id")
    d.add('      "token_type": "Bearer",')
    d.add('      "cached_at": "1699996400",')
    d.add('      "expires_on": "2066256000"')
    d.add("    },")
    d.add(f'    "{home}.{tenant}-login.microsoftonline.com-accesstoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-{tenant}-https://graph.microsoft.com/.default": {{', trap="cache-key")
    d.add('      "credential_type": "AccessToken",')
    d.add(f'      "secret": "{k.entra_jwt(tenant, 1690000000 + k.rng.randrange(0, 86400), v2=True, aud="00000003-0000-0000-c000-000000000000")}",', pos=TOKEN)
    d.add('      "token_type": "Bearer"')
    d.add("    }")
    d.add("  }")
    d.add("}")

    # `az ad sp create-for-rbac` output saved next to the code
    d = c.doc("sp-credentials.json")
    d.add("{")
    d.add(f'  "appId": "{k.guid()}",', trap="client-id")
    d.add('  "displayName": "sp-contoso-deploy",')
    d.add(f'  "password": "{k.entra()}",', pos=ENTRA_SECRET)
    d.add(f'  "tenant": "{k.guid()}"', trap="tenant-id")
    d.add("}")

    # Spring Boot
    d = c.doc("java/src/main/resources/application.properties")
    d.add("spring.application.name=billing")
    d.add(f"spring.datasource.url={c.sql_conn('sql-billing-prod', 'billing', 'billing_app', style='jdbc')}", pos=SQL)
    d.add("spring.datasource.driver-class-name=com.microsoft.sqlserver.jdbc.SQLServerDriver")
    d.add("spring.cloud.azure.storage.blob.account-name=stbillingprod")
    d.add(f"spring.cloud.azure.storage.blob.account-key={k.legacy64()}", pos=STORAGE)
    d.add(f"spring.cloud.azure.credential.client-id={k.guid()}", trap="client-id")
    d.add(f"spring.cloud.azure.credential.client-secret={k.entra(valid=False)}", pos=P(ENTRA_SECRET, LOW))
    d.add(f"spring.cloud.azure.profile.tenant-id={k.guid()}", trap="tenant-id")
    d.add(f"spring.cloud.azure.servicebus.connection-string={c.sb_conn('sb-billing-prod', 'billing')}", pos=SB)
    d.add(f"spring.cloud.azure.appconfiguration.stores[0].connection-string={c.appconfig_conn('appcs-billing')}", pos=APPCONFIG)
    d.add("spring.cloud.azure.keyvault.secret.property-sources[0].endpoint=https://kv-billing.vault.azure.net/", trap="keyvault-uri")

    d = c.doc("java/src/main/resources/application-local.properties")
    d.add("spring.datasource.url=jdbc:sqlserver://localhost:1433;database=billing;user=sa;password=${MSSQL_SA_PASSWORD};encrypt=false", trap="env-reference")
    d.add("spring.cloud.azure.storage.blob.connection-string=UseDevelopmentStorage=true", trap="dev-storage")
    d.add("spring.cloud.azure.storage.blob.account-key=${AZURE_STORAGE_KEY}", trap="env-reference")
    d.add("spring.cloud.azure.credential.client-secret=${AZURE_CLIENT_SECRET}", trap="env-reference")

    # docker compose with the emulators
    d = c.doc("docker-compose.yml")
    d.add("services:")
    d.add("  azurite:")
    d.add("    image: mcr.microsoft.com/azure-storage/azurite")
    d.add('    ports: ["10000:10000", "10001:10001", "10002:10002"]')
    d.add("  cosmos:")
    d.add("    image: mcr.microsoft.com/cosmosdb/linux/azure-cosmos-emulator")
    d.add("  app:")
    d.add("    build: .")
    d.add("    environment:")
    d.add(f'      - "AZURE_STORAGE_CONNECTION_STRING={AZURITE_CONN}"', trap="azurite-key")
    d.add(f"      - COSMOS_KEY={COSMOS_EMULATOR}", trap="cosmos-emulator-key")
    d.add("      - COSMOS_ENDPOINT=https://cosmos:8081/")
    d.add("      - AzureWebJobsStorage=UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://azurite", trap="dev-storage")
    d.add(f"      - AZURE_CLIENT_ID={k.guid()}", trap="client-id")
    d.add("      - AZURE_CLIENT_SECRET", trap="empty-value")

    # Notebook: the secrets sit inside JSON strings
    d = c.doc("notebooks/usage-report.ipynb")
    d.add("{")
    d.add(' "cells": [')
    d.add("  {")
    d.add('   "cell_type": "code",')
    d.add('   "execution_count": 3,')
    d.add('   "metadata": {},')
    d.add('   "outputs": [],')
    d.add('   "source": [')
    d.add('    "import pandas as pd\\n",')
    d.add(f'    "sas_url = \\"https://stusagereports.blob.core.windows.net/daily/usage.csv?{c.sas("service")}\\"\\n",', pos=SAS)
    d.add(f'    "cosmos_key = \\"{k.his("ACDb")}\\"\\n",', pos=IDENT)
    d.add(f'    "old_sas = \\"?{c.sas("sigfirst", expired=True)}\\"\\n",', pos=SAS)
    d.add('    "df = pd.read_csv(sas_url)"')
    d.add("   ]")
    d.add("  }")
    d.add(" ],")
    d.add(' "metadata": { "kernelspec": { "name": "python3", "display_name": "Python 3" } },')
    d.add(' "nbformat": 4,')
    d.add(' "nbformat_minor": 5')
    d.add("}")

    # API Management
    d = c.doc("apim/policies/backend.xml")
    d.add("<policies>")
    d.add("  <inbound>")
    d.add("    <base />")
    d.add('    <set-header name="Ocp-Apim-Subscription-Key" exists-action="override">')
    d.add("      <value>{{backend-subscription-key}}</value>", trap="named-value")
    d.add("    </set-header>")
    d.add('    <set-header name="x-functions-key" exists-action="override">')
    d.add("      <value>{{orders-function-key}}</value>", trap="named-value")
    d.add("    </set-header>")
    d.add("  </inbound>")
    d.add("</policies>")

    d = c.doc("apim/scripts/sync.ps1")
    d.add("$apimContext = New-AzApiManagementContext -ResourceGroupName rg-apim -ServiceName apim-contoso")
    d.add(f"$directKey = '{k.his('APIM', seed='Tenant00')}'", pos=IDENT)
    d.add(f"$gatewayToken = '{k.his('APIM', seed='Gatewy00')}'", pos=IDENT)
    d.add("$headers = @{ 'Ocp-Apim-Subscription-Key' = $env:APIM_KEY }", trap="env-reference")
    d.add(f"$headers2 = @{{ 'Ocp-Apim-Subscription-Key' = '{k.hexs(32).upper()}' }}", pos=APIM)

    # Application logs
    d = c.doc("logs/app-2024-03-14.log")
    d.add("2024-03-14T08:01:12.410Z INFO  Starting export worker v2.4.0")
    d.add("2024-03-14T08:01:12.933Z INFO  Using storage account stexportsprod (identity: managed)")
    d.add(f"2024-03-14T08:02:40.101Z DEBUG PUT https://stexportsprod.blob.core.windows.net/exports/2024-03-14.csv?{c.sas('service')} -> 201", pos=SAS)
    d.add(f"2024-03-14T08:02:41.552Z DEBUG PUT https://stexportsprod.blob.core.windows.net/exports/2024-03-13.csv?{c.sas('account', expired=True)} -> 403 AuthenticationFailed", pos=SAS)
    d.add("2024-03-14T08:02:41.553Z WARN  SAS expired: se=2023-06-30T00:00:00Z; sig=[redacted]", trap="redacted")
    d.add("2024-03-14T08:03:00.000Z INFO  GET https://stexportsprod.blob.core.windows.net/exports?restype=container&comp=list -> 200", trap="storage-url")
    d.add(f"2024-03-14T08:05:13.871Z ERROR Service Bus send failed: {c.sb_conn('sb-exports', 'exporter', entity='done')}", pos=SB)
    d.add("2024-03-14T08:05:13.872Z ERROR retrying with Endpoint=sb://sb-exports.servicebus.windows.net/;SharedAccessKeyName=exporter;SharedAccessKey=***", trap="masked")
    d.add(f"2024-03-14T08:06:02.004Z DEBUG user-delegation key issued, sas={c.sas('delegation', expired=True)}", pos=SAS)
    d.add(f"2024-03-14T08:09:44.318Z INFO  correlation id {k.guid()} request id {k.guid()}", trap="guid")


def f_packages_and_agents(c):
    """Package feeds and build agents: where legacy DevOps PATs leak."""
    k = c.k
    d = c.doc("nuget.config")
    d.add('<?xml version="1.0" encoding="utf-8"?>')
    d.add("<configuration>")
    d.add("  <packageSources>")
    d.add("    <clear />")
    d.add('    <add key="contoso-internal" value="https://pkgs.dev.azure.com/contoso/_packaging/internal/nuget/v3/index.json" />', trap="devops-url")
    d.add('    <add key="contoso-legacy" value="https://contoso.pkgs.visualstudio.com/_packaging/legacy/nuget/v3/index.json" />', trap="devops-url")
    d.add("  </packageSources>")
    d.add("  <packageSourceCredentials>")
    d.add("    <contoso-internal>")
    d.add('      <add key="Username" value="build" />')
    d.add(f'      <add key="ClearTextPassword" value="{k.devops_pat()}" />', pos=PAT)
    d.add("    </contoso-internal>")
    d.add("    <contoso-legacy>")
    d.add('      <add key="Username" value="build" />')
    d.add('      <add key="ClearTextPassword" value="%NUGET_FEED_PAT%" />', trap="env-reference")
    d.add("    </contoso-legacy>")
    d.add("  </packageSourceCredentials>")
    d.add("</configuration>")

    d = c.doc("pip.conf")
    d.add("[global]")
    d.add("index-url = https://pypi.org/simple")
    d.add(f"extra-index-url = https://build:{k.devops_pat()}@pkgs.dev.azure.com/contoso/_packaging/ml/pypi/simple/", pos=PAT)
    d.add("trusted-host = pkgs.dev.azure.com")

    d = c.doc("agent/start.sh")
    d.add("#!/bin/bash")
    d.add("# self-hosted agent bootstrap (copied from the wiki)")
    d.add("set -e")
    d.add(f"export AZP_TOKEN={k.devops_pat()}", pos=PAT)
    d.add("export AZP_URL=https://dev.azure.com/contoso", trap="devops-url")
    d.add("export AZP_POOL=linux-large")
    d.add(f"./config.sh --unattended --url https://dev.azure.com/contoso --auth pat --token {k.devops_pat()} --pool linux-large --replace", pos=PAT)
    d.add("./config.sh --unattended --url \"$AZP_URL\" --auth pat --token \"$AZP_TOKEN\" --pool \"$AZP_POOL\"", trap="shell-variable")
    d.add(f'curl -s -u :{k.devops_pat()} "https://dev.azure.com/contoso/_apis/distributedtask/pools?api-version=7.1"', pos=PAT)
    d.add('curl -s -u ":$AZP_TOKEN" "https://dev.azure.com/contoso/_apis/projects?api-version=7.1"', trap="shell-variable")
    d.add("exec ./run.sh")


def f_more_services(c):
    k = c.k
    d = c.doc("services/catalog/appsettings.json")
    d.add("{")
    d.add('  "CosmosDb": {')
    d.add('    "EndpointUri": "https://cosmos-catalog-eu.documents.azure.com:443/",', trap="endpoint-url")
    d.add(f'    "PrimaryKey": "{k.legacy64()}",', pos=COSMOS)
    d.add('    "DatabaseName": "catalog",')
    d.add('    "ContainerName": "items"')
    d.add("  },")
    d.add('  "Mongo": {')
    mongo_key = k.legacy64().replace("==", "%3D%3D")
    d.add(f'    "ConnectionString": "mongodb://cosmos-catalog-mongo:{mongo_key}@cosmos-catalog-mongo.mongo.cosmos.azure.com:10255/?ssl=true&replicaSet=globaldb&retrywrites=false&maxIdleTimeMS=120000&appName=@cosmos-catalog-mongo@"', pos=COSMOS)
    d.add("  },")
    d.add('  "Sql": {')
    d.add(f'    "Ledger": "{c.sql_conn("sqlmi-contoso.5f2b9c1d7e3a", "ledger", "ledger_app")}",', pos=SQL)
    d.add(f'    "Warehouse": "Server=tcp:synw-contoso.sql.azuresynapse.net,1433;Initial Catalog=dw;User ID=dw_loader;Password={c.sql_password()};Encrypt=True;",', pos=SQL)
    d.add('    "Reporting": "Server=tcp:synw-contoso-ondemand.sql.azuresynapse.net,1433;Database=lake;Authentication=Active Directory Default;"', trap="sql-no-password")
    d.add("  },")
    d.add('  "Deployment": {')
    d.add(f'    "SettingsJson": "{{\\"StorageAccountKey\\": \\"{k.legacy64()}\\", \\"Container\\": \\"catalog\\"}}"', pos=STORAGE)
    d.add("  },")
    d.add('  "Schema": { "PrimaryKey": "id", "PartitionKey": "/category" }', trap="unrelated-name")
    d.add("}")

    d = c.doc("services/cart/cache.py")
    d.add("import os")
    d.add("")
    d.add("import redis")
    d.add("")
    d.add(f'CACHE = redis.from_url("rediss://:{urllib.parse.quote(k.legacy32(), safe="")}@redis-cart-prod.redis.cache.windows.net:6380/0")', pos=REDIS)
    d.add(f'SESSIONS = redis.Redis(host="redis-cart-prod.redis.cache.windows.net", port=6380, ssl=True, password=os.environ["REDIS_KEY"])', trap="env-lookup")
    d.add(f'MANAGED = "rediss://:{k.legacy32()}@amr-cart.westeurope.redis.azure.net:10000"', pos=REDIS)
    d.add('LOCAL = "redis://:devpassword@localhost:6379/0"', trap="local-url")
    d.add("")
    d.add("")
    d.add("class CartSettings:")
    d.add("    AccountKey: str = \"\"  # filled from Key Vault at startup", trap="empty-value")
    d.add("    PrimaryKey: str = \"cart_id\"", trap="unrelated-name")

    d = c.doc("services/cart/Cart.csproj.user")
    d.add('<Project ToolsVersion="Current" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">')
    d.add("  <PropertyGroup>")
    d.add("    <StorageAccountName>stcartdev</StorageAccountName>")
    d.add(f"    <StorageAccountKey>{k.legacy64()}</StorageAccountKey>", pos=STORAGE)
    d.add("    <StorageAccountKeyDev>$(STORAGE_KEY)</StorageAccountKeyDev>", trap="pipeline-variable")
    d.add("  </PropertyGroup>")
    d.add("</Project>")

    d = c.doc("services/webhooks/handler.js")
    d.add("// Verifies partner webhooks; these signatures are not Azure credentials.")
    d.add(f"const sample = {{ id: 'evt_1', sig: '{_b64encode(k.bytes(32))}' }};", trap="signature-other-service")
    d.add(f"const callback = 'https://partner.example.net/hook?ts=1718000000&sig={urllib.parse.quote(_b64encode(k.bytes(32)), safe='')}';", trap="signature-other-service")
    d.add("const azureDocs = 'https://learn.microsoft.com/en-us/rest/api/storageservices/create-service-sas';", trap="docs-url")
    d.add(f"const image = 'data:image/png;base64,{_b64encode(k.bytes(180))}';", trap="base64-blob")
    d.add("module.exports = { sample, callback, azureDocs, image };")


def f_rotation_notes(c):
    """CLI output pasted into a runbook: the keys themselves."""
    k = c.k
    key1, key2 = k.legacy64(), k.legacy64()
    d = c.doc("docs/runbooks/storage-key-rotation.md")
    d.add("# Rotating the storage keys of stcontosorotate")
    d.add("")
    d.add("1. Renew the secondary key and repoint the apps:")
    d.add("")
    d.add("```console")
    d.add("$ az storage account keys renew -g rg-contoso -n stcontosorotate --key secondary -o none", trap="cmdlet")
    d.add("$ az storage account keys list -g rg-contoso -n stcontosorotate -o json")
    d.add("[")
    d.add("  {")
    d.add('    "creationTime": "2024-02-01T10:12:44.912345+00:00",')
    d.add('    "keyName": "key1",')
    d.add('    "permissions": "FULL",')
    d.add(f'    "value": "{key1}"', pos=STORAGE)
    d.add("  },")
    d.add("  {")
    d.add('    "creationTime": "2024-05-01T08:01:13.104224+00:00",')
    d.add('    "keyName": "key2",')
    d.add('    "permissions": "FULL",')
    d.add(f'    "value": "{key2}"', pos=STORAGE)
    d.add("  }")
    d.add("]")
    d.add("$ az storage account show-connection-string -g rg-contoso -n stcontosorotate")
    d.add("{")
    d.add(f'  "connectionString": "DefaultEndpointsProtocol=https;EndpointSuffix=core.windows.net;AccountName=stcontosorotate;AccountKey={key1};BlobEndpoint=https://stcontosorotate.blob.core.windows.net/;FileEndpoint=https://stcontosorotate.file.core.windows.net/"', pos=STORAGE)
    d.add("}")
    d.add("```")
    d.add("")
    d.add("2. Or from PowerShell:")
    d.add("")
    d.add("```powershell")
    d.add("PS> Get-AzStorageAccountKey -ResourceGroupName rg-contoso -Name stcontosorotate", trap="cmdlet")
    d.add("")
    d.add("KeyName Value" + " " * 85 + "Permissions CreationTime")
    d.add("------- -----" + " " * 85 + "----------- ------------")
    d.add(f"key1    {key1} Full        2/1/2024 10:12:44 AM", pos=STORAGE)
    d.add(f"key2    {key2} Full        5/1/2024 8:01:13 AM", pos=STORAGE)
    d.add("```")
    d.add("")
    d.add("3. Check nothing still uses key1: `az monitor metrics list --metric Transactions --filter \"Authentication eq 'AccountKey'\"`.", trap="prose")
    d.add("")
    d.add("The output format is `[{\"keyName\": \"key1\", \"permissions\": \"FULL\", \"value\": \"<key>\"}]`; never paste real values here.", trap="placeholder")


# --------------------------------------------------------------------------
# Writing files and the manifests
# --------------------------------------------------------------------------

def f_json_escaped_and_unpadded(c):
    """JSON written by Go's encoding/json or .NET's System.Text.Json, which
    escape `&` as `\\u0026`, and Functions keys without their `==`. Its own
    RNG, so adding it left every other file's keys unchanged."""
    k = Keys(SEED ^ 0x0026)
    A = "\\u0026"

    def blob_sas(account, path, se, extra=""):
        return (f"https://{account}.blob.core.windows.net/{path}?{extra}sv=2023-11-03{A}sr=c{A}sp=racwl"
                f"{A}se={se}{A}spr=https{A}sig={k.sas_sig()}")

    d = c.doc("infra/deployment-outputs.json")
    d.add("{")
    d.add('  "properties": {')
    d.add('    "provisioningState": "Succeeded",')
    d.add('    "outputs": {')
    d.add(f'      "exportContainerSasUrl": {{ "type": "String", "value": "{blob_sas("stfinexports", "exports", "2032-06-30T00%3A00%3A00Z")}" }},', pos=SAS)
    d.add(f'      "legacyBackupSasUrl": {{ "type": "String", "value": "{blob_sas("stfinbackup", "backups", "2021-03-31T00%3A00%3A00Z", f"comp=blocklist{A}")}" }},', pos=SAS)
    d.add(f'      "queueSasTemplate": {{ "type": "String", "value": "https://stfinqueue.queue.core.windows.net/jobs?sv=2023-11-03{A}sp=a{A}se=2032-06-30T00%3A00%3A00Z{A}sig=\\u003csignature\\u003e" }},', trap="placeholder")
    d.add(f'      "ingestAuthorization": {{ "type": "String", "value": "SharedAccessSignature sr=sb%3A%2F%2Fsb-fin-ingest.servicebus.windows.net%2Fledger{A}sig={k.sas_sig()}{A}se=2035000000{A}skn=SendOnly" }},', pos=SB_SAS)
    d.add(f'      "ingestTriggerUrl": {{ "type": "String", "value": "https://func-fin-ingest.azurewebsites.net/api/ledger?clientId=ops{A}code={k.his("AzFu").rstrip("=")}" }}', pos=IDENT)
    d.add("    }")
    d.add("  }")
    d.add("}")

    d = c.doc("functions/trigger-urls.md")
    d.add("# HTTP trigger URLs")
    d.add("")
    d.add("Keys pasted without their `==` padding:")
    d.add("")
    d.add(f"    curl -X POST 'https://func-fin-ingest.azurewebsites.net/api/reconcile?code={k.his('AzFu').rstrip('=')}'", pos=IDENT)
    d.add(f"    curl -H 'x-functions-key: {k.his('AzFu').rstrip('=')}' https://func-fin-ingest.azurewebsites.net/api/status", pos=IDENT)
    d.add("")
    d.add("A key copied with a typo (its checksum no longer holds):")
    d.add("")
    d.add(f"    sample_key = {k.his('AzFu', valid=False).rstrip('=')}", trap="bad-checksum")


BUILDERS = [
    f_appsettings, f_appsettings_development, f_appsettings_production, f_local_settings,
    f_web_config, f_dotenv, f_terraform, f_bicep_arm, f_code, f_kubernetes,
    f_pipelines, f_scripts, f_docs, f_fixtures, f_misc, f_packages_and_agents,
    f_more_services, f_rotation_notes, f_json_escaped_and_unpadded,
]


def build():
    self_test()
    corpus = Corpus(Keys(SEED))
    for builder in BUILDERS:
        builder(corpus)
    paths = [d.path for d in corpus.docs]
    assert len(paths) == len(set(paths)), "duplicate corpus paths"
    return corpus.docs


def merge_manifest(name, ours, sort_key):
    """Rewrites corpus/<name>: every line not under azure/ kept verbatim,
    ours added, all sorted. Never drops another generator's lines."""
    path = os.path.join(CORPUS, name)
    kept = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for raw in f:
                raw = raw.rstrip("\n")
                if not raw.strip():
                    continue
                obj = json.loads(raw)
                if not obj["path"].startswith(PREFIX):
                    kept.append((sort_key(obj), raw))
    mine = [(sort_key(o), json.dumps(o)) for o in ours]
    lines = [raw for _, raw in sorted(kept + mine)]
    tmp = path + ".tmp-azure"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)
    return len(kept)


def main():
    docs = build()
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    expected, traps = [], []
    for d in docs:
        target = os.path.join(OUT, d.path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(d.lines) + "\n")
        rel = PREFIX + d.path
        for line, rule, conf in d.positives:
            expected.append({"path": rel, "line": line, "rule_id": rule, "confidence": conf})
        for line, kind in d.traps:
            traps.append({"path": rel, "line": line, "kind": kind})
    keys = [(e["path"], e["line"], e["rule_id"]) for e in expected]
    assert len(keys) == len(set(keys)), "two labels for one (path, line, rule)"
    by_line = {}
    for e in expected:
        by_line.setdefault((e["path"], e["line"]), []).append(e["rule_id"])
    for t in traps:
        assert (t["path"], t["line"]) not in by_line, f"line is both a trap and a positive: {t}"
    others_e = merge_manifest("expected.jsonl", expected,
                              lambda o: (o["path"], o["line"], o["rule_id"]))
    others_t = merge_manifest("traps.jsonl", traps, lambda o: (o["path"], o["line"], o["kind"]))
    rules = sorted({e["rule_id"] for e in expected})
    kinds = sorted({t["kind"] for t in traps})
    print(f"azure: {len(docs)} files, {len(expected)} positives of {len(rules)} rules, "
          f"{len(traps)} traps of {len(kinds)} kinds "
          f"(kept {others_e} expected / {others_t} trap lines of other providers)")
    for r in rules:
        print(f"  {r:<45} {sum(1 for e in expected if e['rule_id'] == r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
