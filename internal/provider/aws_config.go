// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// The provider's aws block: how virtco_aws_role reaches the customer's AWS account. Configure only
// checks it (resolveAWS); it is loaded (internal/awsconfig) the first time a virtco_aws_role needs
// AWS, so that configurations without roles need no AWS credentials at all.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsconfig"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
)

// awsModel is the provider's aws block.
type awsModel struct {
	Region                 types.String     `tfsdk:"region"`
	Profile                types.String     `tfsdk:"profile"`
	SharedConfigFiles      types.List       `tfsdk:"shared_config_files"`
	SharedCredentialsFiles types.List       `tfsdk:"shared_credentials_files"`
	AccessKey              types.String     `tfsdk:"access_key"`
	SecretKey              types.String     `tfsdk:"secret_key"`
	Token                  types.String     `tfsdk:"token"`
	MaxRetries             types.Int64      `tfsdk:"max_retries"`
	AssumeRole             *assumeRoleModel `tfsdk:"assume_role"`
	Endpoints              *endpointsModel  `tfsdk:"endpoints"`
}

type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	ExternalID  types.String `tfsdk:"external_id"`
	SessionName types.String `tfsdk:"session_name"`
}

type endpointsModel struct {
	IAM types.String `tfsdk:"iam"`
	STS types.String `tfsdk:"sts"`
}

func awsBlockSchema() schema.Block {
	return schema.SingleNestedBlock{
		MarkdownDescription: "How `virtco_aws_role` reaches the customer's AWS account: the AWS SDK's own configuration " +
			"chain (environment variables such as `AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, `AWS_REGION` and " +
			"`AWS_ENDPOINT_URL_IAM`, shared config and credentials files, SSO, web identity, container and instance " +
			"roles), with the settings below winning over it. It is read only when a `virtco_aws_role` is planned, " +
			"so configurations without roles need no AWS credentials. Every role is created in the account these " +
			"credentials reach, and never in another one: see `account_id`.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "AWS region of the STS endpoint (IAM is global). Defaults to `AWS_REGION` or the " +
					"profile's region, else `us-east-1`.",
				Validators: regionValidators(),
			},
			"profile": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Named profile of the shared config and credentials files. Defaults to `AWS_PROFILE`, else `default`.",
			},
			"shared_config_files": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Paths of shared config files, instead of `AWS_CONFIG_FILE` or `~/.aws/config`; " +
					"`~/` is the home directory. Each must be readable.",
			},
			"shared_credentials_files": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Paths of shared credentials files, instead of `AWS_SHARED_CREDENTIALS_FILE` or " +
					"`~/.aws/credentials`; `~/` is the home directory. Each must be readable.",
			},
			"access_key": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Static access key id, with `secret_key`. Prefer the environment (`AWS_ACCESS_KEY_ID`), " +
					"a profile or a role: a key in the configuration ends up in plan files.",
			},
			"secret_key": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Static secret access key, with `access_key`.",
			},
			"token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Session token of temporary static credentials, with `access_key` and `secret_key`.",
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("How many times an AWS call that was throttled or failed on AWS's side "+
					"is retried, with exponential backoff (the SDK's standard retryer, without its client-side retry "+
					"quota). Defaults to `AWS_MAX_ATTEMPTS` less one, else `%d`.", awsconfig.DefaultMaxRetries),
				Validators: []validator.Int64{int64validator.Between(0, 100)},
			},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "Assume this role (STS AssumeRole) with the credentials found above, and create " +
					"the role in the account of the assumed role.",
				Attributes: map[string]schema.Attribute{
					"role_arn": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "ARN of the role to assume, such as `arn:aws:iam::123456789012:role/terraform`. Required in the block.",
					},
					"external_id": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "External id the role to assume requires, if any.",
					},
					"session_name": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Session name, as CloudTrail shows it. Defaults to `" + awsconfig.DefaultSessionName + "`.",
					},
				},
			},
			"endpoints": schema.SingleNestedBlock{
				MarkdownDescription: "Custom endpoints, such as the IAM/STS emulator the provider's tests use. Defaults " +
					"to `AWS_ENDPOINT_URL_IAM` / `AWS_ENDPOINT_URL_STS` (or `AWS_ENDPOINT_URL`), else AWS's own.",
				Attributes: map[string]schema.Attribute{
					"iam": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "URL of the IAM endpoint, such as `http://127.0.0.1:4566`.",
					},
					"sts": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "URL of the STS endpoint, such as `http://127.0.0.1:4566`.",
					},
				},
			},
		},
	}
}

// awsUnknown lists the settings of the aws block that are not known yet.
func awsUnknown(m *awsModel) []string {
	if m == nil {
		return nil
	}
	var out []string
	add := func(name string, unknown bool) {
		if unknown {
			out = append(out, "aws."+name)
		}
	}
	add("region", m.Region.IsUnknown())
	add("profile", m.Profile.IsUnknown())
	add("shared_config_files", m.SharedConfigFiles.IsUnknown())
	add("shared_credentials_files", m.SharedCredentialsFiles.IsUnknown())
	add("access_key", m.AccessKey.IsUnknown())
	add("secret_key", m.SecretKey.IsUnknown())
	add("token", m.Token.IsUnknown())
	add("max_retries", m.MaxRetries.IsUnknown())
	if a := m.AssumeRole; a != nil {
		add("assume_role.role_arn", a.RoleARN.IsUnknown())
		add("assume_role.external_id", a.ExternalID.IsUnknown())
		add("assume_role.session_name", a.SessionName.IsUnknown())
	}
	if e := m.Endpoints; e != nil {
		add("endpoints.iam", e.IAM.IsUnknown())
		add("endpoints.sts", e.STS.IsUnknown())
	}
	return out
}

// assumeRoleARNRE leaves the length to maxRoleARN, STS's bound on the whole ARN: a bounded repeat
// of the role's path and name ({1,512}) compiles into as many copies of its class, 6 ms at every
// start of the provider.
var assumeRoleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\x21-\x7e]+$`)

const maxRoleARN = 2048

func isRoleARN(s string) bool { return len(s) <= maxRoleARN && assumeRoleARNRE.MatchString(s) }

// resolveAWS checks the aws block (known values only: see awsUnknown) without touching AWS or
// the file system; what needs them is checked when the configuration is loaded. Empty strings
// are what is not set; the files keep their ~ until they are loaded (awsSession.manager).
func resolveAWS(m *awsModel) (awsconfig.Settings, diag.Diagnostics) {
	s := awsconfig.Settings{MaxRetries: -1}
	var diags diag.Diagnostics
	if m == nil {
		return s, diags
	}
	at := path.Root("aws")
	s.Region = m.Region.ValueString()
	s.Profile = m.Profile.ValueString()
	if !m.Profile.IsNull() && strings.TrimSpace(s.Profile) == "" {
		diags.AddAttributeError(at.AtName("profile"), "Empty AWS profile",
			"The provider's aws.profile is set but empty. Name a profile of the shared config files, or remove it to use AWS_PROFILE.")
	}
	for _, f := range []struct {
		name string
		list types.List
		into *[]string
	}{{"shared_config_files", m.SharedConfigFiles, &s.SharedConfigFiles}, {"shared_credentials_files", m.SharedCredentialsFiles, &s.SharedCredentialsFiles}} {
		if f.list.IsNull() {
			continue
		}
		for i, v := range f.list.Elements() {
			sv, _ := v.(types.String)
			if sv.IsNull() || strings.TrimSpace(sv.ValueString()) == "" {
				diags.AddAttributeError(at.AtName(f.name).AtListIndex(i), "Empty file name",
					fmt.Sprintf("Entry %d of the provider's aws.%s is empty: give the path of a file.", i+1, f.name))
				continue
			}
			*f.into = append(*f.into, sv.ValueString())
		}
	}
	s.AccessKey, s.SecretKey, s.Token = m.AccessKey.ValueString(), m.SecretKey.ValueString(), m.Token.ValueString()
	switch {
	case s.AccessKey != "" && s.SecretKey == "":
		diags.AddAttributeError(at.AtName("secret_key"), "Missing AWS secret key",
			"The provider's aws.access_key is set but aws.secret_key is not: give both, or neither (and let the AWS "+
				"SDK find credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, aws.profile, ...).")
	case s.AccessKey == "" && s.SecretKey != "":
		diags.AddAttributeError(at.AtName("access_key"), "Missing AWS access key",
			"The provider's aws.secret_key is set but aws.access_key is not: give both, or neither.")
	case s.AccessKey == "" && s.Token != "":
		diags.AddAttributeError(at.AtName("token"), "AWS session token without a key",
			"The provider's aws.token is set but aws.access_key and aws.secret_key are not: a session token goes with them.")
	}
	if !m.MaxRetries.IsNull() {
		s.MaxRetries = int(m.MaxRetries.ValueInt64())
	}
	if a := m.AssumeRole; a != nil {
		s.AssumeRole = awsconfig.AssumeRole{
			RoleARN: a.RoleARN.ValueString(), ExternalID: a.ExternalID.ValueString(), SessionName: a.SessionName.ValueString(),
		}
		switch {
		case s.AssumeRole.RoleARN == "":
			diags.AddAttributeError(at.AtName("assume_role").AtName("role_arn"), "Missing role to assume",
				"The provider's aws.assume_role block has no role_arn: give the ARN of the role to assume, such as "+
					"arn:aws:iam::123456789012:role/terraform, or remove the block.")
		case !isRoleARN(s.AssumeRole.RoleARN):
			diags.AddAttributeError(at.AtName("assume_role").AtName("role_arn"), "Invalid role to assume",
				fmt.Sprintf("The provider's aws.assume_role.role_arn %q is not an IAM role ARN "+
					"(arn:aws:iam::<account id>:role/<name>).", s.AssumeRole.RoleARN))
		}
	}
	if e := m.Endpoints; e != nil {
		for _, ep := range []struct {
			name string
			v    types.String
			into *string
		}{{"iam", e.IAM, &s.IAMEndpoint}, {"sts", e.STS, &s.STSEndpoint}} {
			if ep.v.IsNull() {
				continue
			}
			*ep.into = strings.TrimSpace(ep.v.ValueString())
			u, err := url.Parse(*ep.into)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				diags.AddAttributeError(at.AtName("endpoints").AtName(ep.name), "Invalid AWS endpoint",
					fmt.Sprintf("The provider's aws.endpoints.%s %q is not an http:// or https:// URL (such as "+
						"http://127.0.0.1:4566). Correct it, or remove it to use AWS_ENDPOINT_URL_%s or AWS's own endpoint.",
						ep.name, *ep.into, strings.ToUpper(ep.name)))
			}
		}
	}
	return s, diags
}

// awsHooks are test-only settings of the provider (never in its schema): the acceptance tests
// make retries and IAM's waits fast with them, so that injected throttling never sleeps.
type awsHooks struct {
	retryer     func() aws.Retryer
	roleOptions awsrole.Options
}

// awsSession is the provider's lazily loaded AWS configuration: the credentials of its aws block
// (base) and the roles assumed from them for the virtco_aws_roles that have an assume_role block,
// each loaded or assumed once per provider process (one Terraform run) and shared by all the
// resources that use it.
type awsSession struct {
	settings awsconfig.Settings
	unknown  []string
	hooks    awsHooks
	env      environment

	mu      sync.Mutex
	base    *awsReach
	assumed map[awsconfig.AssumeRole]*assumedReach
	// inState holds the roles (account/lower-cased name) that a virtco_aws_role has in its state,
	// as this run's plan has seen them. Terraform plans a replaced object from its state before it
	// plans its new object, in the same process: a create of such a name is the configuration
	// replacing its own role (deleted before it is created again), not a take-over.
	inState map[string]bool
}

func roleKey(account, name string) string { return account + "/" + strings.ToLower(name) }

// sawInState records a role that a virtco_aws_role has in its state.
func (s *awsSession) sawInState(account, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inState == nil {
		s.inState = map[string]bool{}
	}
	s.inState[roleKey(account, name)] = true
}

func (s *awsSession) isInState(account, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inState[roleKey(account, name)]
}

// awsReach is one set of AWS credentials that roles are managed with, and what is found with
// them once: the account they reach and the names of its roles.
type awsReach struct {
	cfg *awsconfig.Config
	mgr *awsrole.Manager
	// role is the role assumed for these credentials; nil for the provider's own.
	role *awsconfig.AssumeRole

	mu      sync.Mutex
	account string
	roles   map[string]string // lower-cased name to name; nil until listed
}

// assumedReach is a role assumed from the base credentials; reach is nil until AssumeRole
// succeeded. Its own lock lets different roles be assumed at the same time, and keeps one role
// from being assumed twice when several resources need it at once.
type assumedReach struct {
	mu    sync.Mutex
	reach *awsReach
}

// notKnown reports, as an error, that the aws block is not known yet.
func (s *awsSession) notKnown(diags *diag.Diagnostics) bool {
	if len(s.unknown) == 0 {
		return false
	}
	diags.AddError("AWS settings not known yet",
		fmt.Sprintf("The provider's %s depend(s) on values that are known only after apply, so the AWS role cannot be "+
			"managed now. Apply the resources that these settings come from first (terraform apply -target=...).",
			strings.Join(s.unknown, ", ")))
	return true
}

// reach is the credentials a role is managed with: the provider's own when role is nil, else
// role assumed from them. Each is loaded the first time it is needed; a failed load or
// AssumeRole is not kept: the next call tries again.
func (s *awsSession) reach(ctx context.Context, role *awsconfig.AssumeRole) (*awsReach, diag.Diagnostics) {
	base, diags := s.loadBase(ctx)
	if diags.HasError() || role == nil {
		return base, diags
	}
	s.mu.Lock()
	if s.assumed == nil {
		s.assumed = map[awsconfig.AssumeRole]*assumedReach{}
	}
	a := s.assumed[*role]
	if a == nil {
		a = &assumedReach{}
		s.assumed[*role] = a
	}
	s.mu.Unlock()

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reach != nil {
		return a.reach, diags
	}
	cfg, err := base.cfg.Assume(ctx, *role)
	if err != nil {
		diags.Append(s.assumeDiagnostics(ctx, base, role, err)...)
		return nil, diags
	}
	r := *role
	a.reach = &awsReach{cfg: cfg, mgr: awsrole.NewFromClients(cfg.IAM(), cfg.STS(), s.hooks.roleOptions), role: &r}
	return a.reach, diags
}

// loadBase loads the provider's own AWS configuration.
func (s *awsSession) loadBase(ctx context.Context) (*awsReach, diag.Diagnostics) {
	var diags diag.Diagnostics
	if s == nil {
		diags.AddError("Provider not configured", "The VIRT-CO provider was not configured before AWS was needed. "+
			"This is a bug in the provider or Terraform; please report it.")
		return nil, diags
	}
	if s.notKnown(&diags) {
		return nil, diags
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base != nil {
		return s.base, diags
	}
	st := s.settings
	st.SharedConfigFiles = expandHomes(st.SharedConfigFiles, s.env)
	st.SharedCredentialsFiles = expandHomes(st.SharedCredentialsFiles, s.env)
	st.Retryer = s.hooks.retryer
	cfg, err := awsconfig.Load(ctx, st)
	if err != nil {
		return nil, awsLoadDiagnostics(err)
	}
	s.base = &awsReach{cfg: cfg, mgr: awsrole.NewFromClients(cfg.IAM(), cfg.STS(), s.hooks.roleOptions)}
	return s.base, diags
}

// assumeDiagnostics reports a refused or failed AssumeRole of a resource's assume_role: which
// role, in which account, from which account, and what to check.
func (s *awsSession) assumeDiagnostics(ctx context.Context, base *awsReach, role *awsconfig.AssumeRole, err error) diag.Diagnostics {
	var diags diag.Diagnostics
	from := "the provider's AWS credentials"
	if acct, d := base.callerAccount(ctx); !d.HasError() {
		from += " (AWS account " + acct + ")"
	}
	var ae *awsconfig.AssumeRoleError
	if errors.As(err, &ae) {
		err = ae.Err
	}
	diags.AddAttributeError(path.Root("assume_role").AtName("role_arn"), "Cannot assume the AWS role",
		fmt.Sprintf("Assuming role %s in AWS account %s (assume_role) with %s failed, so nothing was done in that "+
			"account: %s.\n\nCheck assume_role.role_arn and external_id, and that the role's trust policy admits these "+
			"credentials (an organization's OrganizationAccountAccessRole admits the management account's).",
			role.RoleARN, arnAccount(role.RoleARN), from, err))
	return diags
}

// arnAccount is the account id of an IAM ARN, or "" when it has none.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// callerAccount is the AWS account the credentials reach (for an assumed role, the one
// AssumeRole named; else STS GetCallerIdentity's), found once.
func (r *awsReach) callerAccount(ctx context.Context) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.account != "" {
		return r.account, diags
	}
	acct, err := r.cfg.CallerAccount(ctx)
	if err != nil {
		diags.AddError("Cannot tell which AWS account the credentials reach",
			fmt.Sprintf("%s.\n\n%s", err, awsCredentialsHelp))
		return "", diags
	}
	r.account = acct
	return acct, diags
}

// existingRole is the name of the account's role that name would collide with (IAM role names are
// unique without regard to case), or "". The account's roles are listed once per provider
// process, so that a plan of many roles costs one listing per account.
func (r *awsReach) existingRole(ctx context.Context, name string) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.roles == nil {
		names, err := r.mgr.RoleNames(ctx)
		if err != nil {
			diags.AddError("Cannot list the account's IAM roles",
				fmt.Sprintf("The plan checks that no role of the planned name exists already: %s.\n\n%s", err, awsCredentialsHelp))
			return "", diags
		}
		r.roles = make(map[string]string, len(names))
		for _, n := range names {
			r.roles[strings.ToLower(n)] = n
		}
	}
	return r.roles[strings.ToLower(name)], diags
}

const awsCredentialsHelp = "Check the provider's aws block (profile, shared_config_files, shared_credentials_files, " +
	"access_key / secret_key, assume_role, endpoints) and the AWS SDK's environment variables (AWS_PROFILE, " +
	"AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE, AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS)."

// awsFileSettings are the names in the aws block of awsconfig's file lists.
var awsFileSettings = map[awsconfig.FileSetting]string{
	awsconfig.SharedConfigFiles:      "shared_config_files",
	awsconfig.SharedCredentialsFiles: "shared_credentials_files",
}

// awsLoadDiagnostics turns an error of awsconfig.Load into diagnostics on the setting at fault.
func awsLoadDiagnostics(err error) diag.Diagnostics {
	var diags diag.Diagnostics
	at := path.Root("aws")
	if files := awsconfig.FileErrors(err); len(files) > 0 {
		for _, f := range files {
			name := awsFileSettings[f.Setting]
			diags.AddAttributeError(at.AtName(name).AtListIndex(f.Index), "Unreadable AWS file",
				fmt.Sprintf("The file %q of the provider's aws.%s could not be read: %s. Check the path and the "+
					"file's permissions, or remove it from the list.", f.Path, name, fileError(f.Err)))
		}
		return diags
	}
	var (
		profile *awsconfig.ProfileNotFoundError
		assume  *awsconfig.AssumeRoleError
		noCreds *awsconfig.NoCredentialsError
		load    *awsconfig.LoadError
	)
	switch {
	case errors.As(err, &profile):
		from := "aws.profile"
		if profile.FromEnvironment {
			from = "the AWS_PROFILE environment variable"
		}
		diags.AddAttributeError(at.AtName("profile"), "AWS profile not found",
			fmt.Sprintf("The AWS profile %q (set by %s) is not in the shared config or credentials files: %s. "+
				"Name a profile that exists (aws.profile, or AWS_PROFILE), or point aws.shared_config_files / "+
				"AWS_CONFIG_FILE at the file that has it.", profile.Profile, from, profile.Err))
	case errors.As(err, &assume):
		diags.AddAttributeError(at.AtName("assume_role").AtName("role_arn"), "Cannot assume the AWS role",
			fmt.Sprintf("Assuming %s (aws.assume_role) failed: %s.\n\nCheck aws.assume_role.role_arn and "+
				"external_id, and that the role's trust policy lets the base credentials in.", assume.RoleARN, assume.Err))
	case errors.As(err, &noCreds) && noCreds.Err == nil:
		diags.AddAttributeError(at, "No AWS credentials", "The AWS SDK found no credentials.\n\n"+awsCredentialsHelp)
	case errors.As(err, &noCreds):
		diags.AddAttributeError(at, "No AWS credentials",
			fmt.Sprintf("The AWS SDK found no usable credentials: %s.\n\n%s", noCreds.Err, awsCredentialsHelp))
	default:
		if errors.As(err, &load) {
			err = load.Err
		}
		diags.AddAttributeError(at, "Cannot load the AWS configuration",
			fmt.Sprintf("The AWS SDK could not load its configuration: %s.\n\n%s", err, awsCredentialsHelp))
	}
	return diags
}

// expandHomes expands each path into a new slice, leaving the session's settings as Configure
// resolved them for the next load after a failed one.
func expandHomes(paths []string, env environment) []string {
	if paths == nil {
		return nil
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = expandHome(p, env)
	}
	return out
}
