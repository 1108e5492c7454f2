# The master token, never written to the plan or the state: here it configures a second,
# read-only provider for an account manager's reports.
ephemeral "virtco_master_token" "this" {}

provider "virtco" {
  alias    = "manager"
  endpoint = "http://127.0.0.1:8080"
  api_key  = ephemeral.virtco_master_token.this.master_token
}

data "virtco_customer" "acme" {
  provider = virtco.manager
  name     = "acme.com"
}
