"""Clients for the ai integrations."""

import os
OPENAI_API_KEY = "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"
OPENAI_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
OPENAI_SVCACCT_KEY = "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"
OPENAI_SVCACCT_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
OPENAI_ADMIN_KEY = "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"
OPENAI_ADMIN_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
OPENAI_LEGACY_KEY = "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"
OPENAI_LEGACY_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
ANTHROPIC_API_KEY = "sk-ant-api03-PIUsjiAK-WfGuwOSxdFR1mK-lPCIZJmWw1Q9Z-SwHVpvi6jfRS5vXcSd57r27cenDp37POhDxfyHoyL05_M8W0paaIImKAA"
ANTHROPIC_API_KEY_FIXTURE = "sk-ant-api03-pJDMzb1z2RNpU3Pzu-XSuYkCdUWLA_1fnVUeysuG6SgfEWdJShkRq_Ik6vV6XWApYSFg18CWcwXsuOBsmfxHwSbZc7iClAA"  # keyhound:allow (fixture for the client tests)
ANTHROPIC_ADMIN_KEY = "sk-ant-admin01-bvhDBTA1gdw-SDiz3Fb1f7BZwpeQYlxcs_O6HCV8e8SMXQFrJ6RFX-RO65VOVR5DV0g1uo3ijXXw5wcWsnVPBPUsIpatEAA"
ANTHROPIC_ADMIN_KEY_FIXTURE = "sk-ant-admin01-J2RF3gKRndfiXKMjwA2eeXsaHj7AcQitUq1VfUJR9i2ShkNWxhqSSsPKyRteG0-vdIXBXRgyJgG3Peq8tEkcfnGChyvcDAA"  # keyhound:allow (fixture for the client tests)
GEMINI_API_KEY = "AIzaSy-pjCrEV_5PTiYE4gpNcyaZFcz8Smjfi39"
GEMINI_API_KEY_FIXTURE = "AIzaSy_verE5lAPqLy2RhzmaySYio80kKWyfRK_"  # keyhound:allow (fixture for the client tests)
COHERE_API_KEY = "xzxEQ7kJ2NDN70554HxOGp7IUhqxOuQTu9wB4j7J"
COHERE_API_KEY_FIXTURE = "aSTRx4K0c8ymOMWuEezM7UDPYvHm10Gymzc8HXm3"  # keyhound:allow (fixture for the client tests)
MISTRAL_API_KEY = "snguAM4u7v4MPb0HMOiXHII8u1pBOgMb"
MISTRAL_API_KEY_FIXTURE = "wp6R0RfU6VDLernbW2nE0Bp5vVg0onsq"  # keyhound:allow (fixture for the client tests)
GROQ_API_KEY = "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"
GROQ_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
REPLICATE_API_TOKEN = "r8_gsFnky5g68wfejAW1G0sBGHublvjVI6b4IB23"
REPLICATE_API_TOKEN_FIXTURE = "r8_JwYmwzyHNqEBh3qsLGP9P3DFKfRYT2WyBU6Ow"  # keyhound:allow (fixture for the client tests)
PERPLEXITY_API_KEY = "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"
PERPLEXITY_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
XAI_API_KEY = "xai-SKeHX9XGseP3t0JVrJHh95CfJBhOJyGzxRV6yv0KZ4NWUVHLAVAyw8Wqj8Wy6xvLwqRCqPUwaKssZkcl"
XAI_API_KEY_FIXTURE = "xai-P100Ofl4Xo8tLx04QAIweRtn1ednZxWtBVm3SFQfmhbhdG2O1jkf9UdLxNJgZzee7GbgUqkwQy31Eq0J"  # keyhound:allow (fixture for the client tests)
OPENROUTER_API_KEY = "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"
OPENROUTER_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
LANGSMITH_API_KEY = "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"
LANGSMITH_API_KEY_FIXTURE = "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"  # keyhound:allow (fixture for the client tests)
DEEPSEEK_API_KEY = "sk-3bdb6b0ef4cb65ddbb2f4216da6c79fb"
DEEPSEEK_API_KEY_FIXTURE = "sk-2d6f6ac953e524e718b398802f58f6b6"  # keyhound:allow (fixture for the client tests)
ELEVENLABS_API_KEY = "sk_f4e5d2dbbe2527bc9f6d4e7b9109bf3388c30acad06fdbd0"
ELEVENLABS_API_KEY_FIXTURE = "sk_0e18633d159d6b1d9ed3542d6efb9d0a2ada0d5bb4d5543a"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
