"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "SG.XqAJHVFUYEaScE",  # sendgrid-api-key
    "key-10c3a",  # mailgun-api-key
    "04c41fdca",  # mailchimp-api-key
    "md-FNs8W",  # mandrill-api-key
    "f6f2f0d0-",  # postmark-token
    "xkeysib-bbd4d56cca42",  # brevo-api-key
    "xsmtpsib-5f92499dac2",  # brevo-smtp-key
    "AC05bac0",  # twilio-account-sid
    "a9950a67",  # twilio-auth-token
    "SK67d8bd",  # twilio-api-key-sid
    "2FUYFNjB",  # twilio-api-key-secret
]
