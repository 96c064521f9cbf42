terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.100"
    }
    azuredevops = {
      source = "microsoft/azuredevops"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = "22f112bc-f077-4a95-8c82-b580a1ab407d"
  tenant_id       = "97657839-ae47-4757-b184-44f60b572612"
  client_id       = "7e11a624-262d-4ba7-aeea-47a014126449"
  client_secret   = "9FH8Q~YNdSYdMAkQN.FS9TVDB0633twhp98pabVk"
}

provider "azuredevops" {
  org_service_url       = "https://dev.azure.com/contoso"
  personal_access_token = "jxzyxhebxcdirrjqdn27h452vckojzma6tm2izwpmdek3ysrr6ba"
}

resource "azurerm_storage_account" "logs" {
  name                     = "stcontosologs"
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_tier             = "Standard"
  account_replication_type = "GRS"
}

resource "azurerm_linux_function_app" "ingest" {
  name                       = "func-contoso-ingest"
  storage_account_name       = azurerm_storage_account.logs.name
  storage_account_access_key = azurerm_storage_account.logs.primary_access_key
  app_settings = {
    "AzureWebJobsStorage" = azurerm_storage_account.logs.primary_connection_string
    "Archive"             = "DefaultEndpointsProtocol=https;AccountName=${azurerm_storage_account.logs.name};AccountKey=${azurerm_storage_account.logs.primary_access_key}"
  }
}

resource "azurerm_linux_function_app" "legacy" {
  name                       = "func-contoso-legacy"
  storage_account_name       = "stcontosolegacy"
  storage_account_access_key = "xcqzOqQElWs8PnnIxwEGRy3LqLuEywiwk0PTMFGRrjEvhcSSO+K0h95Cc+O0GR0y9QKvrv142+5sbmFu3DAlAw=="
}

variable "sql_admin_password" {
  type      = string
  sensitive = true
}

output "sql_connection" {
  value     = "Server=tcp:${azurerm_mssql_server.main.fully_qualified_domain_name},1433;Database=app;User ID=sqladmin;Password=${var.sql_admin_password};"
  sensitive = true
}
