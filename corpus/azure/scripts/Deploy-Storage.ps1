param(
    [string]$ResourceGroup = 'rg-contoso-prod',
    [string]$StorageAccountName = 'stcontosopsdeploy'
)

$tenantId = 'da61e1d4-0bdc-4645-9780-982571e3b3a4'
$appId = 'dd3d61d0-4b01-43d5-b60e-7e46a224ce48'
$secret = ConvertTo-SecureString 'Em18Q~9mSVsGhxjAuU2XeDi~wrk3XR1HOzp4DbFt' -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential($appId, $secret)
Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant $tenantId

$ctx = New-AzStorageContext -StorageAccountName $StorageAccountName -StorageAccountKey 'W/7AZ4lYYl4q1eJmio5qM8dVj6O2EREWTrZDo/Q0MVv8kNwc5sPjau+5s4qjcS30aKwkNoyRoVAMY+HnZezO1w=='
$keys = Get-AzStorageAccountKey -ResourceGroupName $ResourceGroup -Name $StorageAccountName
$ctx2 = New-AzStorageContext -StorageAccountName $StorageAccountName -StorageAccountKey $keys[0].Value
$sas = New-AzStorageContainerSASToken -Name exports -Permission rl -ExpiryTime (Get-Date).AddHours(4) -Context $ctx
$archiveSas = '?sp=r&st=2018-12-25T02:17:25Z&se=2019-10-18T17:56:00Z&spr=https&sv=2021-08-06&sr=b&sig=8qSFNAxpSJISLRzb1rm5WPreZs2m5FO9insZD05EOs0%3D'
$sqlConn = 'Server=tcp:sql-contoso-ps.database.windows.net,1433;Database=ops;User ID=ops_admin;Password=$sqlPassword;Encrypt=True;'
Invoke-RestMethod -Uri 'https://apim-contoso.azure-api.net/ops/v1/rotate?subscription-key=73191ab5e88445ce312a3005a66bbe8e' -Method Post
$storageAccountKey = 'T36PjKGsvOCoOKgS2Cbxfrx2AxGvJ9ijavI1yIS0t2gqvNLireE98N6OdtR+YTpIERN8Llp5/aSTMWB5la9n8g==' # keyhound:allow rotated 2024-02, kept for the replay test
