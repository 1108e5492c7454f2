variable "customer" {
  description = "The customer on the VIRT-CO platform, such as acme.com."
  type        = string
}

variable "member_accounts" {
  description = "Ids of the AWS accounts to roll the role out to (12 digits each)."
  type        = set(string)
}

variable "management_profile" {
  description = "Profile of the shared AWS files with the management account's credentials."
  type        = string
  default     = "org-management"
}

variable "access_role_name" {
  description = "The role of each member account that the management account may assume."
  type        = string
  default     = "OrganizationAccountAccessRole"
}
