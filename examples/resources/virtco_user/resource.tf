resource "virtco_customer" "acme" {
  name         = "acme.com"
  diag_account = "Diag3"
}

# Joe's API key. Destroying the resource revokes it at once.
resource "virtco_user" "joe" {
  customer = virtco_customer.acme.name
  name     = "joe"

  # Change this value to rotate Joe's token in place (the old one stops working).
  rotate_token = {
    rotated = "2025-01"
  }

  # Replacing the customer (terraform apply -replace, a taint) unprovisions it with every key of
  # it: this provisions Joe again in the same apply, rather than leaving a revoked token in state.
  lifecycle {
    replace_triggered_by = [virtco_customer.acme.external_id]
  }
}

# A user for one engagement: the platform refuses the token after 30 days, even if nobody runs
# Terraform. valid_for becomes expires_at once, at create; change it (or set expires_at =
# "2030-01-31T18:00:00Z" instead) to extend or shorten access in place.
resource "virtco_user" "auditor" {
  customer  = virtco_customer.acme.name
  name      = "auditor"
  valid_for = "720h"
}

output "auditor_expires_at" {
  value = virtco_user.auditor.expires_at
}

output "joe_key_name" {
  value = virtco_user.joe.key_name
}

output "joe_token" {
  value     = virtco_user.joe.token
  sensitive = true
}
