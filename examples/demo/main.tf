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

# Replacing the customer (terraform apply -replace, or a taint) unprovisions it with its users'
# keys: replace_triggered_by provisions the users again in the same apply.
resource "virtco_user" "joe" {
  customer = virtco_customer.acme.name
  name     = "joe"

  lifecycle {
    replace_triggered_by = [virtco_customer.acme.external_id]
  }
}

resource "virtco_user" "ann" {
  customer = virtco_customer.acme.name
  name     = "ann"

  lifecycle {
    replace_triggered_by = [virtco_customer.acme.external_id]
  }
}

# The read-only role in the customer's AWS account (123456789012; in the demo, the AWS emulator),
# which the diagnostic account may assume with the customer's external id.
# external_id follows the customer: a replaced customer's new id updates the role's trust in the
# same apply.
resource "virtco_aws_role" "readonly" {
  customer    = virtco_customer.acme.name
  external_id = virtco_customer.acme.external_id
  account_id  = "123456789012"
}
