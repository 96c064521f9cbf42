provider "github" {
  owner = "northwind"
  token = "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"
}
variable "github_token" {
  type      = string
  sensitive = true
}
provider "github" {
  alias = "var"
  token = var.github_token
}
# github_pat_<redacted>
