"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "0_N30wBdGv",  # cloudflare-api-token
    "6ae27d281",  # cloudflare-global-api-key
    "v1.0-bc53bb5a2fc6f84",  # cloudflare-origin-ca-key
    "vcp_TPsHKwmyL",  # vercel-token
    "X4zNYEGI",  # vercel-token-legacy
    "nfp_3fDsOt",  # netlify-token
    "FlyV1 fm2_bdh16iJPJL",  # flyio-token
    "rnd_cxAd8",  # render-api-key
    "e8b718a7-",  # railway-token
    "sbp_6de172d",  # supabase-pat
    "sb_secret_",  # supabase-secret-key
    "eyJhbGciOiJIUzI1NiIs",  # supabase-service-role-key
    "AAAAQ1tXiV7:APA91brb",  # firebase-fcm-server-key
    "HRKU-AAMwc0T7Svj",  # heroku-api-key
    "f9f6440c-",  # heroku-api-key-legacy
]
