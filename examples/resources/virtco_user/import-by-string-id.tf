import {
  to = virtco_user.joe
  id = "joe@acme.com"
}
