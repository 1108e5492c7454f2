package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// The naming rules of the API (DESIGN.md section 3), checked at plan time with the same rules as
// the server, so that a bad name never gets as far as an apply.
var (
	// customerNameRE is a lower-case DNS domain: at least two labels of 1-63 a-z, 0-9 and '-',
	// not starting or ending with '-'. The length limit (253) is a separate validator.
	customerNameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// nameRE is a user or diag account name: 1-64 of A-Z a-z 0-9 . _ -, not only dots.
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	notDotsRE = regexp.MustCompile(`[^.]`)
	// regionRE is an AWS region name.
	regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)
)

const (
	customerNameRule = "a lower-case DNS domain such as acme.com: at least two labels separated by dots, each 1-63 " +
		"characters of a-z, 0-9 and '-' (not starting or ending with '-'), at most 253 characters in all"
	userNameRule   = "1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots"
	regionNameRule = "an AWS region name such as us-east-1 or eu-west-2"
)

func customerNameValidators() []validator.String {
	return []validator.String{
		stringvalidator.LengthAtMost(253),
		stringvalidator.RegexMatches(customerNameRE, "value must be "+customerNameRule),
	}
}

func userNameValidators() []validator.String {
	return []validator.String{
		stringvalidator.RegexMatches(nameRE, "value must be "+userNameRule),
		stringvalidator.RegexMatches(notDotsRE, "value must not be only dots"),
	}
}

func diagAccountNameValidators() []validator.String {
	return userNameValidators() // the same rule
}

func regionValidators() []validator.String {
	return []validator.String{stringvalidator.RegexMatches(regionRE, "value must be "+regionNameRule)}
}

// validCustomerName reports why name is not a customer name, or nil.
func validCustomerName(name string) error {
	if len(name) > 253 || !customerNameRE.MatchString(name) {
		return fmt.Errorf("%q is not a customer name: a customer name is %s", name, customerNameRule)
	}
	return nil
}

// validUserName reports why name is not a user name, or nil.
func validUserName(name string) error {
	if !nameRE.MatchString(name) || !notDotsRE.MatchString(name) {
		return fmt.Errorf("%q is not a user name: a user name is %s", name, userNameRule)
	}
	return nil
}

// userID is a virtco_user's id: user@customer, as the platform's key names spell it.
func userID(customer, name string) string { return name + "@" + customer }

// parseUserID splits an import id of the form user@customer.
func parseUserID(id string) (customer, name string, err error) {
	name, customer, ok := strings.Cut(id, "@")
	if !ok || strings.Contains(customer, "@") {
		return "", "", fmt.Errorf("the import id %q is not of the form user@customer (such as joe@acme.com)", id)
	}
	if err := validUserName(name); err != nil {
		return "", "", fmt.Errorf("the import id %q is not of the form user@customer: %w", id, err)
	}
	if err := validCustomerName(customer); err != nil {
		return "", "", fmt.Errorf("the import id %q is not of the form user@customer: %w", id, err)
	}
	return customer, name, nil
}

// durationValidator checks a Go duration string that must be longer than zero.
type durationValidator struct{}

var _ validator.String = durationValidator{}

func (durationValidator) Description(context.Context) string {
	return "value must be a Go duration longer than zero, such as 30s or 2m"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string {
	return "value must be a Go duration longer than zero, such as `30s` or `2m`"
}

func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseTimeout(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%s is %q: %s. Give a Go duration such as \"30s\" or \"2m\".", req.Path, req.ConfigValue.ValueString(), err))
	}
}

// checkString is a string validator from a function that says what is wrong with a value (the
// awsrole Validate* functions), so that plan time and apply time apply the same rules.
func checkString(check func(string) error) validator.String { return funcValidator{check} }

type funcValidator struct{ check func(string) error }

func (funcValidator) Description(context.Context) string { return "value must be valid" }

func (v funcValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v funcValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", upperFirst(err.Error())+".")
	}
}
