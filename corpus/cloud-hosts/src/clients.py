"""Clients for the cloud-hosts integrations."""

import os
DIGITALOCEAN_TOKEN = "dop_v1_cf86e252c3907cc590f7202d66892a1a3e6ad5799175bf52b5b20ac21b6005b4"
DIGITALOCEAN_TOKEN_FIXTURE = "dop_v1_2064a6c2408be247bb90cc4b5e0c2b9e73ebdf47ede212bbade692dcb72fa7fd"  # keyhound:allow (fixture for the client tests)
DO_OAUTH_ACCESS_TOKEN = "doo_v1_dc6bf3c671381eb4857cf9e1f46cb4037d4f1dac269866203b9f8a7fe299440c"
DO_OAUTH_ACCESS_TOKEN_FIXTURE = "doo_v1_9c996cb9d4753a958f8986f6495716440d4f134ca21dba19311aa3d211071bd3"  # keyhound:allow (fixture for the client tests)
LINODE_TOKEN = "c558609f0f3354205be445bc6891b58ca9c2ccdf128dc44c8b39935b84625cd7"
LINODE_TOKEN_FIXTURE = "cd941f4e9d9df556adf15753ef95ed5a8c5fbcc09062035db5ee1cce782c5896"  # keyhound:allow (fixture for the client tests)
VULTR_API_KEY = "PADF1GO0HN9H4IWT0RXJE7TUEF0TY6QJVIB9"
VULTR_API_KEY_FIXTURE = "2S38A37F1WJ1TMHU95J1YD7RA94429J6MV8X"  # keyhound:allow (fixture for the client tests)
HCLOUD_TOKEN = "fuJm4fUQR4ZBa6Wp2LUWQvquKgxO4kLLc8fU9ZwZwnFRsBa6LS0JNcwhAcTPCC3C"
HCLOUD_TOKEN_FIXTURE = "futcMoTbAykHirFK125A3sUK1JOGxk9XS8YISGeJQhwVdrW6jfY9mvzS2MkohSJg"  # keyhound:allow (fixture for the client tests)
ALIBABA_CLOUD_ACCESS_KEY_ID = "LTAI5tt3yw2NjqHqJ9GGri6P"
ALIBABA_CLOUD_ACCESS_KEY_ID_FIXTURE = "LTAI5tUwcR4kaJiXv5WE7p1O"  # keyhound:allow (fixture for the client tests)
ALIBABA_CLOUD_ACCESS_KEY_SECRET = "FzlHtZJsVM1Vx6ul9vyUjQjiI6xXUr"
ALIBABA_CLOUD_ACCESS_KEY_SECRET_FIXTURE = "x4tp3f2AL4RxCwV7SWZ71KmwM5mDwb"  # keyhound:allow (fixture for the client tests)
TENCENTCLOUD_SECRET_ID = "AKIDcof32FUmQk5PRZXJVXvMV9Xp9mnhYjoB"
TENCENTCLOUD_SECRET_ID_FIXTURE = "AKIDsD8o0C5QahGYHT1DpdregCVzbhffm18t"  # keyhound:allow (fixture for the client tests)
TENCENTCLOUD_SECRET_KEY = "9HlzlYFCnmtZW7h4nvNJosTtoUtWadqE"
TENCENTCLOUD_SECRET_KEY_FIXTURE = "oMYTQaiChCgRdU0lLUNtjxIaDOoliUXi"  # keyhound:allow (fixture for the client tests)
IBMCLOUD_API_KEY = "iCLbJWkRldIWCqPTxylxtUuEwhF8y8Y8nru4KERfPIC0"
IBMCLOUD_API_KEY_FIXTURE = "X0xutEoP66m_QOVhZK592j_owBmNWMTXbQOKYZ5-b44u"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
