import {
  to = virtco_customer.acme
  id = "acme.com"
}
