"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "005vGl14Zs",  # okta-api-token
    "PGlSvrmh79_WgDhs",  # auth0-client-secret
    "dab925cb",  # datadog-api-key
    "db09ae5c58",  # datadog-app-key
    "NRAK-MNV",  # newrelic-user-api-key
    "c6a45c2282",  # newrelic-license-key
    "NRII-3Ye0",  # newrelic-insert-key
    "https://146a6d5c14f3",  # sentry-dsn-secret
    "sntryu_5d10f8d224",  # sentry-user-token
    "sntrys_eyJpYXQiOjE3N",  # sentry-org-token
    "4iCMiaGC",  # pagerduty-api-key
    "lin_api_s0i0",  # linear-api-key
    "lin_oauth_f612a93b",  # linear-oauth-token
    "ntn_38880149",  # notion-integration-token
    "patep91T69xUT4H85.6b",  # airtable-pat
    "2/341916477140732",  # asana-pat
]
