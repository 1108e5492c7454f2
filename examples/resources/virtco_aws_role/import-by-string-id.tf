import {
  to = virtco_aws_role.prod
  id = "acme.com/123456789012/virtco-diagnostics-readonly"
}
