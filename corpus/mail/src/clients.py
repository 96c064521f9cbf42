"""Clients for the mail integrations."""

import os
SENDGRID_API_KEY = "SG.9V9bomwtksCRR0XymeM2ZD.da5CGBGNWAGG3bykCMe_NCG_V3m03AyqQfG90k0Zk9J"
SENDGRID_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
MAILGUN_API_KEY = "key-4353464f0786c2f5c6302bd3a94e2509"
MAILGUN_API_KEY_FIXTURE = "key-6621cf1a1ca5459fe7472bf9c3612d80"  # keyhound:allow (fixture for the client tests)
MAILCHIMP_API_KEY = "b205f97c1cb129f043c7c33e1b9d4dc5-us2"
MAILCHIMP_API_KEY_FIXTURE = "2f53d326e20fea0da00b946714cd51c4-us19"  # keyhound:allow (fixture for the client tests)
MANDRILL_API_KEY = "md-syH8kvVSe-4HRFOyGEE0A7"
MANDRILL_API_KEY_FIXTURE = "md-orzne_w6G9TFmatNh22Vod"  # keyhound:allow (fixture for the client tests)
POSTMARK_SERVER_TOKEN = "fe6747e6-839e-4eab-a9b4-52d101b9c8e6"
POSTMARK_SERVER_TOKEN_FIXTURE = "b5db32ab-5de0-4aa8-8098-06aefa86224f"  # keyhound:allow (fixture for the client tests)
BREVO_API_KEY = "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"
BREVO_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
BREVO_SMTP_KEY = "xsmtpsib-6bad1cfbda122d29cba7c923686c9ce312150f1609723ef457c8bad5c36c5e8e-djzKmFYqxooveOF7"
BREVO_SMTP_KEY_FIXTURE = "xsmtpsib-18d761fb2501c8e30fb3342d97e4fbf2561502cdb3130eda3e6ae575b250b3ba-2unbYaRzDbRlmA0r"  # keyhound:allow (fixture for the client tests)
TWILIO_ACCOUNT_SID = "AC3166b17bfa7e584f2b3ac12bb379cebc"
TWILIO_ACCOUNT_SID_FIXTURE = "AC5e2529dd34e3e65fefdd3bb6d0bf1022"  # keyhound:allow (fixture for the client tests)
TWILIO_AUTH_TOKEN = "51ec9a33ad55229efd88559743e52d5d"
TWILIO_AUTH_TOKEN_FIXTURE = "88d91f8f95d49fcbca3b17b79b84aec3"  # keyhound:allow (fixture for the client tests)
TWILIO_API_KEY_SID = "SK03a43cf5322d2d49a5d1850608068a04"
TWILIO_API_KEY_SID_FIXTURE = "SK5543769c66c7f3e11803be3de3b1552e"  # keyhound:allow (fixture for the client tests)
TWILIO_API_SECRET = "VrroR56KJMzW1WO099crD7Wd7bawGTzs"
TWILIO_API_SECRET_FIXTURE = "s4ecKFYMRJtLIA2hehkSSHZ6wnmq0sZS"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
