"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "hvs.FS9gmJmb79xphrVo",  # vault-service-token
    "hvb.koGycjgcDc4DDIdU",  # vault-batch-token
    "s.VAjhl5",  # vault-token-legacy
    "3xlku8h6u10p19.atlas",  # terraform-cloud-token
    "pul-09b662d",  # pulumi-access-token
]
