#!/usr/bin/env bash
set -euo pipefail

az login --service-principal -u 2a038fe6-ba7e-4a89-8527-543eaf923c96 -p "hgy7Q~t1j-nsntuMl7mkiTk.-hnui_IsPHvs5" --tenant 6440ad36-f57a-492b-ad9d-ef95089e89a8
export AZURE_DEVOPS_EXT_PAT=cd6o5acj52rknisjixnbunoposapqfbvz3nxwttg7bqyxdfkjysq
az devops project list --organization https://dev.azure.com/contoso

KEY=$(az storage account keys list -g rg-dev -n stdevshared --query '[0].value' -o tsv)
az storage blob upload --account-name stdevshared --account-key "$KEY" -c seed -f seed.json
azcopy copy ./fixtures "https://stdevshared.blob.core.windows.net/fixtures?sv=2019-12-12&ss=b&srt=co&sp=rwdlac&se=2034-12-03T23:36:39Z&st=2033-10-24T07:56:38Z&spr=https&sig=GOKQsUwHmRlor22hzAc1LgUXYxCzOENdV3zzVRHKnI4%3D" --recursive
azcopy copy ./old "https://stdevshared.blob.core.windows.net/old?sv=2023-01-03&ss=b&srt=sco&sp=rl&se=2019-03-26T09%3A00%3A22Z&st=2018-02-17T17%3A20%3A41Z&spr=https&sig=pOtD203z5natJwvf9FcrsoydRGSGhigwWXxDVUKVcC8%3D" --recursive
curl -s -H "Ocp-Apim-Subscription-Key: 4905a319fb3e8bed42e5826024f880f3" https://westeurope.api.cognitive.microsoft.com/text/analytics/v3.1/languages
curl -s -H "Ocp-Apim-Subscription-Key: ${TRANSLATOR_KEY}" https://api.cognitive.microsofttranslator.com/languages
docker login crcontoso.azurecr.io -u crcontoso -p uR/aZb/S1Ew8ZW2vcFQLSrSNcPHw0NrNSyUe5qH+hD+ACRDw9Im/
az acr login --name crcontoso
STORAGE_KEY=CqFnwTxSsdR6n1L7rsGmr4DNBy3PWoGlypdFa9Y5ZyzPQrzLqzLj7OaqdaIN8/y5SjTCJkH1WBYl5yQkw1n1OA==  # keyhound:allow test account, no data
export AZURE_CLIENT_SECRET=Mfa8Q~YhlEwHRCqA1Bqs.BSO-ud_Pob.RmlTRate # keyhound:allow
git clone "https://lphj35qc7tlswocz4qwbsucywbustbcskvpx2woarmokqw3gojiq@dev.azure.com/contoso/Tools/_git/tools"
