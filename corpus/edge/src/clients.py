"""Clients for the edge integrations."""

import os
CLOUDFLARE_API_TOKEN = "gpJzeb82bng25Y7q_tjgWTrmmuV93eQONLMfY4fY"
CLOUDFLARE_API_TOKEN_FIXTURE = "U7OCDX3XL-YxVcbgcH-_38jyUrTMo0Hp6mnqyrLR"  # keyhound:allow (fixture for the client tests)
CLOUDFLARE_API_KEY = "aa192dbbf9470e6df32c726f6417041863235"
CLOUDFLARE_API_KEY_FIXTURE = "741e687387220bdc9c668591b50b14f5e89ee"  # keyhound:allow (fixture for the client tests)
CF_ORIGIN_CA_KEY = "v1.0-47a8abbae9961f3e6935e606-9c48e438cf2035c55cc74808d87f9c41099c36770a1d60af0827f82a42334e06cfeb21150f5eef36a18d460ee982d381e94e0f603c87dfa07373321b2af3b09313701cbdafad943390"
CF_ORIGIN_CA_KEY_FIXTURE = "v1.0-a83edde1a3cff14030f430a6-c6b56ff39b56807cb865b93224b674c3bea76a37ce62e1eedac69f70537e3b2ae2565086c7b427637efb635ae38e9f32fd49b240448b9c80f143ccb1987e267ecab26074fd9e4af701"  # keyhound:allow (fixture for the client tests)
VERCEL_DEPLOY_KEY = "vcp_qt1YE9ERrXF0L6gfqI1ZlIhB1effiH37vNDAsOL3Opoa39n0"
VERCEL_DEPLOY_KEY_FIXTURE = "vcp_omGEGF8ADhzpEHMYogkIMYHNhheEgPi8MpRBzXRJA7mRqsYn"  # keyhound:allow (fixture for the client tests)
VERCEL_TOKEN = "SZHPdH2opzW6GV5Ra5qdnjsw"
VERCEL_TOKEN_FIXTURE = "GxkLbo36IbwN8icTyxQXGRDp"  # keyhound:allow (fixture for the client tests)
NETLIFY_AUTH_TOKEN = "nfp_lw3iPft0OgQzYVyChourXtVvLe6iukE36EUq"
NETLIFY_AUTH_TOKEN_FIXTURE = "nfp_wd0Re2kNDASPFiwbpaYgIG4ZZaIj727zH2vi"  # keyhound:allow (fixture for the client tests)
FLY_API_TOKEN = "FlyV1 fm2_UUTciYsZtJmE8kI2mbn2J5DaA3OIiY6pWkERoiKQqCILF4ekLQU6r9VEKZuAUrxQ8tNIfOdVZ6Oe6EZ9g7KEZxyPQlaIuC2zfGgmzmmFb1rUxcptRdl4ceb2N993OfWkoN1993eRHHGD0g3HQ5/6OYtpxmjfJDFAJojUDtQsKJha/NTclmPT==,fm2_Z+4xoVB1y1PJZls/lwjVoLB+aDpfdz7tAoVVeztPiW05Yechk59QbKuFiyxlS4flCxqv6xBxQwka+VpozS0aAd3RTF6wl1I0stPAQc8pl1Swbk/JqubRiI8K="
FLY_API_TOKEN_FIXTURE = "FlyV1 fm2_RPj8zFYE/vP+BeH1pDqQwNKFeTmBkfScp3ryGhtWFEPOHoB7QcR8cbVX0SsB/3WroDr0KmuKMN89z3UZRujZSjij1uszGCxTWuforCKL599QZjXMuqRe9HDrAQYrbh93uOGZ0+LJ+P3URQa25A7G+r8nxVi46ZUK/vfImWUSzg0vN3+KpCBN==,fm2_yzKzT9GT0YJbnjVhtta186X+6IgUxw76SR4N51VdFm4Yk5jAf1RjvARa3oudJwV41lNrp47xzRevZkKvbUwQlGLm0ZhsKXSYauaC3HwSGYPeOEz1FP8+ln8W="  # keyhound:allow (fixture for the client tests)
RENDER_API_KEY = "rnd_THn89UyHs4dDbOJLM7wkXdjMdpGuOA2w"
RENDER_API_KEY_FIXTURE = "rnd_H1pJs7PDl0ZvM86P9zQnBdSgvnpJBQnD"  # keyhound:allow (fixture for the client tests)
RAILWAY_TOKEN = "d1b14da5-cc4f-487a-9abb-fa7cb7baecc0"
RAILWAY_TOKEN_FIXTURE = "2cd0c6d4-9e45-44cb-bc55-b0f17d94bce1"  # keyhound:allow (fixture for the client tests)
SUPABASE_ACCESS_TOKEN = "sbp_022d8377173bccae7cc1c4f2c99383cc5ba59614"
SUPABASE_ACCESS_TOKEN_FIXTURE = "sbp_bcb0749c1ca32d71c363cd3083d1adb1b34b7669"  # keyhound:allow (fixture for the client tests)
SUPABASE_SECRET_KEY = "sb_secret_1zhvdCRGywZG4mHiRQoa1YPELacMcqV"
SUPABASE_SECRET_KEY_FIXTURE = "sb_secret_isPhLgWorfz0M62u4rlNB6UfQdFJHdl"  # keyhound:allow (fixture for the client tests)
SUPABASE_SERVICE_ROLE_KEY = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6Im1oY25iYnlya2pidHdxY3Fmb2JzIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoyMDgyNzU4NDAwfQ.ikxKVi5yIcxpgjrbO473YdH7mr5pRxTrIQ8MByHD6HB"
SUPABASE_SERVICE_ROLE_KEY_FIXTURE = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImtnZ3ZrbGJpa2R6bXFibGJ1bmFyIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoyMDgyNzU4NDAwfQ.evAtlDWsaIzAcMNwtyRxZul2a78Bu0FevCRNsq-NVJL"  # keyhound:allow (fixture for the client tests)
FCM_SERVER_KEY = "AAAAGo4RfsR:APA91bB9-G5a-kN5V-_ScjSDXtYJHc1G2hlLDRyQv_VkUAP46HJ_TdLZtaASpXxa0fgQkQxwKBtBrD5QY3FwYunyd1I0xKpHePS4Hl5HuetlUz75ik0S_A22ZLEuhKhUzR4yetUY3TrF"
FCM_SERVER_KEY_FIXTURE = "AAAA6Gz5eTI:APA91bjy338RHhMYcJLaUTioN5Htu3N1b7z_BbTsQVND461Mfr2DcvjGaYzdrCP-9mHrqToioKIcR5kUU1CRzxPGwpi1Ol-QBRM1xrHbG18-oRLJCXKePNOnAkrMF64omSwLZOxQHqEw"  # keyhound:allow (fixture for the client tests)
HEROKU_OAUTH_TOKEN = "HRKU-AAK4e01_OdX4WfK4dEBvk5_Lcp6XwhebcgOcFzZQ5SgWULkwBuFhe6pJGu1f"
HEROKU_OAUTH_TOKEN_FIXTURE = "HRKU-AArhI4PEicY9hUMELU-GfCArcbGClYn9ZQvr-jFnLPfSCq4NkG7j5T1CaOp1"  # keyhound:allow (fixture for the client tests)
HEROKU_API_KEY = "c5038944-7563-4b8b-a238-d8ad5cf00c4f"
HEROKU_API_KEY_FIXTURE = "4367c236-0b11-4714-b260-e584a5e47350"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
