"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "yopGG656nM",  # github-webhook-secret
    "cdf17b019b",  # github-oauth-client-secret
    "glpat-2E",  # gitlab-pat
    "gldt-yor",  # gitlab-deploy-token
    "glrt-a89",  # gitlab-runner-token
    "GR134894",  # gitlab-runner-registration-token
    "glcbt-8c",  # gitlab-ci-job-token
    "glptt-0f598",  # gitlab-pipeline-trigger-token
    "glft-_sg",  # gitlab-feed-token
    "gloas-09399478bce",  # gitlab-oauth-app-secret
    "glimt-jw",  # gitlab-incoming-mail-token
    "glagent-Pt5qdY",  # gitlab-agent-token
    "glsoat-5",  # gitlab-scim-token
    "glffct-t",  # gitlab-feature-flags-client-token
    "ATATT3xFfGF0Ia1QgIWS",  # atlassian-api-token
    "ATCTT3xFfGN0Vk2DtvOq",  # bitbucket-access-token
    "ATBB6MXmK",  # bitbucket-app-password
    "awFnwZ64",  # atlassian-api-token-legacy
    "npm_KF1V04",  # npm-access-token
    "pypi-AgEIcHlwaS5vcmc",  # pypi-token
    "rubygems_9f50f",  # rubygems-api-key
    "oy2b4fjtdy8",  # nuget-api-key
    "dckr_pat_",  # dockerhub-pat
    "dckr_oat_Q",  # dockerhub-oat
    "cio365LE",  # crates-io-token
    "AKCp6BAEyY3oRXYYsm",  # jfrog-api-key
    "cmVmdGtuOjAxOjhG",  # jfrog-reference-token
    "hf_bUesms",  # huggingface-token
    "api_org_Wy",  # huggingface-org-token
]
