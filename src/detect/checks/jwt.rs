//! JSON Web Tokens: a real token decodes to JSON header and claims; its
//! issuer, audience and expiry say whose it is and whether it still works.

use serde_json::{Map, Value};

use super::util::{b64_url, with_expiry};
use super::{CheckInput, Outcome, Rejection};

/// A decoded token.
struct Jwt {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

/// Decodes one base64url segment as a JSON object.
fn segment(part: &[u8]) -> Option<Map<String, Value>> {
    let bytes = b64_url(part)?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Splits and decodes `header.payload.signature`.
fn decode(token: &[u8]) -> Result<Jwt, Rejection> {
    let parts: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    let [h, p, sig] = parts[..] else {
        return Err("not three dot-separated parts".into());
    };
    let header = segment(h).ok_or("header is not a base64url JSON object")?;
    let claims = segment(p).ok_or("payload is not a base64url JSON object")?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("header has no alg")?;
    if alg.eq_ignore_ascii_case("none") && sig.is_empty() {
        return Err("unsigned token".into());
    }
    Ok(Jwt { header, claims })
}

/// A string claim, or the first string of an array claim (`aud`).
fn claim_str<'a>(claims: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    match claims.get(key)? {
        Value::String(s) => Some(s),
        Value::Array(items) => items.first()?.as_str(),
        _ => None,
    }
}

/// Facts shared by every JWT check.
fn facts(jwt: &Jwt, now: i64) -> Outcome {
    let mut out = Outcome::default();
    if let Some(alg) = jwt.header.get("alg").and_then(Value::as_str) {
        out = out.fact("jwt_alg", alg);
    }
    if let Some(iss) = claim_str(&jwt.claims, "iss") {
        out = out.fact("jwt_issuer", iss);
    }
    if let Some(aud) = claim_str(&jwt.claims, "aud") {
        out = out.fact("jwt_audience", aud);
    }
    // `exp` is a NumericDate: integer or fractional seconds.
    let exp = jwt.claims.get("exp").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    });
    if let Some(exp) = exp {
        out = with_expiry(out, exp, now);
    }
    out
}

/// `jwt`: any well-formed signed token.
pub fn jwt(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let token = decode(input.secret_bytes())?;
    Ok(facts(&token, input.now))
}

/// The tenant in a Microsoft identity platform issuer, if it is one:
/// `https://login.microsoftonline.com/<tenant>/…` or
/// `https://sts.windows.net/<tenant>/`.
fn entra_tenant(iss: &str) -> Option<&str> {
    let rest = iss
        .strip_prefix("https://login.microsoftonline.com/")
        .or_else(|| iss.strip_prefix("https://sts.windows.net/"))?;
    let tenant = rest.split('/').next()?;
    (!tenant.is_empty()).then_some(tenant)
}

/// `jwt-entra`: a token issued by Entra ID; adds tenant and application.
pub fn jwt_entra(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let token = decode(input.secret_bytes())?;
    let iss_tenant = claim_str(&token.claims, "iss")
        .and_then(entra_tenant)
        .ok_or("issuer is not Entra ID")?;
    let mut out = facts(&token, input.now);
    let tenant = token
        .claims
        .get("tid")
        .and_then(Value::as_str)
        .unwrap_or(iss_tenant);
    out = out.fact("tenant_id", tenant);
    let app = ["appid", "azp"]
        .iter()
        .find_map(|k| token.claims.get(*k).and_then(Value::as_str));
    if let Some(app) = app {
        out = out.fact("app_id", app);
    }
    Ok(out)
}

/// `jwt-supabase-service-role`: a Supabase project key whose `role` claim
/// is `service_role` (the key that bypasses row-level security). The
/// `anon` key has the same shape and is public by design: rejected.
pub fn jwt_supabase_service_role(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let token = decode(input.secret_bytes())?;
    if claim_str(&token.claims, "role") != Some("service_role") {
        return Err("role is not service_role".into());
    }
    let mut out = facts(&token, input.now);
    if let Some(project) = claim_str(&token.claims, "ref") {
        out = out.fact("supabase_project", project);
    }
    Ok(out)
}

/// `jwt-kubernetes`: a Kubernetes service-account token: issuer
/// `kubernetes/serviceaccount` (legacy secret-based tokens) or a
/// `kubernetes.io` claim (bound tokens, whose issuer is the cluster's);
/// adds namespace and service account.
pub fn jwt_kubernetes(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let token = decode(input.secret_bytes())?;
    let legacy = claim_str(&token.claims, "iss") == Some("kubernetes/serviceaccount");
    let bound = token.claims.get("kubernetes.io").and_then(Value::as_object);
    if !legacy && bound.is_none() {
        return Err("not a Kubernetes service-account token".into());
    }
    let mut out = facts(&token, input.now);
    let (namespace, account) = match bound {
        Some(k) => (
            k.get("namespace").and_then(Value::as_str),
            k.get("serviceaccount")
                .and_then(|sa| sa.get("name"))
                .and_then(Value::as_str),
        ),
        None => (
            claim_str(&token.claims, "kubernetes.io/serviceaccount/namespace"),
            claim_str(
                &token.claims,
                "kubernetes.io/serviceaccount/service-account.name",
            ),
        ),
    };
    if let Some(ns) = namespace {
        out = out.fact("k8s_namespace", ns);
    }
    if let Some(sa) = account {
        out = out.fact("k8s_service_account", sa);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_full};
    use super::*;
    use crate::rules::Severity;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, claims: &str, sig: &str) -> String {
        format!("{}.{}.{sig}", b64(header), b64(claims))
    }

    fn at(t: &str, now: i64, f: super::super::CheckFn) -> Result<Outcome, Rejection> {
        run_full(f, t.as_bytes(), 0..t.len(), &[], now)
    }

    #[test]
    fn plain_jwt_facts() {
        let t = token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"iss":"https://auth.example.com","aud":["api","web"],"exp":1700000000,"sub":"u1"}"#,
            "c2lnbmF0dXJl",
        );
        let out = at(&t, 1_800_000_000, jwt).unwrap();
        assert_eq!(
            out.facts,
            vec![
                ("jwt_alg", "HS256".into()),
                ("jwt_issuer", "https://auth.example.com".into()),
                ("jwt_audience", "api".into()),
                ("expires_at", "2023-11-14T22:13:20Z".into()),
                ("expired", "true".into()),
            ]
        );
        assert_eq!(out.severity, Some(Severity::Low));
        let live = at(&t, 1_600_000_000, jwt).unwrap();
        assert!(live.facts.contains(&("expired", "false".into())));
        assert_eq!(live.severity, None);
    }

    #[test]
    fn jwt_rejections() {
        assert!(run(jwt, &token(r#"{"alg":"none"}"#, r#"{"a":1}"#, "")).is_err());
        assert!(run(jwt, &token(r#"{"typ":"JWT"}"#, r#"{"a":1}"#, "abc")).is_err());
        assert!(run(jwt, &token(r#"[1]"#, r#"{"a":1}"#, "abc")).is_err());
        assert!(run(jwt, &token(r#"{"alg":"RS256"}"#, r#""str""#, "abc")).is_err());
        assert!(run(jwt, "abc.def").is_err());
        assert!(run(jwt, "a.b.c.d").is_err());
        assert!(run(jwt, &token(r#"{"alg":"RS256"}"#, "{}", "abc")).is_ok());
        let float_exp = token(r#"{"alg":"RS256"}"#, r#"{"exp":1e10}"#, "abc");
        assert!(run(jwt, &float_exp).is_ok());
    }

    #[test]
    fn entra_tokens() {
        let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let v1 = token(
            r#"{"alg":"RS256","kid":"x"}"#,
            &format!(
                r#"{{"iss":"https://sts.windows.net/{tid}/","aud":"https://graph.microsoft.com","appid":"app-1","tid":"{tid}","exp":4000000000}}"#
            ),
            "c2ln",
        );
        let out = at(&v1, 1_700_000_000, jwt_entra).unwrap();
        assert!(out.facts.contains(&("tenant_id", tid.into())));
        assert!(out.facts.contains(&("app_id", "app-1".into())));
        assert!(out.facts.contains(&("expired", "false".into())));

        let v2 = token(
            r#"{"alg":"RS256"}"#,
            &format!(r#"{{"iss":"https://login.microsoftonline.com/{tid}/v2.0","azp":"app-2"}}"#),
            "c2ln",
        );
        let out = run(jwt_entra, &v2).unwrap();
        assert!(out.facts.contains(&("tenant_id", tid.into())));
        assert!(out.facts.contains(&("app_id", "app-2".into())));

        let other = token(
            r#"{"alg":"RS256"}"#,
            r#"{"iss":"https://accounts.google.com"}"#,
            "c2ln",
        );
        assert!(run(jwt_entra, &other).is_err());
        let none = token(r#"{"alg":"RS256"}"#, r#"{"sub":"x"}"#, "c2ln");
        assert!(run(jwt_entra, &none).is_err());
    }

    #[test]
    fn supabase_service_role_only() {
        let service = token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"iss":"supabase","ref":"qwhzkpmvbnrtxlsd","role":"service_role","iat":1767225600,"exp":2082758400}"#,
            "Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya1pQ9wE3rT5yU7i",
        );
        let out = at(&service, 1_800_000_000, jwt_supabase_service_role).unwrap();
        assert!(out
            .facts
            .contains(&("supabase_project", "qwhzkpmvbnrtxlsd".into())));
        let anon = service.replace(&b64(r#"{"iss":"supabase","ref":"qwhzkpmvbnrtxlsd","role":"service_role","iat":1767225600,"exp":2082758400}"#), &b64(r#"{"iss":"supabase","ref":"qwhzkpmvbnrtxlsd","role":"anon","iat":1767225600,"exp":2082758400}"#));
        assert!(at(&anon, 1_800_000_000, jwt_supabase_service_role).is_err());
    }

    #[test]
    fn kubernetes_tokens_legacy_and_bound() {
        let legacy = token(
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"payments","kubernetes.io/serviceaccount/service-account.name":"deployer","sub":"system:serviceaccount:payments:deployer"}"#,
            "Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya1pQ9wE3rT5yU7i",
        );
        let out = run(jwt_kubernetes, &legacy).unwrap();
        assert!(out.facts.contains(&("k8s_namespace", "payments".into())));
        assert!(out
            .facts
            .contains(&("k8s_service_account", "deployer".into())));
        let bound = token(
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"iss":"https://kubernetes.default.svc","kubernetes.io":{"namespace":"ci","serviceaccount":{"name":"runner","uid":"u"}},"exp":4102444800}"#,
            "Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya1pQ9wE3rT5yU7i",
        );
        let out = run(jwt_kubernetes, &bound).unwrap();
        assert!(out
            .facts
            .contains(&("k8s_service_account", "runner".into())));
        let other = token(
            r#"{"alg":"RS256"}"#,
            r#"{"iss":"https://auth.northwind.dev","sub":"u1"}"#,
            "Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya1pQ9wE3rT5yU7i",
        );
        assert!(run(jwt_kubernetes, &other).is_err());
    }
}
