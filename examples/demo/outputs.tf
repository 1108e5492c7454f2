output "customer" {
  description = "The customer and its diagnostic account."
  value = {
    name                = virtco_customer.acme.name
    diag_account        = virtco_customer.acme.diag_account
    diag_account_status = virtco_customer.acme.diag_account_status
    external_id         = virtco_customer.acme.external_id
  }
}

output "joe_token" {
  description = "joe's API key: terraform output -raw joe_token"
  value       = virtco_user.joe.token
  sensitive   = true
}

output "ann_token" {
  description = "ann's API key: terraform output -raw ann_token"
  value       = virtco_user.ann.token
  sensitive   = true
}
