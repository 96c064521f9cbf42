terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
}
provider "aws" {
  region     = "us-west-2"
  access_key = "AKIA3R6GE3Y7LSQFN67N"
  secret_key = "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"
}
provider "aws" {
  alias      = "replica"
  region     = "eu-west-1"
  access_key = var.aws_access_key
  secret_key = var.aws_secret_key
}
resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}
output "ci_secret" {
  value     = aws_iam_access_key.ci.secret
  sensitive = true
}
resource "aws_s3_bucket" "logs" {
  bucket = "nw-logs-144839428809"
}
