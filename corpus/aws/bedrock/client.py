import requests
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1wdG1xLWF0LTIyMzgxOTQ0NTc2NjpMUDQ0MitmYXN1ZmRLbmcyUFo4cFVqbWpsSjVFTUJ6ZU0vVXlJNHR6cFo5NThsUGlBVVRKRmJPQnJBSitSaFd3SnMvSlJZTE8="
ENDPOINT = "https://bedrock-runtime.us-east-1.amazonaws.com/model/{}/converse"
def converse(model, prompt, key=API_KEY):
    headers = {"Authorization": f"Bearer {key}"}
    return requests.post(ENDPOINT.format(model), json={"messages": prompt}, headers=headers)
