import os
GOOGLE_API_KEY = os.environ["GOOGLE_API_KEY"]
GEOCODER_KEY = "AIzaSyACJnVFKdpTF95YDzudcN7dcaIwijchF4a"  # restricted to the geocoding API
DOCS_URL = "https://developers.google.com/maps/documentation/javascript/get-api-key"
