param location string = resourceGroup().location
@secure()
param sqlAdminPassword string

resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {
  name: 'stcontosoapps'
}

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${sa.name};AccountKey=${sa.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
var sqlConnection = 'Server=tcp:${sqlServer.properties.fullyQualifiedDomainName},1433;Database=app;User ID=sqladmin;Password=${sqlAdminPassword};'

resource script 'Microsoft.Resources/deploymentScripts@2020-10-01' = {
  name: 'seed-data'
  location: location
  kind: 'AzureCLI'
  properties: {
    azCliVersion: '2.52.0'
    primaryScriptUri: 'https://stcontosoapps.blob.core.windows.net/scripts/seed.sh?sp=r&st=2030-09-02T21:29:23Z&se=2031-12-28T18:19:39Z&spr=https&sv=2020-08-04&sr=b&sig=lil50MxeCViqnOO2f6XhHw91dyxyhJTr2cEbjxGF4%2F4%3D'
    retentionInterval: 'P1D'
  }
}
