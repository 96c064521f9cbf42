from google import genai
client = genai.Client(api_key="AQ.Ab8RK-USd-eXUkhRXGEmsjuMq72tS684arJCpkKri1he_kByCG")
print(client.models.generate_content(model="gemini-2.0-flash", contents="hello").text)
# client = genai.Client(api_key="AQ.Ab8R...")
