"""Clients for the saas integrations."""

import os
OKTA_API_TOKEN = "00VQFQgLeUdVs22K6iSJKy58izwqhoNIOREOwYWVYk"
OKTA_API_TOKEN_FIXTURE = "00J5cFHH-E7XE9Q7Un16i-CxlfBMyiOPZZNsXLx8Xl"  # keyhound:allow (fixture for the client tests)
AUTH0_CLIENT_SECRET = "t_3zylmLCnM_9A3mExoiiGS1lvife3z0pzO_YmXgbJWLRt8BK8Tb2Uvhfa9yRFJP"
AUTH0_CLIENT_SECRET_FIXTURE = "-6HRDT8QoM23GG6VNpLIG7e3_rA6XwHGMV_qS9rZFNrB6uJ0yXx1eVnFZ-PYwnOm"  # keyhound:allow (fixture for the client tests)
DD_API_KEY = "ec7cbcfe650ba4e7b7c911a2bb51a320"
DD_API_KEY_FIXTURE = "1f62803fa5516ab09878fd8dfd1cab87"  # keyhound:allow (fixture for the client tests)
DD_APP_KEY = "98fc43ecd52712f8ebf5cafc2d46c30ffbb2ee44"
DD_APP_KEY_FIXTURE = "0f6abbce56d1128d285f5eb586076db7cd72f8dd"  # keyhound:allow (fixture for the client tests)
NEW_RELIC_API_KEY = "NRAK-CPH83CEU8JS5BOV2PTCBR62C560"
NEW_RELIC_API_KEY_FIXTURE = "NRAK-ZDE3P6A1VTP578135J2O91M0KL9"  # keyhound:allow (fixture for the client tests)
NEW_RELIC_LICENSE_KEY = "2bd5b3d95b51b13cb9dc169c952e25da445bNRAL"
NEW_RELIC_LICENSE_KEY_FIXTURE = "53b710753a9e5b86f1b51ecbb2f802ee3051NRAL"  # keyhound:allow (fixture for the client tests)
NEW_RELIC_INSERT_KEY = "NRII-fs2TqyXRugPVoE0Pg6vBCvBZ4KrBRFbj"
NEW_RELIC_INSERT_KEY_FIXTURE = "NRII-1xmOtQVvhEqtguntjvUncTZ7HMslZJCG"  # keyhound:allow (fixture for the client tests)
SENTRY_DSN = "https://e84953f47c02270e121cb9f50f91c9ef:109dd8891e6e646275ec3b55f9dc1c43@o919393.ingest.sentry.io/8077478"
SENTRY_DSN_FIXTURE = "https://f3dd9edbda761f9697c945c79d0922fc:42b13a75eda05baeecd36b129de82f3f@o814780.ingest.sentry.io/1524184"  # keyhound:allow (fixture for the client tests)
SENTRY_AUTH_TOKEN = "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"
SENTRY_AUTH_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
SENTRY_ORG_TOKEN = "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"
SENTRY_ORG_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
PAGERDUTY_API_TOKEN = "-4YLVhSqZVVGmRbkDynI"
PAGERDUTY_API_TOKEN_FIXTURE = "Frn0vgSD41a0ao-9dkTx"  # keyhound:allow (fixture for the client tests)
LINEAR_API_KEY = "lin_api_hMsXjwcvv1Z3kGbwDvk8hQHZBnOb6XAemkdFhHX5"
LINEAR_API_KEY_FIXTURE = "lin_api_jmkxvXxmPcpbLPDnQYUCbbEYqGb1rckIsBJL5vrn"  # keyhound:allow (fixture for the client tests)
LINEAR_ACCESS_TOKEN = "lin_oauth_369cf22ff46866bac1bef7a3a00794454d4d463560f7f7bdd4c17205c518ec73"
LINEAR_ACCESS_TOKEN_FIXTURE = "lin_oauth_8c4d139ea5c34eab94e9512a4124ffcdc04f3c9f20a96d1ee9bd19d2435df7b4"  # keyhound:allow (fixture for the client tests)
NOTION_TOKEN = "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"
NOTION_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
AIRTABLE_API_KEY = "patr44PnFBM6JBlDF.3819cd6a3436b93a6062a4a56839ffeaffed2da878aeb369efe7bdcd6b546ce0"
AIRTABLE_API_KEY_FIXTURE = "pat1ANMJcHjwDKhWu.b0bf4bec5f51a6adbe798a6275ea7d94b8b918d52af9cc72fdc150309add2875"  # keyhound:allow (fixture for the client tests)
ASANA_ACCESS_TOKEN = "2/5912593741516345/5752587760799582:ecb3a02d0f8a3c4e6798fd387cd85e2a"
ASANA_ACCESS_TOKEN_FIXTURE = "2/2504527114336951/6356847637633758:5506e820ea3c3d51f3d066b32bf4b02a"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
