# The demo of `make demo`: operations grant a customer read-only diagnostic access, end to end.
# The provider settings come from the environment that make demo writes to .demo/env.

terraform {
  required_providers {
    virtco = {
      source = "virtasant/virtco"
    }
  }
}

provider "virtco" {}

data "virtco_diag_accounts" "ready" {
  status = "ready-for-use"
}

resource "virtco_customer" "acme" {
  name         = "acme.com"
  diag_account = data.virtco_diag_accounts.ready.names[0]
}

resource "virtco_user" "joe" {
  customer = virtco_customer.acme.name
  name     = "joe"
}

resource "virtco_user" "ann" {
  customer = virtco_customer.acme.name
  name     = "ann"
}

# The read-only role in the customer's AWS account (123456789012; in the demo, the AWS emulator),
# which the diagnostic account may assume with the customer's external id.
resource "virtco_aws_role" "readonly" {
  customer   = virtco_customer.acme.name
  account_id = "123456789012"
}
