//! Values a credential is commonly stored encoded in, decoded so the
//! detector sees them: the base64 values under `data:` in a Kubernetes
//! `Secret` manifest (YAML).
//!
//! Each decoded value is handed on as `key: decoded` (so rules that want
//! a name before a value, such as `aws_secret_access_key: …`, see one)
//! together with the encoded value's place in the file, where every
//! finding in it is reported. The manifest itself is scanned as it is,
//! too. Only `.yaml`/`.yml` inputs held whole (up to one chunk) are
//! looked at: manifests are small and named so.

use std::ops::Range;

use base64::Engine;

use crate::finding::Location;

/// A decoded value: the text to scan and where its encoded form sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: Vec<u8>,
    pub at: Location,
}

/// Decoded values shorter than this hold no credential worth a rule.
const MIN_DECODED: usize = 8;

/// The `data:` values of every Kubernetes Secret document in `text`.
pub fn kubernetes_secret_values(text: &[u8]) -> Vec<Decoded> {
    // Cheap refusal for the ordinary file.
    if memchr::memmem::find(text, b"Secret").is_none()
        || memchr::memmem::find(text, b"data:").is_none()
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for document in documents(text) {
        let lines: Vec<(usize, &[u8])> = lines(text, document);
        let is_secret = lines.iter().any(|(_, l)| {
            let l = trim_end(l);
            indent(l) == 0 && strip_key(l, b"kind").is_some_and(|v| unquote(v) == b"Secret")
        });
        if !is_secret {
            continue;
        }
        let mut in_data: Option<usize> = None;
        for &(start, line) in &lines {
            let line = trim_end(line);
            let body = &line[indent(line)..];
            if body.is_empty() || body.starts_with(b"#") {
                continue;
            }
            if let Some(level) = in_data {
                if indent(line) <= level {
                    in_data = None;
                } else if let Some((key, value)) = split_key(body) {
                    let value_start =
                        start + indent(line) + (value.as_ptr() as usize - body.as_ptr() as usize);
                    if let Some(d) = decode(text, key, value, value_start) {
                        out.push(d);
                    }
                    continue;
                }
            }
            if strip_key(body, b"data").is_some_and(|v| v.is_empty()) {
                in_data = Some(indent(line));
            }
        }
    }
    out
}

/// One `key: value` of a `data:` block, decoded.
fn decode(text: &[u8], key: &[u8], value: &[u8], value_start: usize) -> Option<Decoded> {
    let (inner, offset) = match value {
        [b'"', rest @ .., b'"'] | [b'\'', rest @ .., b'\''] => (rest, 1),
        _ => (value, 0),
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .ok()?;
    // A PEM block is found in its base64 form already (the
    // private-key-base64 rule): decoding it would report it twice.
    if decoded.len() < MIN_DECODED || decoded.contains(&0) || decoded.starts_with(b"-----BEGIN") {
        return None;
    }
    let mut scanned = key.to_vec();
    scanned.extend_from_slice(b": ");
    scanned.extend_from_slice(&decoded);
    let span: Range<usize> = value_start + offset..value_start + offset + inner.len();
    Some(Decoded {
        text: scanned,
        at: Location::of_span(text, span),
    })
}

/// Byte ranges of the YAML documents (split at `---` lines).
fn documents(text: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    for (start, line) in lines(text, 0..text.len()) {
        if trim_end(line) == b"---" {
            out.push(from..start);
            from = start + line.len();
        }
    }
    out.push(from..text.len());
    out
}

/// `(offset, line without its newline)` of each line in `range`.
fn lines(text: &[u8], range: Range<usize>) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut at = range.start;
    for line in text[range.clone()].split(|&b| b == b'\n') {
        out.push((at, line));
        at += line.len() + 1;
    }
    out
}

fn indent(line: &[u8]) -> usize {
    line.iter().take_while(|&&b| b == b' ').count()
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// `key: value` → `(key, value)` with the value's surrounding spaces
/// dropped (`value` is a subslice of `body`).
fn split_key(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', body)?;
    let key = trim_end(&body[..colon]);
    let rest = &body[colon + 1..];
    let skip = rest.iter().take_while(|&&b| b == b' ').count();
    let value = trim_end(&rest[skip..]);
    (!key.is_empty() && !value.is_empty()).then_some((key, value))
}

/// The value after `key:` in `body`, if `body` is that key.
fn strip_key<'t>(body: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    let rest = body.strip_prefix(key)?.strip_prefix(b":")?;
    Some(trim_end(
        &rest[rest.iter().take_while(|&&b| b == b' ').count()..],
    ))
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', rest @ .., b'"'] | [b'\'', rest @ .., b'\''] => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_values_of_secrets_only_decoded_with_their_places() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  token: {}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  # data: not here\n\
             type: Opaque\ndata:\n  aws_secret_access_key: {}\n  short: {}\n  \
             quoted: \"{}\"\nstringData:\n  plain: x\n",
            b64("not a secret config value"),
            b64("k3Tk+yBj+t9URpKkim2U4VL7JrMxZQNl73wFBZsS"),
            b64("abc"),
            b64("password=hunter2hunter2"),
        );
        let got = kubernetes_secret_values(text.as_bytes());
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            got[0].text,
            b"aws_secret_access_key: k3Tk+yBj+t9URpKkim2U4VL7JrMxZQNl73wFBZsS"
        );
        assert_eq!((got[0].at.line, got[0].at.column), (13, 26));
        assert_eq!(got[0].at.end_column - got[0].at.column, 56);
        assert_eq!(got[1].text, b"quoted: password=hunter2hunter2");
        assert_eq!((got[1].at.line, got[1].at.column), (15, 12));
    }

    #[test]
    fn ordinary_yaml_and_bad_base64_are_left_alone() {
        assert!(kubernetes_secret_values(b"kind: Deployment\ndata:\n  a: b\n").is_empty());
        assert!(
            kubernetes_secret_values(b"kind: Secret\ndata:\n  a: !!!notbase64!!!\n").is_empty()
        );
    }
}
