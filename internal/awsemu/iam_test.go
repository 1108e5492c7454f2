// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// TestRoleLifecycle walks a role through everything the provider does to
// one, and destroys it in the order IAM insists on.
func TestRoleLifecycle(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	c, _ := clients(srv, customerAcct)
	const name = "virtco-diagnostics-readonly"
	trust := trustPolicy("arn:aws:iam::"+diagAcct+":root", "ext-1234")

	created, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		Path:                     aws.String("/virtco/"),
		AssumeRolePolicyDocument: aws.String(trust),
		Description:              aws.String(`Read-only "diagnostics" access & more`),
		MaxSessionDuration:       aws.Int32(7200),
		Tags:                     []types.Tag{{Key: aws.String("customer"), Value: aws.String("acme.com")}, {Key: aws.String("managed-by"), Value: aws.String("terraform")}},
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	r := created.Role
	if got, want := aws.ToString(r.Arn), "arn:aws:iam::"+customerAcct+":role/virtco/"+name; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(aws.ToString(r.RoleId)) {
		t.Errorf("RoleId %q is not AROA + 17 upper-case alphanumerics", aws.ToString(r.RoleId))
	}
	if r.CreateDate == nil || r.CreateDate.IsZero() {
		t.Errorf("CreateDate missing")
	}
	if len(r.Tags) != 2 {
		t.Errorf("CreateRole returned tags %v", r.Tags)
	}

	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	r = got.Role
	if aws.ToString(r.Path) != "/virtco/" || aws.ToInt32(r.MaxSessionDuration) != 7200 ||
		aws.ToString(r.Description) != `Read-only "diagnostics" access & more` || r.RoleLastUsed == nil || len(r.Tags) != 2 {
		t.Errorf("GetRole returned %+v", r)
	}
	// The trust policy comes back URL-encoded, as from real IAM.
	encoded := aws.ToString(r.AssumeRolePolicyDocument)
	if !strings.HasPrefix(encoded, "%7B") {
		t.Errorf("AssumeRolePolicyDocument is not URL-encoded: %s", encoded)
	}
	decoded, err := url.QueryUnescape(encoded)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(semanticJSON(t, decoded), semanticJSON(t, trust)) {
		t.Errorf("trust policy changed meaning:\n got %s\nwant %s", decoded, trust)
	}

	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("virtco-read"), PolicyDocument: aws.String(readPolicy)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatalf("AttachRolePolicy: %v", err)
	}
	pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil || !reflect.DeepEqual(pols.PolicyNames, []string{"virtco-read"}) || pols.IsTruncated {
		t.Errorf("ListRolePolicies = %+v, %v", pols, err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("ListAttachedRolePolicies = %+v, %v", att, err)
	}

	// Updates.
	newTrust := trustPolicy(diagAcct, "ext-5678")
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}
	if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(name), Description: aws.String("changed"), MaxSessionDuration: aws.Int32(3600)}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	if out, err := c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String(name), Description: aws.String("changed again")}); err != nil || aws.ToString(out.Role.Description) != "changed again" {
		t.Fatalf("UpdateRoleDescription: %+v, %v", out, err)
	}
	if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: []types.Tag{{Key: aws.String("Customer"), Value: aws.String("acme.org")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatalf("TagRole: %v", err)
	}
	if _, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: []string{"managed-by"}}); err != nil {
		t.Fatalf("UntagRole: %v", err)
	}
	tags, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("ListRoleTags: %v", err)
	}
	gotTags := map[string]string{}
	for _, tg := range tags.Tags {
		gotTags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	// Tag keys are case-insensitive: "Customer" replaced "customer".
	if want := map[string]string{"Customer": "acme.org", "env": "prod"}; !reflect.DeepEqual(gotTags, want) {
		t.Errorf("tags = %v, want %v", gotTags, want)
	}
	if _, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(name), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatalf("PutRolePermissionsBoundary: %v", err)
	}
	got, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil || got.Role.PermissionsBoundary == nil || aws.ToString(got.Role.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::aws:policy/ReadOnlyAccess" ||
		got.Role.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("GetRole after PutRolePermissionsBoundary: %+v, %v", got, err)
	}
	if _, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(name)}); err != nil {
		t.Fatalf("DeleteRolePermissionsBoundary: %v", err)
	}

	// The emulator's own view agrees.
	snap, ok := srv.Emulator.Role(customerAcct, strings.ToUpper(name))
	if !ok {
		t.Fatal("Role snapshot missing")
	}
	wantSnap := awsemu.RoleSnapshot{
		Account: customerAcct, Name: name, Path: "/virtco/", ARN: "arn:aws:iam::" + customerAcct + ":role/virtco/" + name,
		Description: "changed again", MaxSessionDuration: 3600,
		Tags:             map[string]string{"Customer": "acme.org", "env": "prod"},
		InlinePolicies:   map[string]string{"virtco-read": readPolicy},
		AttachedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		InstanceProfiles: []string{},
	}
	snap.RoleID, snap.CreateDate = "", wantSnap.CreateDate
	// Account ids in principals come back as root ARNs, as from IAM.
	if want := trustPolicy("arn:aws:iam::"+diagAcct+":root", "ext-5678"); !reflect.DeepEqual(semanticJSON(t, snap.TrustPolicy), semanticJSON(t, want)) {
		t.Errorf("TrustPolicy = %s, want %s", snap.TrustPolicy, want)
	}
	snap.TrustPolicy = ""
	if !reflect.DeepEqual(snap, wantSnap) {
		t.Errorf("snapshot:\n got %+v\nwant %+v", snap, wantSnap)
	}

	// An instance profile holding the role.
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip1")}); err != nil {
		t.Fatalf("CreateInstanceProfile: %v", err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip1"), RoleName: aws.String(name)}); err != nil {
		t.Fatalf("AddRoleToInstanceProfile: %v", err)
	}
	ips, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
	if err != nil || len(ips.InstanceProfiles) != 1 || len(ips.InstanceProfiles[0].Roles) != 1 {
		t.Fatalf("ListInstanceProfilesForRole = %+v, %v", ips, err)
	}
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ip1")})
	var dc *types.DeleteConflictException
	if !errors.As(err, &dc) {
		t.Fatalf("DeleteInstanceProfile with a role: want DeleteConflict, got %v", err)
	}

	// Destroy, in IAM's order: each step's DeleteConflict names what is left.
	steps := []struct {
		wantMsg string
		fix     func() error
	}{
		{"must remove roles from instance profile first", func() error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("ip1"), RoleName: aws.String(name)})
			return err
		}},
		{"must detach all policies first", func() error {
			_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}},
		{"must delete policies first", func() error {
			_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("virtco-read")})
			return err
		}},
	}
	for _, s := range steps {
		_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		if !errors.As(err, &dc) || !strings.Contains(dc.ErrorMessage(), s.wantMsg) {
			t.Fatalf("DeleteRole: want DeleteConflict %q, got %v", s.wantMsg, err)
		}
		if err := s.fix(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetRole after delete: want NoSuchEntity, got %v", err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); !errors.As(err, &nse) {
		t.Fatalf("DeleteRole twice: want NoSuchEntity, got %v", err)
	}
	if _, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ip1")}); err != nil {
		t.Fatalf("DeleteInstanceProfile: %v", err)
	}
	if len(srv.Emulator.Roles(customerAcct)) != 0 {
		t.Errorf("roles left: %+v", srv.Emulator.Roles(customerAcct))
	}
}

// TestErrorsAsTheSDKSeesThem checks that each error arrives as the modelled
// exception type the SDK maps the code to, so callers' errors.As work.
func TestErrorsAsTheSDKSeesThem(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	c, _ := clients(srv, customerAcct)
	createRole(t, c, "Existing")

	create := func(name, doc string) error {
		_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)})
		return err
	}
	good := trustPolicy("arn:aws:iam::"+diagAcct+":root", "x1")

	var exists *types.EntityAlreadyExistsException
	if err := create("existing", good); !errors.As(err, &exists) { // names are case-insensitive
		t.Errorf("duplicate CreateRole: want EntityAlreadyExists, got %v", err)
	}

	malformed := map[string]string{
		"not json":          `{"Version": "2012-10-17", "Statement": [`,
		"no version":        `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}`,
		"no statement":      `{"Version": "2012-10-17"}`,
		"bad principal":     trustPolicy("not-an-arn", ""),
		"bad account":       trustPolicy("12345", ""),
		"resource in trust": `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"}]}`,
		"no principal":      `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}`,
		"bad effect":        `{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "sts:AssumeRole"}]}`,
		"non-sts action":    `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}`,
	}
	for what, doc := range malformed {
		var mp *types.MalformedPolicyDocumentException
		if err := create("r-"+strings.ReplaceAll(what, " ", "-"), doc); !errors.As(err, &mp) {
			t.Errorf("%s: want MalformedPolicyDocument, got %v", what, err)
		}
	}
	var mp *types.MalformedPolicyDocumentException
	if err := create("r1", trustPolicy("arn:aws:iam::123:root", "")); !errors.As(err, &mp) || !strings.Contains(mp.ErrorMessage(), "Invalid principal in policy") {
		t.Errorf("invalid principal: got %v", err)
	}
	// Accepted spellings: lists, a service principal, "*", a role ARN, an account id.
	okDocs := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/a/b"]},"Action":["sts:AssumeRole","sts:TagSession"]}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`,
	}
	for i, doc := range okDocs {
		if err := create(fmt.Sprintf("ok-%d", i), doc); err != nil {
			t.Errorf("valid trust policy %d refused: %v", i, err)
		}
	}

	for what, in := range map[string]*iam.CreateRoleInput{
		"bad name":        {RoleName: aws.String("no spaces allowed"), AssumeRolePolicyDocument: aws.String(good)},
		"long name":       {RoleName: aws.String(strings.Repeat("a", 65)), AssumeRolePolicyDocument: aws.String(good)},
		"bad path":        {RoleName: aws.String("p"), Path: aws.String("no-slashes"), AssumeRolePolicyDocument: aws.String(good)},
		"short session":   {RoleName: aws.String("p"), MaxSessionDuration: aws.Int32(60), AssumeRolePolicyDocument: aws.String(good)},
		"long session":    {RoleName: aws.String("p"), MaxSessionDuration: aws.Int32(43201), AssumeRolePolicyDocument: aws.String(good)},
		"duplicate tags":  {RoleName: aws.String("p"), AssumeRolePolicyDocument: aws.String(good), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}},
		"bad boundary":    {RoleName: aws.String("p"), AssumeRolePolicyDocument: aws.String(good), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/nope")},
		"boundary format": {RoleName: aws.String("p"), AssumeRolePolicyDocument: aws.String(good), PermissionsBoundary: aws.String("not-an-arn-at-all-here")},
	} {
		_, err := c.CreateRole(ctx, in)
		want := "ValidationError"
		switch what {
		case "duplicate tags", "boundary format":
			want = "InvalidInput"
		case "bad boundary":
			want = "NoSuchEntity"
		}
		if apiCode(err) != want {
			t.Errorf("%s: want %s, got %v", what, want, err)
		}
	}

	var nse *types.NoSuchEntityException
	if _, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("Existing"), PolicyName: aws.String("nope")}); !errors.As(err, &nse) {
		t.Errorf("GetRolePolicy of a missing policy: want NoSuchEntity, got %v", err)
	}
	if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("Existing"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); !errors.As(err, &nse) {
		t.Errorf("DetachRolePolicy of an unattached policy: want NoSuchEntity, got %v", err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Existing"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")}); !errors.As(err, &nse) {
		t.Errorf("AttachRolePolicy of an unknown policy: want NoSuchEntity, got %v", err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Existing"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readPolicy[:20])}); !errors.As(err, &mp) {
		t.Errorf("PutRolePolicy with broken JSON: want MalformedPolicyDocument, got %v", err)
	}
	withPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Existing"), PolicyName: aws.String("p"), PolicyDocument: aws.String(withPrincipal)}); !errors.As(err, &mp) {
		t.Errorf("PutRolePolicy with a principal: want MalformedPolicyDocument, got %v", err)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["` + strings.Repeat("x", 11000) + `"]}]}`
	var le *types.LimitExceededException
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Existing"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)}); !errors.As(err, &le) {
		t.Errorf("oversized inline policy: want LimitExceeded, got %v", err)
	}

	// Eleven managed policies exceed the default quota of ten per role.
	for i := 0; i < 11; i++ {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
		p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%02d", i)), PolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatalf("CreatePolicy: %v", err)
		}
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Existing"), PolicyArn: p.Policy.Arn})
		if i < 10 && err != nil {
			t.Fatalf("AttachRolePolicy %d: %v", i, err)
		}
		if i == 10 && !errors.As(err, &le) {
			t.Errorf("11th AttachRolePolicy: want LimitExceeded, got %v", err)
		}
	}
}

// TestPolicyDocumentsURLEncoded checks the round trip of policy documents:
// they travel form-encoded to IAM and come back URL-encoded, verbatim for
// inline policies, and the SDK does not decode them.
func TestPolicyDocumentsURLEncoded(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	c, _ := clients(srv, customerAcct)
	createRole(t, c, "r")
	// Characters that form and URL encoding treat specially, and whitespace.
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n" +
		"    \"Resource\": \"arn:aws:s3:::bucket/a+b c&d=e%f?g#h/ü\"}]\n}"
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	raw := aws.ToString(out.PolicyDocument)
	if strings.ContainsAny(raw, "{}\" +&") {
		t.Errorf("PolicyDocument is not URL-encoded: %s", raw)
	}
	for name, unescape := range map[string]func(string) (string, error){"QueryUnescape": url.QueryUnescape, "PathUnescape": url.PathUnescape} {
		back, err := unescape(raw)
		if err != nil || back != doc {
			t.Errorf("%s gives %q, %v; want the document verbatim", name, back, err)
		}
	}
	if aws.ToString(out.RoleName) != "r" || aws.ToString(out.PolicyName) != "p" {
		t.Errorf("GetRolePolicy = %+v", out)
	}
}

// TestAccountIsolation: the access key id chooses the account, and accounts
// do not see each other's roles.
func TestAccountIsolation(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	a, aSTS := clients(srv, customerAcct)
	b, bSTS := clients(srv, otherAcct)
	d, dSTS := clients(srv, "AKIAIOSFODNN7EXAMPLE")

	createRole(t, a, "shared-name")
	var nse *types.NoSuchEntityException
	if _, err := b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("shared-name")}); !errors.As(err, &nse) {
		t.Fatalf("account B sees account A's role: %v", err)
	}
	createRole(t, b, "shared-name") // no conflict across accounts
	createRole(t, d, "default-role")

	for _, tc := range []struct {
		c          *iam.Client
		role, acct string
	}{{a, "shared-name", customerAcct}, {b, "shared-name", otherAcct}, {d, "default-role", "000000000000"}} {
		out, err := tc.c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(tc.role)})
		if err != nil || aws.ToString(out.Role.Arn) != "arn:aws:iam::"+tc.acct+":role/"+tc.role {
			t.Errorf("GetRole %s as %s: %v, %v", tc.role, tc.acct, out, err)
		}
	}
	checkIdentity(t, aSTS, customerAcct, "arn:aws:iam::"+customerAcct+":user/emulator")
	checkIdentity(t, bSTS, otherAcct, "arn:aws:iam::"+otherAcct+":user/emulator")
	checkIdentity(t, dSTS, "000000000000", "arn:aws:iam::000000000000:user/emulator")

	if n := len(srv.Emulator.Roles(customerAcct)); n != 1 {
		t.Errorf("account A has %d roles", n)
	}
	if got := srv.Emulator.Accounts(); !reflect.DeepEqual(got, []string{"000000000000", customerAcct, otherAcct}) {
		t.Errorf("Accounts() = %v", got)
	}
}

// TestPaginators walks the SDK paginators over several pages.
func TestPaginators(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	c, _ := clients(srv, customerAcct)
	var want []string
	for i := 0; i < 7; i++ {
		name := fmt.Sprintf("role-%d", i)
		want = append(want, name)
		path := "/a/"
		if i%2 == 1 {
			path = "/b/"
		}
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trustPolicy(diagAcct, ""))}); err != nil {
			t.Fatal(err)
		}
	}

	var names []string
	pages := 0
	for p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(3)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
			if r.Tags != nil || r.RoleLastUsed != nil {
				t.Errorf("ListRoles returned fields IAM leaves out: %+v", r)
			}
		}
	}
	if pages != 3 || !reflect.DeepEqual(names, want) {
		t.Errorf("ListRoles: %d pages, %v", pages, names)
	}
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/b/")})
	if err != nil || len(out.Roles) != 3 {
		t.Errorf("ListRoles PathPrefix /b/: %v, %v", out, err)
	}

	var wantPols, wantArns []string
	for i := 0; i < 5; i++ {
		pn := fmt.Sprintf("inline-%d", i)
		wantPols = append(wantPols, pn)
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role-0"), PolicyName: aws.String(pn), PolicyDocument: aws.String(readPolicy)}); err != nil {
			t.Fatal(err)
		}
		p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("managed-%d", i)), PolicyDocument: aws.String(readPolicy)})
		if err != nil {
			t.Fatal(err)
		}
		wantArns = append(wantArns, aws.ToString(p.Policy.Arn))
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("role-0"), PolicyArn: p.Policy.Arn}); err != nil {
			t.Fatal(err)
		}
	}
	var gotPols []string
	pages = 0
	for p := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String("role-0"), MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		gotPols = append(gotPols, out.PolicyNames...)
	}
	if pages != 3 || !reflect.DeepEqual(gotPols, wantPols) {
		t.Errorf("ListRolePolicies: %d pages, %v", pages, gotPols)
	}
	var gotArns []string
	pages = 0
	for p := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("role-0"), MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.AttachedPolicies {
			gotArns = append(gotArns, aws.ToString(a.PolicyArn))
		}
	}
	if pages != 3 || !reflect.DeepEqual(gotArns, wantArns) {
		t.Errorf("ListAttachedRolePolicies: %d pages, %v", pages, gotArns)
	}
	if _, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(0)}); apiCode(err) != "ValidationError" {
		t.Errorf("MaxItems 0: want ValidationError, got %v", err)
	}
}

// TestManagedPolicies covers the minimal CreatePolicy/GetPolicy/DeletePolicy.
func TestManagedPolicies(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	c, _ := clients(srv, customerAcct)
	other, _ := clients(srv, otherAcct)
	createRole(t, c, "r")

	p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"), Path: aws.String("/virtco/"), PolicyDocument: aws.String(readPolicy), Description: aws.String("d")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(p.Policy.Arn)
	if arn != "arn:aws:iam::"+customerAcct+":policy/virtco/boundary" || aws.ToString(p.Policy.DefaultVersionId) != "v1" {
		t.Errorf("CreatePolicy = %+v", p.Policy)
	}
	var exists *types.EntityAlreadyExistsException
	if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Boundary"), PolicyDocument: aws.String(readPolicy)}); !errors.As(err, &exists) {
		t.Errorf("duplicate CreatePolicy: %v", err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Errorf("GetPolicy = %+v, %v", got, err)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); doc != readPolicy {
		t.Errorf("GetPolicyVersion document = %q", doc)
	}
	var dc *types.DeleteConflictException
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}); !errors.As(err, &dc) {
		t.Errorf("DeletePolicy while attached: want DeleteConflict, got %v", err)
	}
	// Another account can neither see nor attach it.
	var nse *types.NoSuchEntityException
	createRole(t, other, "r")
	if _, err := other.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}); !errors.As(err, &nse) {
		t.Errorf("cross-account AttachRolePolicy: want NoSuchEntity, got %v", err)
	}
	if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}); !errors.As(err, &nse) {
		t.Errorf("GetPolicy after delete: want NoSuchEntity, got %v", err)
	}
	admin, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	if err != nil || aws.ToString(admin.Policy.PolicyName) != "AdministratorAccess" {
		t.Errorf("GetPolicy AdministratorAccess = %+v, %v", admin, err)
	}
}
