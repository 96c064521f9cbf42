$apimContext = New-AzApiManagementContext -ResourceGroupName rg-apim -ServiceName apim-contoso
$directKey = 'h3VXxosirkE+GCl9ULgWNaPCmz7kAp5iwtpJxnMuVB/BL6KFg9JA2ybUEJitgPPpckJ2aA5mSw+4APIMexULAA=='
$gatewayToken = 'LSNwKZttRalhcbzvppbF5FWlf6HH4ifoFbsL9ewTkU22BgdgNuUWELfav1K0Zmwpen8+4kE23Pd7APIMnysosw=='
$headers = @{ 'Ocp-Apim-Subscription-Key' = $env:APIM_KEY }
$headers2 = @{ 'Ocp-Apim-Subscription-Key' = '865C78A266F7BDEB59B864F0DD236EE4' }
