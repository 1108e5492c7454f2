# A customer's settings and status: with the ops key or the master token any customer, with a
# user token only that user's own.
data "virtco_customer" "acme" {
  name = "acme.com"
}

output "acme_status" {
  value = {
    diag_account        = data.virtco_customer.acme.diag_account
    diag_account_status = data.virtco_customer.acme.diag_account_status
    role_status         = data.virtco_customer.acme.role_status
    users               = data.virtco_customer.acme.users
    accounts            = data.virtco_customer.acme.accounts
  }
}

# Each AWS account's verification: "verified" once the platform has assumed its role; on
# "failed", the message says what AWS refused and what to check.
output "acme_verification" {
  value = {
    for a in data.virtco_customer.acme.accounts : a.account_id => "${a.verification_state}: ${coalesce(a.verification_message, "-")}"
  }
}
