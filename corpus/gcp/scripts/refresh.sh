#!/bin/sh
set -eu
# exchange the stored refresh token for an access token
curl -s https://oauth2.googleapis.com/token \
  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" \
  -d grant_type=refresh_token \
  -d refresh_token=1%2F%2F05V82PJXIk2CPzK7SKi6bsjMbenxVDQclQlrIUMINHARaQnT_PclAxyUYyUKE2Y3Pu4rZhbffVieOoX_lyGlDWG6SfANycas9hIX
