"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "xoxb-823801081",  # slack-bot-token
    "xoxp-584745893201-3",  # slack-user-token
    "xapp-1-AV23Y9WZMW8-8",  # slack-app-token
    "xoxe.xoxp-1-pgiN3Lej",  # slack-rotating-token
    "xoxc-538359386383-96",  # slack-session-token
    "https://hooks.slack.",  # slack-webhook-url
    "https://hooks.slack.",  # slack-workflow-webhook-url
    "Njg3ODUzNzE5NjkwM",  # discord-bot-token
    "https://discord.com/",  # discord-webhook-url
    "2142812843:",  # telegram-bot-token
    "https://northwind.we",  # teams-incoming-webhook-url
]
