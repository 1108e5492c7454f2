data "virtco_diag_accounts" "ready" {
  status = "ready-for-use"
}

# A customer with the first ready diagnostic account, scanned in two regions.
resource "virtco_customer" "acme" {
  name         = "acme.com"
  diag_account = data.virtco_diag_accounts.ready.names[0]
  aws_region   = "us-east-1"
  regions      = ["us-east-1", "eu-west-1"]
}

# The external id the diagnostic account presents when it assumes the customer's role.
output "acme_external_id" {
  value = virtco_customer.acme.external_id
}
