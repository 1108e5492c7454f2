# The customer's engineer: the provider uses a user token of the customer (VIRTCO_API_KEY) and
# the engineer's own AWS credentials for the customer's account (the aws block, or AWS_PROFILE,
# AWS_ACCESS_KEY_ID, ... in the environment).
provider "virtco" {
  aws {
    profile = "acme-prod"
  }
}

# The read-only role the customer's VIRT-CO diagnostic account assumes: CloudWatch and CloudTrail
# reads only, with the customer's external id. account_id must be the account the credentials
# reach: the provider refuses, before creating anything, to create the role anywhere else.
resource "virtco_aws_role" "prod" {
  customer   = "acme.com"
  account_id = "123456789012"

  # With the customer in the same configuration, refer to it, so that replacing the customer
  # updates the role's trust to its new external id in the same apply:
  #   customer    = virtco_customer.acme.name
  #   external_id = virtco_customer.acme.external_id

  tags = {
    owner = "platform-team"
  }

  # Create waits until the platform has assumed the role itself (verification_state "verified"),
  # riding out IAM's propagation; a refusal fails the apply with AWS's message, and the role stays
  # in the state. wait_for_verification = false returns once the role is registered.
  timeouts {
    create = "10m"
  }
}

# Another account of the customer (one role per customer and account), reached with another
# profile: more data sources, each adding only Read and List actions; cur reads only its bucket.
provider "virtco" {
  alias = "billing"
  aws {
    profile = "acme-billing"
  }
}

resource "virtco_aws_role" "billing" {
  provider             = virtco.billing
  customer             = "acme.com"
  account_id           = "210987654321"
  data_sources         = ["cloudwatch", "cloudtrail", "cost_explorer", "cur"]
  cur_bucket           = "acme-cost-and-usage-reports"
  max_session_duration = 7200

  # Access for one engagement: the trust policy requires DateLessThan aws:CurrentTime, so AWS
  # itself refuses the platform after 30 days, even if nobody runs Terraform. valid_for becomes
  # expires_at once, at create; set expires_at = "2030-01-31T18:00:00Z" instead for a fixed date.
  # Changing either updates the trust in place, to extend or shorten access.
  valid_for = "720h"
}

# Every member account of an AWS organization from one provider: the provider's credentials are
# the management account's, and each role assumes its member account's
# OrganizationAccountAccessRole to act there (see examples/organization, and the provider's
# documentation for taking the list from aws_organizations_organization).
provider "virtco" {
  alias = "org"
  aws {
    profile = "acme-management"
  }
}

resource "virtco_aws_role" "member" {
  provider   = virtco.org
  for_each   = toset(["111111111111", "222222222222", "333333333333"])
  customer   = "acme.com"
  account_id = each.key

  assume_role {
    role_arn = "arn:aws:iam::${each.key}:role/OrganizationAccountAccessRole"
  }
}

output "role_arn" {
  value = virtco_aws_role.prod.role_arn
}

# "verified" once the platform has assumed the role; on "failed", verification_message says what
# AWS refused and what to check.
output "verification" {
  value = "${virtco_aws_role.prod.verification_state}: ${virtco_aws_role.prod.verification_message}"
}

# The permissions policy, known at plan time, for reviewers.
output "permissions" {
  value = virtco_aws_role.prod.policy_json
}
