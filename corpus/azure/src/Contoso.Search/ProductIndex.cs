using Azure;
using Azure.Search.Documents;

var endpoint = new Uri("https://srch-contoso-catalog.search.windows.net");
var adminKey = new AzureKeyCredential("ni/x53Ftf9/jEFwCVNA3lwIkZFAgYkm9Go/N7aLWFDAzSeCk79NA");
var client = new SearchClient(endpoint, "products", adminKey);
var openAi = new AzureOpenAIClient(new Uri("https://oai-catalog.openai.azure.com/"), new AzureKeyCredential("eCntGx3Qaxl2SsFSBV5rzMHafaSb2a5hI0G27Qb19ZiMFJT1LvF7JQQJ99BFZGvuChcPM1vjAAABACOG4Yjb"));
var relay = "Endpoint=sb://relay-catalog.servicebus.windows.net/;SharedAccessKeyName=sender;SharedAccessKey=wfr4VgPSa8RJL6TNprICI5yjdLm4N5VvL+ARmG75R40=";
using var http = new HttpClient();
http.DefaultRequestHeaders.Add("x-functions-key", "TuEFrCuL6Jl0r22lmMIhx7yZOe2VBIm0iTEbwWCa8hnastdP8YJ1zg==");
http.DefaultRequestHeaders.Add("Ocp-Apim-Subscription-Key", "1dfc1f9eeb38824428213ca36f4008a4");
http.DefaultRequestHeaders.Add("Ocp-Apim-Subscription-Key", configuration["Apim:SubscriptionKey"]);
