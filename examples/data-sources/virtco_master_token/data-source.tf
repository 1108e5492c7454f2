# The master token, for customer account managers. It is stored in the state (sensitive); prefer
# the virtco_master_token ephemeral resource where it is only passed on.
data "virtco_master_token" "this" {}

output "master_token" {
  value     = data.virtco_master_token.this.master_token
  sensitive = true
}
