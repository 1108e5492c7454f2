# Joe's token, never written to the plan or the state: here a second provider acts as Joe, who
# may read only his own customer.
ephemeral "virtco_user_token" "joe" {
  customer = "acme.com"
  name     = "joe"
}

provider "virtco" {
  alias    = "joe"
  endpoint = "http://127.0.0.1:8080"
  api_key  = ephemeral.virtco_user_token.joe.token
}

data "virtco_customer" "mine" {
  provider = virtco.joe
  name     = "acme.com"
}

# For a user created in the same configuration, derive the name from an attribute known only
# once the user exists, so that the token is read after the user is created:
#
#   ephemeral "virtco_user_token" "sam" {
#     customer = virtco_user.sam.customer
#     name     = split("@", virtco_user.sam.id)[0]
#   }
