"""Clients for the payments integrations."""

import os
STRIPE_SECRET_KEY = "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"
STRIPE_SECRET_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
STRIPE_RESTRICTED_KEY = "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"
STRIPE_RESTRICTED_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
STRIPE_TEST_SECRET_KEY = "sk_test_51bMNgAGTxTEmS5IoThxLvRXwd0zZqXxlGmPgpZYY6vEHMFkq5FxZUTOMWAJyEJn8HlbHCdtRtTxY4P1egcPrSwYFQm1GRWWHNl"
STRIPE_TEST_SECRET_KEY_FIXTURE = "sk_test_51GEKEDP7kZKhJn2TOZQzEZWBLqFTMvos2r3KmN1Z4zBWZCNeV41lcpog0CBqTa5jMxeCHw5Tk7plLYLNz02Mcsae0XpLm4xV8K"  # keyhound:allow (fixture for the client tests)
STRIPE_WEBHOOK_SECRET = "whsec_xjmuXVvyyh1hyV4Qphy51L24unOgjlwk"
STRIPE_WEBHOOK_SECRET_FIXTURE = "whsec_Ush0GNzn6qMLn6ecY6X6DPIULnOLYCOa"  # keyhound:allow (fixture for the client tests)
SQUARE_ACCESS_TOKEN = "EAAAsBvc4CYr1xwyoIh0LtR7SF3YWfWHfNo6S8iKT1mX3aOoTzvqRl9GYxvdUzTp"
SQUARE_ACCESS_TOKEN_FIXTURE = "EAAAk6gcimOqaCFHYxSRHi30ZSpSd0gecQFZ2oEbIXSICAtRs7ArRY2ptmS6eqE1"  # keyhound:allow (fixture for the client tests)
SQUARE_APPLICATION_SECRET = "sq0csp-5JRlZgpj4wZ-MGs3HB5nu_ZmXCmjcrjmGi-Se0lzVs5"
SQUARE_APPLICATION_SECRET_FIXTURE = "sq0csp-wZ71DIzDHMAjyQuJ1RxMfkzAiUdkP9V0N0xpFouB2s9"  # keyhound:allow (fixture for the client tests)
BRAINTREE_ACCESS_TOKEN = "access_token$production$m8hyjv45a2lk2fdn$d1a34e60422d794de00a09e5e2d99031"
BRAINTREE_ACCESS_TOKEN_FIXTURE = "access_token$production$mvoyzf487588fbrm$047bda4839769e5bc2e739348695d272"  # keyhound:allow (fixture for the client tests)
PAYPAL_CLIENT_SECRET = "EXeft3ZQ5GjQTL0ReFGGlFP5oKqCzBpO28DhpiXbJtZK6b7lxff1G93F0VyWL5uQ9oZidENT2Kw9TJbo"
PAYPAL_CLIENT_SECRET_FIXTURE = "EnS-RnU83Cs0jGRa1a-sqfRGbH5JlKEllupVwlIHTsDVe4FKP-pn39tH8SxPChgI13sD2x9rFwun7bl_"  # keyhound:allow (fixture for the client tests)
SHOPIFY_ACCESS_TOKEN = "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"
SHOPIFY_ACCESS_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
SHOPIFY_API_SECRET = "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"
SHOPIFY_API_SECRET_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
