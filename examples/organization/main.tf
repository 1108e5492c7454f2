# One VIRT-CO role in every member account of an AWS organization, from one provider
# configuration: the provider's AWS credentials are the organization's management account's, and
# each virtco_aws_role assumes its member account's OrganizationAccountAccessRole to act there.

terraform {
  required_providers {
    virtco = { source = "virtasant/virtco" }
  }
}

# The customer's engineer: a user token of the customer (VIRTCO_API_KEY), and the management
# account's credentials (a profile here; AWS_PROFILE or AWS_ACCESS_KEY_ID work too).
provider "virtco" {
  aws {
    profile = var.management_profile
  }
}

resource "virtco_aws_role" "member" {
  for_each = var.member_accounts

  customer   = var.customer
  account_id = each.key # checked against the account of the role assumed: never created elsewhere

  assume_role {
    role_arn     = "arn:aws:iam::${each.key}:role/${var.access_role_name}"
    session_name = "virtco-rollout" # as CloudTrail shows it in each member account
  }
}

# "verified" once the platform has assumed the role of each account.
output "verification" {
  value = { for account, role in virtco_aws_role.member : account => role.verification_state }
}

output "role_arns" {
  value = { for account, role in virtco_aws_role.member : account => role.role_arn }
}
