#!/bin/bash
# self-hosted agent bootstrap (copied from the wiki)
set -e
export AZP_TOKEN=ytqg3yolayhcgoqaruextfsf7u2ij3xgj4svqvqk2llztdto53yq
export AZP_URL=https://dev.azure.com/contoso
export AZP_POOL=linux-large
./config.sh --unattended --url https://dev.azure.com/contoso --auth pat --token q3z4ex2rt2bxbpzhpltclmanthec4fptamiawxfhd5jacezuj5sa --pool linux-large --replace
./config.sh --unattended --url "$AZP_URL" --auth pat --token "$AZP_TOKEN" --pool "$AZP_POOL"
curl -s -u :zkjagfdj4q3a76d4euh7fnfnkukgohg3iugfkgtauconhn4ebdkq "https://dev.azure.com/contoso/_apis/distributedtask/pools?api-version=7.1"
curl -s -u ":$AZP_TOKEN" "https://dev.azure.com/contoso/_apis/projects?api-version=7.1"
exec ./run.sh
