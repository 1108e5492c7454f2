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

output "joe_key_name" {
  value = virtco_user.joe.key_name
}

output "joe_token" {
  value     = virtco_user.joe.token
  sensitive = true
}
