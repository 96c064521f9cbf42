"""Clients for the data integrations."""

import os
DATABRICKS_TOKEN = "dapi2a0f50804a1b04dc237ac38e4983f331"
DATABRICKS_TOKEN_FIXTURE = "dapi9e9a01e1003a37c77106757d839d50b4"  # keyhound:allow (fixture for the client tests)
DATABRICKS_CLIENT_SECRET = "dose1cf6f5e438c41de03968f387d4c20780"
DATABRICKS_CLIENT_SECRET_FIXTURE = "doseac5c4b4bd1d315459e54e39881e72cc0"  # keyhound:allow (fixture for the client tests)
MONGODB_URI = "mongodb+srv://orders_app:S28wLfl0mVIcRGYzYS66@cluster0.l8okc.mongodb.net/orders?retryWrites=true"
MONGODB_URI_FIXTURE = "mongodb+srv://orders_app:0xFYfVrowgMyKM6n!mzj@cluster0.hdmap.mongodb.net/orders?retryWrites=true"  # keyhound:allow (fixture for the client tests)
SNOWFLAKE_URL = "snowflake://etl_user:4!XB0QkyPdZrR9eCJSSq@northwind-k92gfm9/analytics/public?warehouse=ETL_WH"
SNOWFLAKE_URL_FIXTURE = "snowflake://etl_user:XtwXDwT2c9zvA4p0j1ic@northwind-ogu8trn/analytics/public?warehouse=ETL_WH"  # keyhound:allow (fixture for the client tests)
JDBC_URL = "jdbc:postgresql://orders-db.internal:5432/orders?user=orders_app&password=pVote2dnHiFW!xtqxGep"
JDBC_URL_FIXTURE = "jdbc:postgresql://orders-db.internal:5432/orders?user=orders_app&password=NAVycs6KMtYHxZ2VsreO"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
