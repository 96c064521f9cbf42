from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials

BATCH_URL = "https://batchcontoso.westeurope.batch.azure.com"
creds = SharedKeyCredentials("batchcontoso", "oDs6T1OMZCcibI5S89uerWeV3fosv+3ajKdrQK8TMnCoRIQtErwC8waqE+V1uxh7SEhonbxdQGW++ABa+P3qKg==")
client = BatchServiceClient(creds, batch_url=BATCH_URL)

# ML Studio (classic) web service, still called by the nightly job
ML_API_KEY = "4ioxVdIgWY9b0MGEQYbWHYIwaxTNLviREbvVk8/0gLS40Oq/+hoIgYYyT1l3IAD3Kvw+eazuk4Vw+AMCiOyD2Q=="
ML_URL = "https://ussouthcentral.services.azureml.net/workspaces/0f3c/services/ab12/execute?api-version=2.0"
