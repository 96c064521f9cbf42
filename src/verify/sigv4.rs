//! AWS Signature Version 4 for one request shape: a POST with a form body
//! and no query string, which is all `sts:GetCallerIdentity` needs.
//!
//! Hand-written with `hmac` + `sha2` rather than the `aws-sigv4` crate: the
//! whole signer is a page, checked byte for byte against the reference
//! vector below, and it avoids pulling the smithy runtime into a scanner.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// What is signed. Header names in `headers` must be lowercase; `host`
/// and `x-amz-date` must be among them.
pub struct SignInput<'a> {
    pub key_id: &'a str,
    pub secret: &'a str,
    /// `20150830T123600Z`.
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The canonical request (POST, path `/`, empty query).
pub fn canonical_request(input: &SignInput<'_>) -> String {
    let mut headers: Vec<(&str, &str)> = input.headers.to_vec();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed = signed_headers(&headers);
    format!(
        "POST\n/\n\n{canonical_headers}\n{signed}\n{}",
        hex::encode(Sha256::digest(input.body))
    )
}

fn signed_headers(sorted: &[(&str, &str)]) -> String {
    sorted.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(";")
}

fn scope(input: &SignInput<'_>) -> String {
    let date = input.amz_date.get(..8).unwrap_or(input.amz_date);
    format!("{date}/{}/{}/aws4_request", input.region, input.service)
}

pub fn string_to_sign(input: &SignInput<'_>) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        input.amz_date,
        scope(input),
        hex::encode(Sha256::digest(canonical_request(input).as_bytes()))
    )
}

/// The hex signature.
pub fn signature(input: &SignInput<'_>) -> String {
    let date = input.amz_date.get(..8).unwrap_or(input.amz_date);
    let k_date = hmac(format!("AWS4{}", input.secret).as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, input.region.as_bytes());
    let k_service = hmac(&k_region, input.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign(input).as_bytes()))
}

/// The `Authorization` header value.
pub fn authorization(input: &SignInput<'_>) -> String {
    let mut headers: Vec<(&str, &str)> = input.headers.to_vec();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
        input.key_id,
        scope(input),
        signed_headers(&headers),
        signature(input)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's worked GetCallerIdentity example (B1.1), identical
    /// to botocore's SigV4Auth.
    fn vector() -> SignInput<'static> {
        SignInput {
            key_id: "AKIDEXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", // keyhound:allow
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "sts",
            headers: &[
                ("x-amz-date", "20150830T123600Z"),
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("host", "sts.amazonaws.com"),
            ],
            body: b"Action=GetCallerIdentity&Version=2011-06-15",
        }
    }

    #[test]
    fn canonical_request_is_byte_exact() {
        assert_eq!(
            canonical_request(&vector()),
            "POST\n/\n\n\
             content-type:application/x-www-form-urlencoded; charset=utf-8\n\
             host:sts.amazonaws.com\n\
             x-amz-date:20150830T123600Z\n\
             \n\
             content-type;host;x-amz-date\n\
             ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"
        );
    }

    #[test]
    fn string_to_sign_is_byte_exact() {
        assert_eq!(
            string_to_sign(&vector()),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/sts/aws4_request\n\
             db0f231bd5fb16e6f5461c322c611c18d360f776c1ec9aea36032f7469ea7559"
        );
    }

    #[test]
    fn authorization_header_is_byte_exact() {
        assert_eq!(
            authorization(&vector()),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
        );
    }

    #[test]
    fn a_different_secret_changes_the_signature() {
        let mut v = vector();
        v.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ"; // keyhound:allow
        assert_ne!(
            signature(&v),
            "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
        );
    }
}
