"""Fixtures for the PEM parser tests."""
PLACEHOLDER = """-----BEGIN RSA PRIVATE KEY-----
<paste the key here>
-----END RSA PRIVATE KEY-----"""
TRUNCATED = """-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ
"""
NOT_BASE64 = "-----BEGIN PRIVATE KEY-----\nthis is not a key at all, just words this is not a key at all, just words this is not a key at all, just words \n-----END PRIVATE KEY-----"
PUBLIC = '''-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA29zoZucajwOXnS+JGfog
S9ALgG8hVGwclTjyYgZc0lw2zjuuVNDKkSvqdoXV+lxA2+fylfYOzqlexDHMtSu8
75sjwIF6a1Y+rrK6l+ZLJ5rO90ClgfRJ7OxaCXEE35USU9oNTXmZYGoORWuc2TjP
tyD9kuTFyOZwLFeYgjDoCahRVC6vKN3ctgpB4UFc98cYaCX8T4wpR3Z1cs9mzzPb
jGWtfQ2cxkaOZ6+rYrFfZVVQojpsty75Bxw6VK69VAGVJraPGJkzk3xoFIvg2xZu
dEjLtlXMDAshskgm/fej+ejAAjwgDphUp7JsWGvsrUPKKdh0O8EzF/aEL82qSYQF
9QIDAQAB
-----END PUBLIC KEY-----'''
