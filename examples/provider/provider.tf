terraform {
  required_providers {
    virtco = {
      source = "virtasant/virtco"
    }
  }
}

# Operations: the ops key from the old apikey.txt. Every setting may come from the environment
# instead (VIRTCO_ENDPOINT, VIRTCO_API_KEY or VIRTCO_API_KEY_FILE, VIRTCO_TIMEOUT,
# VIRTCO_MAX_RETRIES), so `provider "virtco" {}` is enough where those are set.
provider "virtco" {
  endpoint     = "http://127.0.0.1:8080"
  api_key_file = "~/.virtco/apikey.txt"
  timeout      = "30s"
  max_retries  = 5
}

# The customer's infrastructure engineer: a user token of the customer, and its own AWS
# credentials for the account that gets the read-only role (virtco_aws_role). The aws block is
# optional: without it the AWS SDK's own chain is used (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO,
# instance roles, ...). It is only read when a virtco_aws_role is planned.
provider "virtco" {
  alias        = "engineer"
  endpoint     = "https://virtco.example.com"
  api_key_file = "~/.virtco/acme-token.txt"

  aws {
    profile = "acme-prod"
    region  = "us-east-1"

    # Or assume a role in the customer's account from CI credentials:
    # assume_role {
    #   role_arn    = "arn:aws:iam::123456789012:role/terraform"
    #   external_id = "ci"
    # }
  }
}
