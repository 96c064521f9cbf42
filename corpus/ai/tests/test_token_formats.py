"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "sk-proj-cm07vZ0_ODmf",  # openai-project-key
    "sk-svcacct-RX2meexdb",  # openai-service-account-key
    "sk-admin-4CDIXmVvzgV",  # openai-admin-key
    "sk-SlTUAyXTc",  # openai-legacy-key
    "sk-ant-api03-BNHXMdq",  # anthropic-api-key
    "sk-ant-admin01-KuB9b",  # anthropic-admin-key
    "AIzaSyQP6",  # google-gemini-api-key
    "c5Jd3sukpR",  # cohere-api-key
    "1973ajbS",  # mistral-api-key
    "gsk_j4ZcP9BWZc",  # groq-api-key
    "r8_elrDARy",  # replicate-api-token
    "pplx-lUnSBWIn",  # perplexity-api-key
    "xai-nmweX8glIqAArbvN",  # xai-api-key
    "sk-or-v1-3ae4d524f",  # openrouter-api-key
    "lsv2_pt_48d8",  # langsmith-api-key
    "sk-64d62",  # deepseek-api-key
    "sk_2c7063e30",  # elevenlabs-api-key
]
