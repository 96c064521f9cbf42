"""Values shaped like tokens that are not: never to be reported."""

TRUNCATED = [
    "dapi2179f",  # databricks-token
    "dose197e5",  # databricks-oauth-secret
    "mongodb+srv://orders",  # mongodb-atlas-connection-string
    "snowflake://etl_user",  # snowflake-connection-string
    "jdbc:postgresql://or",  # jdbc-url-password
]
