# For people who create the role themselves: the documents virtco_aws_role would use, for the
# customer's diagnostic account and external id. No AWS credentials are needed.
data "virtco_aws_role_policy" "acme" {
  customer     = "acme.com"
  data_sources = ["cloudwatch", "cloudtrail"]
}

# The same with an end date: the trust policy and the template require
# DateLessThan aws:CurrentTime, so AWS refuses the platform from that time on.
data "virtco_aws_role_policy" "engagement" {
  customer   = "acme.com"
  expires_at = "2030-01-31T18:00:00Z"
}

output "trust_policy" {
  value = data.virtco_aws_role_policy.acme.trust_policy_json
}

output "permissions_policy" {
  value = data.virtco_aws_role_policy.acme.permissions_policy_json
}

# Save it as virtco-role.json (terraform output -raw cloudformation_template > virtco-role.json),
# deploy it with
#   aws cloudformation deploy --template-file virtco-role.json --stack-name virtco-diagnostics \
#     --capabilities CAPABILITY_NAMED_IAM
# and register its RoleArn output with VIRT-CO.
output "cloudformation_template" {
  value = data.virtco_aws_role_policy.acme.cloudformation_template
}
