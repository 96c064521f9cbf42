"""Clients for the hosting integrations."""

import os
GITHUB_WEBHOOK_SECRET = "MUW2mG91m5MajiNxkzdQo2j7U4rdmqQ16oZzrKPH"
GITHUB_WEBHOOK_SECRET_FIXTURE = "KY0GPtg40pb6kQgmpAKuptqP1K4INr94bupj4CVT"  # keyhound:allow (fixture for the client tests)
GITHUB_CLIENT_SECRET = "fc76180312199cdba58ba0ae87c29003987430e5"
GITHUB_CLIENT_SECRET_FIXTURE = "2b9fe95a1040751befd2cc355791de256dfdd071"  # keyhound:allow (fixture for the client tests)
GITLAB_TOKEN = "glpat-kZEG3qfjcvmhuFS6zrlZ"
GITLAB_TOKEN_FIXTURE = "glpat-Rpo6DKJa0I-a1jVVu-K_"  # keyhound:allow (fixture for the client tests)
CI_DEPLOY_PASSWORD = "gldt-MdTTQe2bQsZ8GR6sCkD-"
CI_DEPLOY_PASSWORD_FIXTURE = "gldt-eJ6i9DKRxrN4lf28Adid"  # keyhound:allow (fixture for the client tests)
RUNNER_TOKEN = "glrt-upKSFYmXF50edEIzH2Iv"
RUNNER_TOKEN_FIXTURE = "glrt-sG6xgTC58_mGvbogcjcJ"  # keyhound:allow (fixture for the client tests)
REGISTRATION_TOKEN = "GR1348941HoUQF_FblfP6WKfk7OAJ"
REGISTRATION_TOKEN_FIXTURE = "GR1348941QrrBh4ZZHMti1hxT2Wj0"  # keyhound:allow (fixture for the client tests)
JOB_TOKEN = "glcbt-24_V5i4w_u7-8oyCMKT0OmP"
JOB_TOKEN_FIXTURE = "glcbt-19_vAfOPcLsRU0yqKzh03l5"  # keyhound:allow (fixture for the client tests)
TRIGGER_TOKEN = "glptt-4d6bebf18d3b2d4c6addc914bfcff96ec8cd798b"
TRIGGER_TOKEN_FIXTURE = "glptt-d716ed6422f687e4f0b440971035c3877c255ce0"  # keyhound:allow (fixture for the client tests)
GITLAB_FEED_TOKEN = "glft-girmzlZjd4K5SVLyM3MW"
GITLAB_FEED_TOKEN_FIXTURE = "glft-XvzbuiSZFoeCu8qjCL7u"  # keyhound:allow (fixture for the client tests)
GITLAB_OAUTH_SECRET = "gloas-eba1c34a5c552e110668faccdd55c1244f27c794c2aae23ccda69c6ae9aea995"
GITLAB_OAUTH_SECRET_FIXTURE = "gloas-17e92ddb97b825e832c38fe89d7eab5c3f84136714cda7af3645a49e408ef907"  # keyhound:allow (fixture for the client tests)
INCOMING_EMAIL_TOKEN = "glimt-zf23jg8zlgc5cvt676tcn7he4"
INCOMING_EMAIL_TOKEN_FIXTURE = "glimt-pvl01oteb00a5hm0badf41lmr"  # keyhound:allow (fixture for the client tests)
GITLAB_AGENT_TOKEN = "glagent-qJPpruOZEGEpntVDtl8rLFYqYYCCglOuakfriJ4EUnlsVB0gbZ"
GITLAB_AGENT_TOKEN_FIXTURE = "glagent-CFRJE1VwPGl_YYHf_kWOdAGyE6tms5OcQGGaa5aCWb8HxHvltm"  # keyhound:allow (fixture for the client tests)
SCIM_TOKEN = "glsoat-LNNSmkUrZW6X1hTxy1xL"
SCIM_TOKEN_FIXTURE = "glsoat-VXjgr7RnpH38UGQHvwvm"  # keyhound:allow (fixture for the client tests)
UNLEASH_INSTANCE_ID = "glffct-2Yoa_8muT_hy_IkP61uQ"
UNLEASH_INSTANCE_ID_FIXTURE = "glffct-jSUElnGP83_iXJLDZC51"  # keyhound:allow (fixture for the client tests)
ATLASSIAN_API_TOKEN = "ATATT3xFfGF0Ds_iq9CRIKAIBu5LNGtqIXp9wJfHDj9gNNl-KcpLaNE1k-NmXx6J7GZIiD_65XTr3Y-_Lq_dKSNvOD3SalfqQItjkDrxzsmd69TZT_I-wQ7_fBmOjwzxeoNVCFnulxwWdXCSm61h4bj64181UtH3jLkVyNE82AxxZJgBiG7JIn7=40536A10"
ATLASSIAN_API_TOKEN_FIXTURE = "ATATT3xFfGF0f7H4uTQqdspemDVYkgki8aC2yUSNFseO5d7JXFtSACz3OO7z8O6xErr6M25QtO9qeJVdBKlyESr4uQsRRyFNacTiWIwG51u2Mwq8W_Rc-M2x1QCJkgAm0e0oMpFGCfKO_QDREnDNzm3fCuSa8x-c2Fj4JY9hgR8AbRP3z76s_Qw=9E4FD354"  # keyhound:allow (fixture for the client tests)
BITBUCKET_ACCESS_TOKEN = "ATCTT3xFfGN0QvkcrpWSKX9_C9gg9cGvoKo12aggxAX63UXOaUpMaO8vP67QaTVxzTdHhq2_EKlVB_duwIvRgSh1KwDDZs56W0kqf-SA0oQ5kwu5h_OK7zSctpeHrkQyPKePtS7ORXqvIeVMCxamhJqYckr62UwzDs4luJi-k36PO9XscaHVY70=FF702288"
BITBUCKET_ACCESS_TOKEN_FIXTURE = "ATCTT3xFfGN0fDjCj5oaWJV8QEiLsJmwFnXkzGz-cFaW7O8QovtDTuBAN67R3Aoyn2q_bfE1EFE3R3UFDuwqXh2s-XwHAor4yS-U3Z48cxt8YGmW8nK6M6pBc6lHIanSN2Ar9GBTCt56HeqZGWyZLIaFvRkGvkNEjFiZmZgZsEXqTGgjvOemZlo=E080BA5E"  # keyhound:allow (fixture for the client tests)
BITBUCKET_APP_PASSWORD = "ATBBl8ZoZ0uiquYbyVsBCPdHwxSF0AE48D7F"
BITBUCKET_APP_PASSWORD_FIXTURE = "ATBBTC4CICuFDHcIucr1CRlPWZTd4A9518FD"  # keyhound:allow (fixture for the client tests)
JIRA_API_TOKEN = "osF3Gm1rJAiofQB40sE5DXQi"
JIRA_API_TOKEN_FIXTURE = "ucp7pVsHjpF4erc9lbQlMfwE"  # keyhound:allow (fixture for the client tests)
NPM_TOKEN = "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"
NPM_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
TWINE_PASSWORD = "pypi-AgEIcHlwaS5vcmcCJqnQSQQKtPt6ldnWPPYeenD9JEQ3Nzs-VGC6X-TT011VjAO9-1CtzqSR7Z1cMSl9LeNT3VklOtzF4NakFPxqLJlOqWaLbQwK7pUGiSF6pw0qcP2oIMTmHtpeOsjW-VtIKzom3oQ7g-GdcMhkZdhc9oZ"
TWINE_PASSWORD_FIXTURE = "pypi-AgEIcHlwaS5vcmcCJVN_oMgNSVnzfDbKNrZsAQXjoH7cOMVrCrcwv9ixlUsrsmdYMsIITjuGm8FNr4JJVjYAWzvoaEGg5PyAMfl2V2TD02Qilfm3LOD0co0HKpzX_M7Uy8y31f9TsqyFe0cHo2W7FRT1aUUiV30P6V8-uLO"  # keyhound:allow (fixture for the client tests)
GEM_HOST_API_KEY = "rubygems_80f04820565c2842a05ebe95af18213692e9d4f3dfdc0f92"
GEM_HOST_API_KEY_FIXTURE = "rubygems_255c8e27ebb8d642ab6d6b77c18cbb711d176e728cc32fb2"  # keyhound:allow (fixture for the client tests)
NUGET_API_KEY = "oy2vblus2wvjby9fjz3860rya1ein4gs5yyfjbr7u8ckx2"
NUGET_API_KEY_FIXTURE = "oy26ueyerur57np00i2my99dx6nqirbjiwytop6wf3fk18"  # keyhound:allow (fixture for the client tests)
DOCKERHUB_TOKEN = "dckr_pat_sPOnN9QzMlehWbsHJwT1a1aIB_a"
DOCKERHUB_TOKEN_FIXTURE = "dckr_pat_N8yyQewb95MFE5ezPu3WbfYmDva"  # keyhound:allow (fixture for the client tests)
DOCKER_ORG_TOKEN = "dckr_oat_do0OE511BZJSZnkGf542RdzAaYv4PfYC"
DOCKER_ORG_TOKEN_FIXTURE = "dckr_oat_AHykr_5xxYMKGRiwyLZkRk5Bk4mKrQHy"  # keyhound:allow (fixture for the client tests)
CARGO_REGISTRY_TOKEN = "ciovkDRcGiy6GQ0Z93cjIhKknwgYnhcxi1z"
CARGO_REGISTRY_TOKEN_FIXTURE = "cioBrwwiDgAbZ9xpy7mRfH42ybbiGfzxkiY"  # keyhound:allow (fixture for the client tests)
ARTIFACTORY_API_KEY = "AKCpLnPlcDSexUjrC8ADeUDQ5gN4H0lVVFUAuTRrLDCjRzTwLCvcQ6DqwRKkggJMKaQOzaZBX"
ARTIFACTORY_API_KEY_FIXTURE = "AKCp9N1kzODFepUZncAYOeg9Ylu4nz0ZZRNq0jWbGzUDnE74TfVmM2s42I8TEwxZJpuDBaQPd"  # keyhound:allow (fixture for the client tests)
JFROG_ACCESS_TOKEN = "cmVmdGtuOjAxOjmS7qn2kQI7HiUC3gI2kaApc6H3higSIw6bQ7Y7eppHQ1gwIcON"
JFROG_ACCESS_TOKEN_FIXTURE = "cmVmdGtuOjAxOjh9iMLp7WvhLxuXj4HTLep4YRiIvw1u1AEeY2ZQJvce6wJ4cIXY"  # keyhound:allow (fixture for the client tests)
HF_TOKEN = "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"
HF_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
HUGGINGFACE_ORG_TOKEN = "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"
HUGGINGFACE_ORG_TOKEN_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
