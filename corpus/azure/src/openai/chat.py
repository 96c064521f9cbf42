import os
from openai import AzureOpenAI

client = AzureOpenAI(
    azure_endpoint="https://oai-support-bot.openai.azure.com/",
    api_key="hzReO4DGjvFvQp2z3LUTjfq6Du4tPk9hP4UQTEyhYxoWXK4VNxv3JQQJ99BC1Cdz59jdmm65AAABACOG1qOF",
    api_version="2024-06-01",
)

fallback = AzureOpenAI(
    azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
    api_key=os.getenv("AZURE_OPENAI_API_KEY"),
    api_version="2024-06-01",
)
os.environ.setdefault("AZURE_OPENAI_KEY", "4dec3eb2ca094491f9763fda215190ae")
DEPLOYMENT_ID = "d3e08aee715ab74368ce58bc63f2d928"  # not a key: deployment hash
