"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "dop_v1_304fb1491f",  # digitalocean-pat
    "doo_v1_81c146f0f0",  # digitalocean-oauth-token
    "d6ffea19c5513e2f",  # linode-token
    "JE7469SA3",  # vultr-api-key
    "nwtyNKUhgFM20A8F",  # hetzner-cloud-token
    "LTAI5tkM",  # alibaba-access-key-id
    "zUIqyDUA",  # alibaba-access-key-secret
    "AKIDq1x86",  # tencent-secret-id
    "nm2IXqof",  # tencent-secret-key
    "Y_WKsSKVObH",  # ibm-cloud-api-key
]
