# A user is imported by user@customer.
terraform import virtco_user.joe joe@acme.com
