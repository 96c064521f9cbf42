//! Private keys: PEM/OpenSSH/PGP armour and PuTTY key files, also when
//! pasted into source code or JSON (escaped newlines, quotes, string
//! concatenation) or base64-encoded as a whole (Kubernetes secrets).
//!
//! The check undoes the escaping, then tells real keys from truncated or
//! placeholder ones and encrypted keys (which need a passphrase too, so
//! matter less) from plain ones.

use super::util::{b64_loose, b64_std, contains, find};
use super::{CheckInput, Outcome, Rejection};
use crate::rules::Severity;

/// Fewest base64 characters a key body can have (the smallest real keys,
/// Ed25519 in OpenSSH form, have several hundred).
const MIN_BODY: usize = 64;

/// What the check learns about a key.
#[derive(Debug, PartialEq)]
struct KeyInfo {
    key_type: String,
    encrypted: bool,
}

impl KeyInfo {
    fn outcome(self) -> Outcome {
        let mut out = Outcome::default().fact("key_type", self.key_type);
        if self.encrypted {
            out = out.fact("encrypted", "true");
            out.severity = Some(Severity::Low);
        }
        out
    }
}

/// Turns escaped line breaks (`\n`, `\r\n`, `\\n`, `\t`) into real ones
/// and drops the other backslashes of an escaped string (`\/`, `\"`).
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        while raw.get(i) == Some(&b'\\') {
            i += 1;
        }
        match raw.get(i) {
            Some(b'n' | b'r') => out.push(b'\n'),
            Some(b't') => out.push(b' '),
            Some(&c) => out.push(c),
            None => {}
        }
        i += 1;
    }
    out
}

/// Removes `" + "`-style concatenation inside a line and the quotes,
/// commas, `+` and whitespace that code puts around each line.
fn clean_line(line: &[u8]) -> Vec<u8> {
    let quote = |c: u8| matches!(c, b'"' | b'\'' | b'`');
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if quote(line[i]) {
            // A quote, optional spaces, `+`, optional spaces, a quote.
            let mut j = i + 1;
            while line.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                j += 1;
            }
            if line.get(j) == Some(&b'+') {
                j += 1;
                while line.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                    j += 1;
                }
                if line.get(j).copied().is_some_and(quote) {
                    i = j + 1;
                    continue;
                }
            }
        }
        out.push(line[i]);
        i += 1;
    }
    trim_code(&out).to_vec()
}

/// The first `word` (`BEGIN `, `END `) that follows armour dashes (with
/// optional spacing), so that prose mentioning the word does not count.
fn find_marker(text: &[u8], word: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = find(&text[from..], word) {
        let at = from + pos;
        let before = text[..at].trim_ascii_end();
        if before.last() == Some(&b'-') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Strips the quotes, commas, parentheses, whitespace and concatenation
/// `+` that code puts around a line. A `+` is taken as code only when a
/// quote stands next to it on the inside (checked before quotes go), because `+` is also a base64
/// character that may end or start a line of the key.
fn trim_code(mut s: &[u8]) -> &[u8] {
    let quote = |c: &u8| matches!(c, b'"' | b'\'' | b'`');
    let junk =
        |c: &u8| c.is_ascii_whitespace() || quote(c) || matches!(c, b',' | b';' | b'(' | b')');
    loop {
        let len = s.len();
        if let [b'+', rest @ ..] = s {
            if rest.trim_ascii_start().first().is_some_and(quote) {
                s = rest;
            }
        }
        if let [rest @ .., b'+'] = s {
            if rest.trim_ascii_end().last().is_some_and(quote) {
                s = rest;
            }
        }
        while let [first, rest @ ..] = s {
            if !junk(first) {
                break;
            }
            s = rest;
        }
        while let [rest @ .., last] = s {
            if !junk(last) {
                break;
            }
            s = rest;
        }
        if s.len() == len {
            return s;
        }
    }
}

/// The armour label (`RSA PRIVATE KEY`) and the text after the BEGIN line.
fn begin(text: &[u8]) -> Option<(String, &[u8])> {
    let at = find_marker(text, b"BEGIN ")?;
    let after = &text[at + 6..];
    let len = after
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b' ' || c == b'_'))?;
    let label = String::from_utf8_lossy(&after[..len])
        .trim()
        .to_ascii_uppercase();
    let rest = &after[len..];
    let dashes = rest.iter().take_while(|&&c| c == b'-').count();
    (dashes >= 3).then_some((label, &rest[dashes..]))
}

/// `key_type` for an armour label.
fn key_type(label: &str) -> String {
    let kind = label
        .strip_suffix(" BLOCK")
        .unwrap_or(label)
        .strip_suffix("PRIVATE KEY")
        .unwrap_or(label)
        .trim();
    match kind {
        "RSA" => "rsa".into(),
        "EC" => "ec".into(),
        "DSA" => "dsa".into(),
        "" => "pkcs8".into(),
        "ENCRYPTED" => "encrypted-pkcs8".into(),
        "OPENSSH" => "openssh".into(),
        "PGP" => "pgp".into(),
        other => other.to_ascii_lowercase().replace([' ', '_'], "-"),
    }
}

/// Signs of a shortened or made-up body: an ellipsis, too few characters,
/// or too few distinct characters (`AAAA…`, `xxxx…`).
fn placeholder(raw_body: &[u8], b64: &[u8]) -> Option<&'static str> {
    if contains(raw_body, b"...") || contains(raw_body, "…".as_bytes()) {
        return Some("body is elided");
    }
    if b64.len() < MIN_BODY {
        return Some("body too short to be a key");
    }
    let mut seen = [false; 256];
    b64.iter().for_each(|&c| seen[usize::from(c)] = true);
    if seen.iter().filter(|&&s| s).count() < 16 {
        return Some("body is a placeholder");
    }
    None
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
}

/// Loose body check for PGP and PuTTY: almost all base64 characters.
fn mostly_base64(body: &[u8]) -> bool {
    let bad = body.iter().filter(|&&c| !is_b64(c)).count();
    bad * 50 <= body.len()
}

/// Reads an SSH-style string (u32 big-endian length, bytes) at `at`.
fn ssh_string(b: &[u8], at: usize) -> Option<&[u8]> {
    let len = u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize;
    b.get(at + 4..at + 4 + len)
}

/// The cipher named in an `openssh-key-v1` body (`none` if unencrypted).
fn openssh_cipher(decoded: &[u8]) -> Option<&[u8]> {
    let magic = b"openssh-key-v1\0";
    decoded
        .starts_with(magic)
        .then(|| ssh_string(decoded, magic.len()))
        .flatten()
}

/// Examines a PuTTY key file (`PuTTY-User-Key-File-N: …`).
fn putty(text: &[u8]) -> Result<KeyInfo, Rejection> {
    let mut encrypted = false;
    let mut body = Vec::new();
    for line in text.split(|&c| c == b'\n').map(clean_line) {
        if let Some(colon) = line.iter().position(|&c| c == b':') {
            let (key, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            if key.eq_ignore_ascii_case(b"Encryption") && value != b"none" {
                encrypted = true;
            }
        } else {
            body.extend(line.iter().filter(|c| !c.is_ascii_whitespace()));
        }
    }
    if let Some(why) = placeholder(text, &body) {
        return Err(why.into());
    }
    if !mostly_base64(&body) {
        return Err("PuTTY key lines are not base64".into());
    }
    Ok(KeyInfo {
        key_type: "putty".into(),
        encrypted,
    })
}

/// Examines armoured (or PuTTY) key text, escaped or not.
fn analyse(raw: &[u8]) -> Result<KeyInfo, Rejection> {
    let text = unescape(raw);
    if let Some(at) = find(&text, b"PuTTY-User-Key-File-") {
        return putty(&text[at..]);
    }
    let (label, rest) = begin(&text).ok_or("no BEGIN armour")?;
    if !label.contains("PRIVATE KEY") {
        return Err("armour is not a private key".into());
    }
    let end = find_marker(rest, b"END ").ok_or("no END armour: truncated")?;
    // Back up over the dashes (and any spacing) that open the END line.
    let kept = rest[..end]
        .iter()
        .rposition(|c| !(c.is_ascii_whitespace() || *c == b'-'))
        .map_or(0, |p| p + 1);
    let raw_body = &rest[..kept];

    let mut headers = Vec::new();
    let mut body = Vec::new();
    let pgp = label.starts_with("PGP");
    for line in raw_body.split(|&c| c == b'\n').map(clean_line) {
        if line.contains(&b':') {
            headers.extend_from_slice(&line);
            headers.push(b'\n');
        } else if pgp && line.len() == 5 && line.first() == Some(&b'=') {
            // The armour's CRC-24 line.
        } else {
            body.extend(line.iter().filter(|c| !c.is_ascii_whitespace()));
        }
    }
    if let Some(why) = placeholder(raw_body, &body) {
        return Err(why.into());
    }
    let kind = key_type(&label);
    let mut encrypted = label.contains("ENCRYPTED") || contains(&headers, b"ENCRYPTED");
    if pgp {
        if !mostly_base64(&body) {
            return Err("PGP body is not base64".into());
        }
        return Ok(KeyInfo {
            key_type: kind,
            encrypted,
        });
    }
    let decoded = b64_std(&body)
        .or_else(|| b64_loose(&body))
        .ok_or("body is not base64")?;
    if kind == "openssh" {
        let cipher = openssh_cipher(&decoded).ok_or("not an openssh-key-v1 body")?;
        encrypted |= cipher != b"none";
    } else if !encrypted && decoded.first() != Some(&0x30) {
        // Unencrypted PKCS#1/SEC1/PKCS#8 bodies are DER SEQUENCEs.
        return Err("body is not DER".into());
    }
    Ok(KeyInfo {
        key_type: kind,
        encrypted,
    })
}

/// The key text of a candidate: the secret, or the whole match when the
/// rule captured only part of the armour.
fn key_text<'a>(input: &CheckInput<'a>) -> &'a [u8] {
    let secret = input.secret_bytes();
    if contains(secret, b"BEGIN") || contains(secret, b"PuTTY-User-Key-File-") {
        secret
    } else {
        input.whole_bytes()
    }
}

/// `private-key`: a complete, real-looking private key.
pub fn private_key(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    analyse(key_text(input)).map(KeyInfo::outcome)
}

/// `private-key-base64`: base64 of a PEM private key.
pub fn private_key_base64(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let decoded = b64_loose(input.secret_bytes()).ok_or("not base64")?;
    if !contains(&decoded, b"-----BEGIN") || !contains(&decoded, b"PRIVATE KEY") {
        return Err("does not decode to a PEM private key".into());
    }
    analyse(&decoded).map(KeyInfo::outcome)
}

/// Checks a PEM block embedded in other text (a GCP key file's
/// `private_key`), if the text holds a complete one: `Ok` when there is
/// none to check.
pub(super) fn check_embedded(text: &[u8]) -> Result<(), Rejection> {
    let unescaped = unescape(text);
    if find_marker(&unescaped, b"BEGIN ").is_some() && find_marker(&unescaped, b"END ").is_some() {
        analyse(text).map(|_| ())
    } else {
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::testing::run;
    use super::super::util::b64_encode;
    use super::*;

    /// Deterministic filler bytes.
    pub fn filler(n: usize, salt: u8) -> Vec<u8> {
        let mut x: u32 = 0x9E37_79B9 ^ u32::from(salt);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    /// A PEM block with `bytes` as its body, wrapped at 64 columns.
    pub fn pem(label: &str, headers: &str, bytes: &[u8]) -> String {
        let b64 = b64_encode(bytes);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{headers}{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    /// A DER-looking body (SEQUENCE tag first).
    pub fn der(n: usize) -> Vec<u8> {
        let mut b = filler(n, 1);
        b[0] = 0x30;
        b
    }

    fn openssh(cipher: &str) -> String {
        let mut b = b"openssh-key-v1\0".to_vec();
        for s in [cipher, if cipher == "none" { "none" } else { "bcrypt" }] {
            b.extend((s.len() as u32).to_be_bytes());
            b.extend(s.as_bytes());
        }
        b.extend(filler(300, 2));
        pem("OPENSSH PRIVATE KEY", "", &b)
    }

    fn facts(r: Result<Outcome, Rejection>) -> Vec<(&'static str, String)> {
        r.unwrap().facts
    }

    #[test]
    fn plain_pem_types() {
        for (label, kind) in [
            ("RSA PRIVATE KEY", "rsa"),
            ("EC PRIVATE KEY", "ec"),
            ("DSA PRIVATE KEY", "dsa"),
            ("PRIVATE KEY", "pkcs8"),
        ] {
            let out = run(private_key, &pem(label, "", &der(600))).unwrap();
            assert_eq!(out.facts, vec![("key_type", kind.into())], "{label}");
            assert_eq!(out.severity, None);
        }
    }

    #[test]
    fn encrypted_keys_are_low() {
        let out = run(private_key, &pem("ENCRYPTED PRIVATE KEY", "", &der(600))).unwrap();
        assert_eq!(
            out.facts,
            vec![
                ("key_type", "encrypted-pkcs8".into()),
                ("encrypted", "true".into())
            ]
        );
        assert_eq!(out.severity, Some(Severity::Low));

        let legacy = pem(
            "RSA PRIVATE KEY",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n",
            &filler(600, 3),
        );
        let out = run(private_key, &legacy).unwrap();
        assert!(out.facts.contains(&("encrypted", "true".into())));
        assert_eq!(out.severity, Some(Severity::Low));
    }

    #[test]
    fn openssh_cipher_decides() {
        assert_eq!(
            facts(run(private_key, &openssh("none"))),
            vec![("key_type", "openssh".into())]
        );
        let out = run(private_key, &openssh("aes256-ctr")).unwrap();
        assert!(out.facts.contains(&("encrypted", "true".into())));
        // Not an openssh-key-v1 body.
        assert!(run(private_key, &pem("OPENSSH PRIVATE KEY", "", &der(400))).is_err());
    }

    #[test]
    fn escaped_forms() {
        let key = pem("RSA PRIVATE KEY", "", &der(600));
        let json = format!("\"{}\"", key.replace('\n', "\\n"));
        assert_eq!(
            facts(run(private_key, &json)),
            vec![("key_type", "rsa".into())]
        );
        let double = key.replace('\n', "\\\\n");
        assert!(run(private_key, &double).is_ok());
        let crlf = key.replace('\n', "\\r\\n");
        assert!(run(private_key, &crlf).is_ok());
        let slashes = json.replace('/', "\\/");
        assert!(run(private_key, &slashes).is_ok());
        let concat: Vec<String> = key.lines().map(|l| format!("    \"{l}\\n\" +")).collect();
        assert!(run(private_key, &concat.join("\n")).is_ok());
        let inline = key
            .lines()
            .map(|l| format!("\"{l}\\n\""))
            .collect::<Vec<_>>()
            .join(" + ");
        assert!(run(private_key, &inline).is_ok());
        let flat = key.replace('\n', " ");
        assert!(run(private_key, &flat).is_ok());
    }

    #[test]
    fn plus_at_line_edges_is_base64() {
        let mut b64 = b64_encode(&der(600)).into_bytes();
        b64[63] = b'+';
        b64[64] = b'+';
        let body: Vec<&str> = b64
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let key = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            body.join("\n")
        );
        assert!(run(private_key, &key).is_ok());
        let json = key.replace('\n', "\\n");
        assert!(run(private_key, &json).is_ok());
        let concat: Vec<String> = key.lines().map(|l| format!("\"{l}\" +")).collect();
        assert!(run(private_key, &concat.join("\n")).is_ok());
        let leading: Vec<String> = key.lines().map(|l| format!("+ '{l}\\n'")).collect();
        assert!(run(private_key, &leading.join("\n")).is_ok());
    }

    #[test]
    fn truncated_and_placeholders() {
        let key = pem("RSA PRIVATE KEY", "", &der(600));
        let cut = key.split("-----END").next().unwrap().to_string();
        assert!(run(private_key, &cut).is_err());
        let elided = key.replacen('\n', "\n...\n", 2);
        assert!(run(private_key, &elided).is_err());
        let unicode = key.replacen('\n', "\n…\n", 2);
        assert!(run(private_key, &unicode).is_err());
        let short = pem("RSA PRIVATE KEY", "", &der(30));
        assert!(run(private_key, &short).is_err());
        let xs = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            "X".repeat(200)
        );
        assert!(run(private_key, &xs).is_err());
        let bad = key.replacen("\n", "\n#$%^&*!@\n", 2);
        assert!(run(private_key, &bad).is_err());
        let mut raw = filler(600, 9);
        raw[0] = 0x42;
        let not_der = pem("RSA PRIVATE KEY", "", &raw);
        assert!(run(private_key, &not_der).is_err());
        assert!(run(private_key, &pem("PUBLIC KEY", "", &der(600))).is_err());
    }

    #[test]
    fn pgp_and_putty_loose() {
        let mut body = filler(800, 4);
        body[0] = 0x95;
        let pgp = pem("PGP PRIVATE KEY BLOCK", "Version: GnuPG v2\n\n", &body)
            .replace("\n-----END", "\n=AbCd\n-----END");
        assert_eq!(
            facts(run(private_key, &pgp)),
            vec![("key_type", "pgp".into())]
        );

        let lines = |salt| {
            b64_encode(&filler(300, salt))
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let ppk = |enc: &str| {
            format!(
                "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: {enc}\nComment: test\nPublic-Lines: 6\n{}\nPrivate-Lines: 6\n{}\nPrivate-MAC: 00ff\n",
                lines(5),
                lines(6)
            )
        };
        assert_eq!(
            facts(run(private_key, &ppk("none"))),
            vec![("key_type", "putty".into())]
        );
        let enc = run(private_key, &ppk("aes256-cbc")).unwrap();
        assert!(enc.facts.contains(&("encrypted", "true".into())));
        let truncated = "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 1\nAAAA\n";
        assert!(run(private_key, truncated).is_err());
    }

    #[test]
    fn base64_wrapped() {
        let key = pem("EC PRIVATE KEY", "", &der(200));
        let wrapped = b64_encode(key.as_bytes());
        assert!(wrapped.starts_with("LS0tLS1CRUdJT"));
        assert_eq!(
            facts(run(private_key_base64, &wrapped)),
            vec![("key_type", "ec".into())]
        );
        let unpadded = wrapped.trim_end_matches('=');
        assert!(run(private_key_base64, unpadded).is_ok());
        let cert = b64_encode(pem("CERTIFICATE", "", &der(200)).as_bytes());
        assert!(run(private_key_base64, &cert).is_err());
        assert!(run(private_key_base64, "LS0tLS1CRUdJT!!").is_err());
    }

    #[test]
    fn embedded_check() {
        assert!(check_embedded(b"no key here").is_ok());
        let key = pem("PRIVATE KEY", "", &der(600)).replace('\n', "\\n");
        assert!(check_embedded(key.as_bytes()).is_ok());
        let fake = "-----BEGIN PRIVATE KEY-----\\nMIIE...\\n-----END PRIVATE KEY-----\\n";
        assert!(check_embedded(fake.as_bytes()).is_err());
    }
}
