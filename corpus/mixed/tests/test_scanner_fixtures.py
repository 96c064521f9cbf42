"""Fixtures with real-looking values, each marked as allowed."""
FIXTURE_KEY_ID = "AKIAYJYUMBTOKKCMNVMT"  # keyhound:allow
FIXTURE_SECRET = "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"  # keyhound:allow
FIXTURE_TOKEN = "ghs_6uvS6VRGEOqUInBFD1oAtpCq0kRKY23zyuTr"  # keyhound:allow
