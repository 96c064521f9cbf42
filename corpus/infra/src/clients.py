"""Clients for the infra integrations."""

import os
VAULT_TOKEN = "hvs.HGWFvTIs2KzfiXywMRYU1buoYFuXvyxYyyUWyfQN_6Hq2Lh9V1ynzmsR2o85s1BGUJfi1Q-qNmTyyfjejOIrjllivx"
VAULT_TOKEN_FIXTURE = "hvs.n0W1AOpejdoak896Q5cIZxx4ecjfJZ7tF86fxNjyA7aH_etCmv2NV-8lzpueSSV0eZdRPFLotJUVmNRSn9Ux1pfdKy"  # keyhound:allow (fixture for the client tests)
VAULT_BATCH_TOKEN = "hvb.0OJtspZF1mvRWtLmloLK0-bAvv4xBh4k7zx-mOUG4jww5jWB1dnymR1DGDONLl7HD-p60JYCV98Q4wqgK6H8IVEZxnyGYx9drMauAhaypq1Rk1K3dIVMXmGSNch850Z9xJ"
VAULT_BATCH_TOKEN_FIXTURE = "hvb.ahzE3ksczpJMtcpvoL0jVudnk0C8hSJNlUIfJGgIk6TT_Sc4jJCc8pU7dRo633xaWxFx7zmOPNxmcFUWVvp0d5PE_2Qk83oeQ7CqZJZUy6CiCqhaUJH55yXGL6XNPseKAw"  # keyhound:allow (fixture for the client tests)
VAULT_TOKEN_OLD = "s.I7oWelW2hYe7xJpoDjE1cAy4"
VAULT_TOKEN_OLD_FIXTURE = "s.tg4R9xDZL9HE9X1Rdr37ibLb"  # keyhound:allow (fixture for the client tests)
TF_TOKEN_app_terraform_io = "ah459xl0429y0f.atlasv1.7Lbxg3PDnpRydbNglIzTX0bYXZgxBczWBzoEMcsShAhUssWdz7f8oOQjquUQ9BW4qG8"
TF_TOKEN_app_terraform_io_FIXTURE = "0j388o8myhslg9.atlasv1.Fx24lSpfU3LVdU3jOTuANdvCGvDaLAKovOGMQCBqZGG7jFtAfq8ezFvQZ7Izgujr6GZ"  # keyhound:allow (fixture for the client tests)
PULUMI_ACCESS_TOKEN = "pul-60d08fabb6d3e8bb6aa8c4f42a74f897e0803507"
PULUMI_ACCESS_TOKEN_FIXTURE = "pul-01552c2f859d38753a3c2e0541c4b8b3d59860aa"  # keyhound:allow (fixture for the client tests)


def from_env(name):
    return os.environ[name]
