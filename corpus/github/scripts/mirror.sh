#!/usr/bin/env bash
set -euo pipefail
git remote add mirror https://x-access-token:ghs_ihxTlerbK9OMNAaCYZe3xV8Kqfx84a1m7eys@github.com/northwind/infra-mirror.git
git push --mirror mirror
curl -fsS -H "Authorization: token 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" https://api.github.com/user/repos
curl -fsS -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/rate_limit
