# Every diagnostic account, and only the ones ready to take customers.
data "virtco_diag_accounts" "all" {}

data "virtco_diag_accounts" "ready" {
  status = "ready-for-use"
}

output "diag_account_names" {
  value = data.virtco_diag_accounts.all.names
}

output "ready_principals" {
  value = { for a in data.virtco_diag_accounts.ready.diag_accounts : a.name => a.principal_arn }
}
