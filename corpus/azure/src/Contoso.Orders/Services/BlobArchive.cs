using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace Contoso.Orders.Services;

public sealed class BlobArchive
{
    // TODO: move to Key Vault before go-live
    private const string ConnectionString = "DefaultEndpointsProtocol=https;AccountName=stordersarchive;AccountKey=Lnw4POM4X7EcV6YtZhWFpi4fLcZieU5GO53EceNwDJHJ55ulDYQd+1oZlCPfzMGabrZroEarAfZ2+AStfZIWAQ==;EndpointSuffix=core.windows.net";
    private const string LegacyConnectionString = "DefaultEndpointsProtocol=https;AccountName=stordersold;AccountKey=aJUPJS3yPdLs1kLZZrXeTZk/qt+eqfyCHTbXQGudleZv4a8n4dYjzPAVXq1T0qLKU1YTA6HNalWToeOKzVkjlw==;EndpointSuffix=core.windows.net";

    public static BlobServiceClient SharedKeyClient() =>
        new(new Uri("https://stordersarchive.blob.core.windows.net"),
            new StorageSharedKeyCredential("stordersarchive", "ReiFpkpTzTUwDRyMT3Fp8QJ76uEjzY6YorMMCRk8FjnnLbrgYYxtbjsqI/piBtNdrHv+wZTpSFYD8mIHai/QWg=="));

    public static BlobServiceClient ServicePrincipalClient() =>
        new(new Uri("https://stordersarchive.blob.core.windows.net"),
            new ClientSecretCredential("b5613339-5c6b-43d5-8220-e4921f253f38", "60e4bbe0-4ff0-4e00-a6a8-d99694ee1e3c", "8DH8Q~Xvy5rhn0MkEIy.pwhg0NEaGObRpGsYqa.J"));

    public static BlobServiceClient ManagedIdentityClient() =>
        new(new Uri("https://stordersarchive.blob.core.windows.net"), new DefaultAzureCredential());

    public static BlobServiceClient FromEnvironment() =>
        new(Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING"));

    private static string Format(string account, string key) => $"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};EndpointSuffix=core.windows.net";
    private static string Template => string.Format("DefaultEndpointsProtocol=https;AccountName={0};AccountKey={1}", "a", "b");
}
