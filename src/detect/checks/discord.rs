//! Discord bot tokens: `<base64 of the bot's user id>.<timestamp>.<HMAC>`.
//! The first part is the bot's snowflake id (a 17-20 digit decimal number)
//! in base64, so a token-shaped string whose first part does not decode to
//! one is not a token.

use super::util::b64_loose;
use super::{CheckInput, Outcome, Rejection};

/// `discord-bot-token`: the first dot-separated part decodes to a decimal
/// snowflake; reports it as `discord_bot_id` (a public user id).
pub fn bot_token(input: &CheckInput<'_>) -> Result<Outcome, Rejection> {
    let s = input.secret_bytes();
    let first = s.split(|&b| b == b'.').next().unwrap_or_default();
    let id = b64_loose(first).ok_or("first part is not base64")?;
    if !(17..=20).contains(&id.len()) || !id.iter().all(u8::is_ascii_digit) {
        return Err("first part does not decode to a snowflake id".into());
    }
    Ok(Outcome::default().fact("discord_bot_id", String::from_utf8_lossy(&id)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn snowflake_ids_decode() {
        // base64("123456789012345678") without padding.
        let t = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhJk2L.Zq7RfX2mKp9LwT4vNc8HsJ3dBg6Ya1pQ9wE"; // keyhound:allow
        let out = run(bot_token, t).unwrap();
        assert_eq!(
            out.facts,
            vec![("discord_bot_id", "123456789012345678".into())]
        );
    }

    #[test]
    fn other_first_parts_are_rejected() {
        // base64("northwind-bot-0001"): right length, not digits.
        assert!(run(
            bot_token,
            "bm9ydGh3aW5kLWJvdC0wMDAx.GhJk2L.Zq7RfX2mKp9LwT4vNc8HsJ3dBg6"
        )
        .is_err());
        // base64("12345"): digits, too short for a snowflake.
        assert!(run(bot_token, "MTIzNDU.GhJk2L.Zq7RfX2mKp9LwT4vNc8HsJ3dBg6").is_err());
        assert!(run(bot_token, "!!!.GhJk2L.Zq7RfX2mKp9LwT4vNc8HsJ3dBg6").is_err());
    }
}
