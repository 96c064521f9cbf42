"""Tokens that look right but are not: the scanner must not report them."""
BAD_CHECKSUM = [
    "ghp_U2jhOIT7YYaVioK0DPVqbR3eqEVgDP17iBaA",
    "gho_QdYbH1c4Bl4l1cIOhSfgaTIDS63nEc1qORWA",
    "ghs_buCaWyglTSJppDDXgtktW5c4XPxGmT3K9FvA",
]
ALL_A = "ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
TOO_SHORT = "ghp_1IyXwkvoNMy87xhuQCPYG9JVh7qvBf2My7"
FIXTURE_OK = "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"  # keyhound:allow (fixture for the checksum test)
PREFIX_ONLY = "ghp_"
