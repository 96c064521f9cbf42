"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "sk_live_51RDWoNdkTi3",  # stripe-secret-key
    "rk_live_51FmpmolreFH",  # stripe-restricted-key
    "sk_test_51mhPZABSKYl",  # stripe-test-secret-key
    "whsec_gKK",  # stripe-webhook-secret
    "EAAAen6ISO5h0Zq_",  # square-access-token
    "sq0csp-wrVfd",  # square-oauth-secret
    "access_token$produ",  # braintree-access-token
    "EdQpeDHTL4b_RMoloh4P",  # paypal-client-secret
    "shpat_1ca",  # shopify-access-token
    "shpss_ab9",  # shopify-shared-secret
]
