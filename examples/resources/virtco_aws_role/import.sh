# A role is imported by customer/account_id/role_name, with credentials of that account.
terraform import virtco_aws_role.prod acme.com/123456789012/virtco-diagnostics-readonly
