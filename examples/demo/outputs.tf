output "role_arn" {
  description = "The role the platform assumes in the customer's account."
  value       = virtco_aws_role.readonly.role_arn
}

output "external_id" {
  description = "The customer's external id: the platform must present it to assume the role."
  value       = virtco_aws_role.readonly.external_id
}

output "state" {
  description = "The role's state on the platform: done once it is registered."
  value       = virtco_aws_role.readonly.state
}

output "verification_state" {
  description = "The platform's verification: verified once it has assumed the role as the diagnostic account."
  value       = virtco_aws_role.readonly.verification_state
}

output "verified_at" {
  description = "When the platform last assumed the role."
  value       = virtco_aws_role.readonly.verified_at
}

output "customer" {
  description = "The customer and its diagnostic account."
  value = {
    name                = virtco_customer.acme.name
    diag_account        = virtco_customer.acme.diag_account
    diag_account_status = virtco_customer.acme.diag_account_status
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
