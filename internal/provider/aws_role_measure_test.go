package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// The measure, through the real terraform CLI and a provider binary built from this
// module (as people run it, with its real retry and wait settings): the IAM calls of one role's
// create, read (a plan's refresh) and destroy, and the time of an apply and a destroy of 20 roles.
// It logs them (go test -v -run TestAccAWSRole_measure) and asserts nothing about time.
func TestAccAWSRole_measure(t *testing.T) {
	s := startServer(t)
	tf := terraformCLI(t)
	emu := awsemu.NewServer(t, awsemu.Options{})
	env := cliEnv(devOverrides(t))

	provider := fmt.Sprintf(`
terraform {
  required_providers {
    virtco = { source = "virtasant/virtco" }
  }
}

provider "virtco" {
  endpoint = %q
  api_key  = %q
  aws {
    access_key = %q
    secret_key = "emulator-secret"
    endpoints {
      iam = %q
      sts = %q
    }
  }
}
`, s.URL, s.OpsKey, testAccount, emu.URL, emu.URL)

	run := func(dir string, args ...string) time.Duration {
		t.Helper()
		cmd := exec.Command(tf, append(args, "-no-color", "-input=false")...)
		cmd.Dir, cmd.Env = dir, env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return d
	}
	// calls returns the IAM and STS calls since the last call of calls, as "n (Action n, ...)".
	calls := func() (int, string) {
		c := emu.Emulator.Calls()
		emu.Emulator.ResetCalls()
		var parts []string
		for k, n := range c.ByAction {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(parts)
		return c.ByService["iam"], strings.Join(parts, ", ")
	}
	write := func(dir, config string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// One role.
	one := t.TempDir()
	s.provision(t, "one.example.com", "Diag3")
	write(one, provider+`
resource "virtco_aws_role" "r" {
  customer = "one.example.com"
}
`)
	emu.Emulator.ResetCalls()
	run(one, "apply", "-auto-approve")
	createN, create := calls()
	run(one, "plan", "-detailed-exitcode") // exit status 0: no changes
	readN, read := calls()
	run(one, "destroy", "-auto-approve", "-refresh=false")
	deleteN, del := calls()
	t.Logf("IAM calls of one role: create %d (%s); read %d (%s); destroy %d (%s)", createN, create, readN, read, deleteN, del)
	if createN == 0 || readN == 0 || deleteN == 0 {
		t.Errorf("no IAM calls counted: create %d, read %d, destroy %d", createN, readN, deleteN)
	}

	// Twenty roles, one per customer (the platform registers one role per customer and account),
	// with Terraform's default parallelism (10).
	const n = 20
	many := t.TempDir()
	var b strings.Builder
	b.WriteString(provider)
	for i := range n {
		c := fmt.Sprintf("c%02d.example.com", i)
		s.provision(t, c, "Diag3")
		fmt.Fprintf(&b, "\nresource \"virtco_aws_role\" \"r%02d\" {\n  customer  = %q\n  role_name = \"virtco-diag-%02d\"\n}\n", i, c, i)
	}
	write(many, b.String())
	emu.Emulator.ResetCalls()
	applyTime := run(many, "apply", "-auto-approve")
	applyN, _ := calls()
	if got := len(emu.Emulator.Roles(testAccount)); got != n {
		t.Errorf("%d roles after apply, want %d", got, n)
	}
	planTime := run(many, "plan", "-detailed-exitcode")
	planN, _ := calls()
	destroyTime := run(many, "destroy", "-auto-approve")
	destroyN, _ := calls()
	t.Logf("%d roles: apply %s (%d IAM calls), plan %s (%d), destroy %s (%d, with its refresh)",
		n, applyTime.Round(time.Millisecond), applyN, planTime.Round(time.Millisecond), planN, destroyTime.Round(time.Millisecond), destroyN)
	if got := len(emu.Emulator.Roles(testAccount)); got != 0 {
		t.Errorf("%d roles after destroy", got)
	}
	for i := range n {
		if list, err := s.ops.AWSAccounts.List(ctx, fmt.Sprintf("c%02d.example.com", i)); err != nil || len(list) != 0 {
			t.Errorf("customer %d: accounts %v (%v) after destroy", i, list, err)
		}
	}
}
