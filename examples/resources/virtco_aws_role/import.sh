# A role is imported by customer/account_id/role_name, with credentials of that account.
terraform import virtco_aws_role.prod acme.com/123456789012/virtco-diagnostics-readonly

# A role with an assume_role block: the ARN of the role to assume follows, and the role is read
# through it (here with the management account's credentials).
terraform import 'virtco_aws_role.member["210987654321"]' \
  acme.com/210987654321/virtco-diagnostics-readonly/arn:aws:iam::210987654321:role/OrganizationAccountAccessRole
