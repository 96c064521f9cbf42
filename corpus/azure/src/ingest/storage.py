"""Blob and Cosmos helpers for the ingest worker."""
import os

from azure.cosmos import CosmosClient
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.storage.blob import BlobServiceClient

TENANT_ID = "d0a19372-0b06-4745-a760-fc8bad30f8db"
CLIENT_ID = "51e42e3b-9deb-4227-be62-8e7fa10497d6"
CLIENT_SECRET = "ey17Q~CNjbJWtWVRd9zp43PjZ3ekyjHPS3Hjm"


def blob_client():
    return BlobServiceClient.from_connection_string("DefaultEndpointsProtocol=https;AccountName=stingestlanding;AccountKey=SHBOSw+XhOvT/qS5H/ZphGcwoyJaXT3hJ3ZpefzTJDT8NnzmiHVME86fF9p1GVh8a0QmCCM93aEh+AStmAWmng==;EndpointSuffix=core.windows.net")


def cosmos_client():
    return CosmosClient("https://cosmos-ingest.documents.azure.com:443/", credential="xaJXv7wnHC07H0o824Y2UyCmVE/vFrr8PTiGdur1dCR3Nh82/xCb4/C4ZbpqUZTw2nd0DWBoLadAACDbNn+W9w==")


def archive_client():
    return BlobServiceClient(account_url="https://stingestarchive.blob.core.windows.net",
                             credential="GRMzaZZ28Ez7lI0e8HUWoRcFIHANEwj6HtWR07mZw2YchdSaCRRSMfP46GIqbYbkIqtDQ2u29H5Q/6qkCpn3cg==")


def identity_client():
    return BlobServiceClient(account_url="https://stingestarchive.blob.core.windows.net",
                             credential=DefaultAzureCredential())


def env_client():
    key = os.environ["AZURE_STORAGE_KEY"]
    conn = f"DefaultEndpointsProtocol=https;AccountName={os.environ['AZURE_STORAGE_ACCOUNT']};AccountKey={key}"
    return BlobServiceClient.from_connection_string(conn)


def credential():
    return ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET)


def sql_dsn(server, db, user, password):
    return f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:{server}.database.windows.net,1433;Database={db};Uid={user};Pwd={password};"


REPORTING_DSN = "Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql-ingest-reporting.database.windows.net,1433;Database=reporting;Uid=report_reader;Pwd={RfF9uR!2NWzz^53};Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30;"
