# A customer is imported by its name.
terraform import virtco_customer.acme acme.com
