"""Clients for the chat integrations."""

import os
SLACK_BOT_TOKEN = "xoxb-993412169245-4642306086437-TW4z5RxPxQuZSc45yWGPo49F"
SLACK_BOT_TOKEN_FIXTURE = "xoxb-662344172220-2528721187017-PZmCyEJeIAT3And0RIEzhWQj"  # keyhound:allow (fixture for the client tests)
SLACK_USER_TOKEN = "xoxp-475525112546-887682054367-8638163669579-73e3928cd14603e43867dd0824aa2108"
SLACK_USER_TOKEN_FIXTURE = "xoxp-937459127400-306909098802-7681270566215-cf4d4eca5c0798340b9d1e520a52c7a7"  # keyhound:allow (fixture for the client tests)
SLACK_APP_TOKEN = "xapp-1-A6C9P3KRCGI-5641147447020-9129b90869fcc8bd9c38f643840cb17f12940f9002eb2ff6c3d83288447fb7aa"
SLACK_APP_TOKEN_FIXTURE = "xapp-1-A0K5994Y4HW-6813472096178-289822c80a5ea5b719b165b120d796bc0a67f1cab2b74c1404ab3eb46ed077c4"  # keyhound:allow (fixture for the client tests)
SLACK_CONFIG_TOKEN = "xoxe.xoxp-1-8uvHZTbxVZjZaajfgORqli68V5r3iSFgF1hdPwPEAvQRyQS88IkobgBFt8U0BeJVgjebkhyZ4XK7B9lgTf9uiUE9Z3jalvrn7YMOo4wtW7LQFYQbh3X8piJCfGsAw1LXNJKn5Kj2XdRppPpN4q"
SLACK_CONFIG_TOKEN_FIXTURE = "xoxe.xoxp-1-GdDpkyLj64hjh3f2irSaJBEIPMxbLdDAtFFLH9K6EDpCiryMqWdcttoHQE79rPJ7Bd81McKs2qomjd5IRKZRRF2yVxujNHJiWXQQy3HpqOHjliwLD98O6QPNlqZNFWkBkv69XoJlQzZ3p1wKez"  # keyhound:allow (fixture for the client tests)
SLACK_XOXC_TOKEN = "xoxc-126906314605-162948598374-8172617321454-59a57d5ca92d43fd14ea214b6c78081c2e64d14b209f09679b366709b7474b0d"
SLACK_XOXC_TOKEN_FIXTURE = "xoxc-795722124878-763190372815-2478665939998-c026e59648f1d433865f467ac8ed520c0b0742540b2e5b9e48b6398e7fced453"  # keyhound:allow (fixture for the client tests)
SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/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"
SLACK_WEBHOOK_URL_FIXTURE = "https://hooks.slack.com/services/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"  # keyhound:allow (fixture for the client tests)
SLACK_TRIGGER_URL = "https://hooks.slack.com/triggers/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"
SLACK_TRIGGER_URL_FIXTURE = "https://hooks.slack.com/triggers/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"  # keyhound:allow (fixture for the client tests)
DISCORD_BOT_TOKEN = "NzU3ODQyNzU5NzY4MDU0ODE1.t7bzGN.LMgQGzcDX9EikSRjm85HbWhVBy9eNJkvv6nn5X"
DISCORD_BOT_TOKEN_FIXTURE = "NTI2NDk1OTgwMjEyOTQ0NTgx.f8-g5O.e1vJ_VUPbvCfq0qCP8JTn-cOLFfYIjrStajxBC"  # keyhound:allow (fixture for the client tests)
DISCORD_WEBHOOK_URL = "https://discord.com/api/webhooks/4333669537148152086/czm_61PMDb-BcJWEO1Zw8jJ2ONIPauRN3ZTfgUqlwGRaeQ4PUSroi4rVTOtIHsutNqym"
DISCORD_WEBHOOK_URL_FIXTURE = "https://discord.com/api/webhooks/2472643157120717603/_YejcQI3mE9F9NawomqdAdPd_IyBm06eXVXMFty1jpe_oCsHwWSl8oUxeqwnNCCr-5Rn"  # keyhound:allow (fixture for the client tests)
TELEGRAM_BOT_TOKEN = "6750002600:AACEruxGgkU6b9sa8BrEi5glkyIlwlgqqUu"
TELEGRAM_BOT_TOKEN_FIXTURE = "3532180202:AA03cHYcDutY9AEK-2f9KeX2-AUY-l8bcTt"  # keyhound:allow (fixture for the client tests)
TEAMS_WEBHOOK_URL = "https://northwind.webhook.office.com/webhookb2/979271de-9cfb-4aa3-8068-387f748371aa@ef356863-17fd-4860-8922-5d9432545325/IncomingWebhook/fb750200c104d3d82f23951c2e72f40d/78d6a0ca-3aad-4483-b830-200ec8eea2d5/V2RXz0pBG8YvwsUUiR6jb92EOGHy5FFf5LMmbE8ACA1mX"
TEAMS_WEBHOOK_URL_FIXTURE = "https://northwind.webhook.office.com/webhookb2/3c970f83-24b4-494d-a85f-fdc177412b10@d963b3a4-468e-4312-a625-ac2d31c1f762/IncomingWebhook/d33118f61c7e89b01f818fbefb9a70b2/1d9cc768-2780-4780-86dd-a6cd3ef297e7/V2CTzl_0GL6uJyKjJShT1gkzyjGIGEkQuThFWuWnLrKiD"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
