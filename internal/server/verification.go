// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
	"github.com/virtasant/terraform-provider-virtco/internal/verifier"
)

// VerificationConfig says whether and how the server verifies the roles of done accounts
// (ARCHITECTURE.md, "Verification").
type VerificationConfig struct {
	// Verifier asks AWS; nil switches verification off, and every account reads unavailable.
	Verifier verifier.Verifier
	// Profiles names, per diag account, its profile in the shared AWS files; a diag account not
	// named uses the SDK's default chain.
	Profiles map[string]string
	// Timeout is how long refusals right after done are retried (IAM propagation); 0: 2m.
	Timeout time.Duration
	// Interval is how often every done account is verified again; 0: never.
	Interval time.Duration
	// Poll is how often the server looks for verifications that other servers scheduled; 0: 2s.
	Poll time.Duration
	// Workers is how many verifications run at once; 0: 4.
	Workers int
	// Backoff is the first pause between two attempts within the retry window; it doubles up to
	// MaxBackoff. 0: 1s and 15s.
	Backoff, MaxBackoff time.Duration
}

// Defaults of VerificationConfig.
const (
	DefaultVerifyTimeout  = 2 * time.Minute
	DefaultVerifyInterval = 6 * time.Hour
)

// verifyAttemptTimeout bounds one attempt (the SDK's retries of throttling included); the lease
// outlasts it, so that no other server starts on the account while it runs.
const (
	verifyAttemptTimeout = 30 * time.Second
	verifyLease          = verifyAttemptTimeout + 30*time.Second
)

// verification runs the server's verifications and renders their state.
type verification struct {
	cfg    VerificationConfig
	st     store.Store
	log    *slog.Logger
	holder string // this server, in lease holders

	nudge chan struct{}
	busy  chan struct{} // one token per verification under way
}

func newVerification(st store.Store, cfg VerificationConfig, log *slog.Logger) *verification {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultVerifyTimeout
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 15 * time.Second
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &verification{cfg: cfg, st: st, log: log, holder: "server-" + hex.EncodeToString(b),
		nudge: make(chan struct{}, 1), busy: make(chan struct{}, cfg.Workers)}
}

func (v *verification) on() bool { return v.cfg.Verifier != nil }

// offMessage is the message of every account while verification is off.
const offMessage = "verification is switched off on this server (--verify-roles=false)"

// account and customer show the verification as it is: stored, or unavailable while off.
func (v *verification) account(a store.AWSAccount) store.AWSAccount {
	if !v.on() {
		a.Verification = store.Verification{State: store.VerifyUnavailable, Message: offMessage}
	}
	return a
}

func (v *verification) customer(c store.Customer) store.Customer {
	accounts := make([]store.AWSAccount, len(c.Accounts))
	for i, a := range c.Accounts {
		accounts[i] = v.account(a)
	}
	c.Accounts = accounts
	return c
}

// retryUntil is the retry window of an account written done now.
func (v *verification) retryUntil() time.Time { return time.Now().Add(v.cfg.Timeout) }

// wake makes the loop look for due verifications now (an account was just written done).
func (v *verification) wake() {
	select {
	case v.nudge <- struct{}{}:
	default:
	}
}

// RunVerification verifies due accounts until ctx ends, then waits for the verifications under
// way, whose leases it gives back. It returns at once when verification is off.
func (s *Server) RunVerification(ctx context.Context) {
	v := s.verify
	if !v.on() {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan struct{}, v.cfg.Workers)
	for {
		// A read first: an idle server costs the database no write transaction per poll.
		next, due, err := v.st.NextVerificationDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.metrics.dbErrors.Inc()
			v.log.ErrorContext(ctx, "verification: cannot read the schedule", "error", err)
		}
		if free := v.cfg.Workers - len(v.busy); free > 0 && due && !next.After(time.Now()) {
			jobs, err := v.st.ClaimDueVerifications(ctx, v.lease(), verifyLease, free)
			if err != nil && ctx.Err() == nil {
				s.metrics.dbErrors.Inc()
				v.log.ErrorContext(ctx, "verification: cannot claim due accounts", "error", err)
			}
			for _, job := range jobs {
				v.busy <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() {
						<-v.busy
						select { // a wake-up, never a wait: the loop may have stopped
						case done <- struct{}{}:
						default:
						}
					}()
					v.run(ctx, job, false)
				}()
			}
		}
		wait := v.cfg.Poll
		if len(v.busy) < v.cfg.Workers {
			if next, due, err := v.st.NextVerificationDue(ctx); err == nil && due {
				wait = min(wait, max(time.Until(next), 10*time.Millisecond))
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-v.nudge:
			timer.Stop()
		case <-done:
			timer.Stop()
		}
	}
}

// lease is a holder name of its own for each claim, so that a verdict is recorded only by the
// claim that still holds the lease.
func (v *verification) lease() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return v.holder + "/" + hex.EncodeToString(b)
}

// run verifies one leased account and records the outcome. manual: asked for through the API,
// when a refusal is final at once. It returns the outcome's kind.
func (v *verification) run(ctx context.Context, job store.VerifyJob, manual bool) verifier.Outcome {
	actx, cancel := context.WithTimeout(ctx, verifyAttemptTimeout)
	res := v.ask(actx, job)
	cancel()
	now := time.Now()
	out := v.outcome(job, res, now, manual)
	if ctx.Err() != nil {
		// Shutting down: nothing was learnt; give the account back, due at once, to whichever
		// server runs next.
		out = store.VerifyOutcome{Verification: job.Verification, NextDue: now, RetryUntil: job.RetryUntil, Attempts: job.Attempts}
	}
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer wcancel()
	held, err := v.st.FinishVerification(wctx, job, out)
	switch {
	case err != nil:
		v.log.ErrorContext(ctx, "verification: cannot record the outcome", "customer", job.Customer, "account", job.AccountID, "error", err)
	case !held:
		v.log.InfoContext(ctx, "verification: the account changed meanwhile; outcome dropped", "customer", job.Customer, "account", job.AccountID)
	default:
		v.log.InfoContext(ctx, "verification", "customer", job.Customer, "account", job.AccountID, "outcome", res.Outcome.String(),
			"state", out.Verification.State, "attempt", job.Attempts+1)
	}
	return res.Outcome
}

func (v *verification) ask(ctx context.Context, job store.VerifyJob) verifier.Result {
	if job.Diag == nil {
		return verifier.Result{Outcome: verifier.NoCredentials, Message: fmt.Sprintf(
			"customer %q has no diagnostic account, so no account can assume the role; assign one (PUT /v1/customers/%s)", job.Customer, job.Customer)}
	}
	return v.cfg.Verifier.Verify(ctx, verifier.Request{
		DiagAccount: job.Diag.Name, DiagAccountID: job.Diag.AccountID, Profile: v.cfg.Profiles[job.Diag.Name], Region: job.Diag.Region,
		RoleARN: job.RoleARN, ExternalID: job.ExternalID, SessionName: verifier.SessionName(job.Customer),
	})
}

// outcome is what to record for what AWS answered: the verdict, and when to ask again.
func (v *verification) outcome(job store.VerifyJob, res verifier.Result, now time.Time, manual bool) store.VerifyOutcome {
	periodic := time.Time{}
	if v.cfg.Interval > 0 {
		periodic = now.Add(v.cfg.Interval)
	}
	diag := "the diagnostic account"
	if job.Diag != nil {
		diag = fmt.Sprintf("diagnostic account %s (%s)", job.Diag.Name, job.Diag.AccountID)
	}
	inWindow := !manual && now.Before(job.RetryUntil)
	retry := func(msg string) store.VerifyOutcome {
		next := now.Add(min(v.cfg.Backoff<<min(job.Attempts, 16), v.cfg.MaxBackoff))
		if inWindow && next.After(job.RetryUntil) {
			next = job.RetryUntil
		}
		prev := job.Verification
		prev.Message = msg
		return store.VerifyOutcome{Verification: prev, NextDue: next, RetryUntil: job.RetryUntil, Attempts: job.Attempts + 1}
	}
	switch res.Outcome {
	case verifier.Verified:
		return store.VerifyOutcome{NextDue: periodic, Verification: store.Verification{State: store.VerifyVerified, CheckedAt: now,
			AssumedRoleARN: res.AssumedRoleARN, Message: fmt.Sprintf("the platform assumed %s as %s with the customer's external id", job.RoleARN, diag)}}
	case verifier.Refused:
		if job.ExpiresAt != nil && !now.Before(*job.ExpiresAt) && res.Code == "AccessDenied" {
			// The trust's DateLessThan aws:CurrentTime doing its work: final, not a fault to retry.
			// Only a plain refusal: a role that let the platform in without the external id, or
			// as another identity, is assumable, and stays failed.
			return store.VerifyOutcome{NextDue: periodic, Verification: store.Verification{State: store.VerifyExpired, CheckedAt: now,
				Message: fmt.Sprintf("the role's access expired at %s: AWS refused sts:AssumeRole on %s as %s, as the role's trust "+
					"says (DateLessThan aws:CurrentTime): %s: %s. Move expires_at to a later time to restore access, or remove the role",
					job.ExpiresAt.UTC().Format(time.RFC3339), job.RoleARN, diag, res.Code, res.Message)}}
		}
		msg := refusedMessage(job, res, diag)
		if inWindow {
			return retry(fmt.Sprintf("attempt %d refused, retried until %s while IAM propagates: %s",
				job.Attempts+1, job.RetryUntil.UTC().Format(time.RFC3339), msg))
		}
		return store.VerifyOutcome{NextDue: periodic, Verification: store.Verification{State: store.VerifyFailed, CheckedAt: now, Message: msg}}
	case verifier.NoCredentials:
		return store.VerifyOutcome{NextDue: periodic, Verification: store.Verification{State: store.VerifyUnavailable, CheckedAt: now, Message: res.Message}}
	}
	return retry("STS did not answer; tried again shortly: " + res.Message)
}

// refusedMessage is AWS's code and message, and what to check.
func refusedMessage(job store.VerifyJob, res verifier.Result, diag string) string {
	principal := "the diagnostic account"
	if job.Diag != nil {
		principal = principalARN(*job.Diag)
	}
	if res.Code == verifier.CodeExternalIDNotRequired {
		return fmt.Sprintf("%s lets %s assume it without the customer's external id: %s. Anyone else the platform acts "+
			"for could then point it at this role. Put back the condition sts:ExternalId equal to the customer's external_id "+
			"in the role's trust policy (terraform apply does, for a role it manages)", job.RoleARN, diag, res.Message)
	}
	return fmt.Sprintf("AWS refused sts:AssumeRole on %s as %s: %s: %s. Check the role's trust policy: its principal must be %s, "+
		"its condition sts:ExternalId must equal the customer's external_id, and no SCP or permissions boundary may deny sts:AssumeRole",
		job.RoleARN, diag, res.Code, res.Message, principal)
}

// errVerifyBusy is the 409 of a manual verification that found another one under way too long.
var errVerifyBusy = errorf(http.StatusConflict, "conflict",
	"another verification of this account is under way; its outcome will be on the account shortly (GET it), or try again")

// verifyNow runs one verification of the account now, waiting a while for one under way.
func (v *verification) verifyNow(ctx context.Context, customer, accountID string) (verifier.Outcome, error) {
	wait := time.NewTimer(20 * time.Second)
	defer wait.Stop()
	for {
		job, err := v.st.ClaimVerification(ctx, customer, accountID, v.lease(), verifyLease)
		if err == nil {
			return v.run(ctx, job, true), nil
		}
		if errors.Is(err, store.ErrInvalid) {
			return 0, errorf(http.StatusConflict, "conflict", "%s", trimSentinel(err, store.ErrInvalid))
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-wait.C:
			return 0, errVerifyBusy
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Server) verifyAWSAccount(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireAccountWrite(r.PathValue("customer")); err != nil {
		return err
	}
	customer, accountID, err := accountPath(r, p)
	if err != nil {
		return err
	}
	if s.verify.on() {
		outcome, err := s.verify.verifyNow(r.Context(), customer, accountID)
		if err != nil {
			return err
		}
		if outcome == verifier.Unreachable {
			return errorf(http.StatusServiceUnavailable, "unavailable",
				"STS did not answer the verification of AWS account %s; its verification state is unchanged; try again", accountID)
		}
	}
	return s.sendAWSAccount(w, r, customer, accountID)
}

func verificationView(v store.Verification) apiv1.Verification {
	out := apiv1.Verification{State: apiv1.VerificationState(v.State), Message: v.Message, AssumedRoleARN: v.AssumedRoleARN}
	if !v.CheckedAt.IsZero() {
		at := v.CheckedAt
		out.CheckedAt = &at
	}
	return out
}

// verificationGauge reports the accounts by verification state when scraped, from the database,
// so that every server on a shared PostgreSQL reports the same numbers; the states are a closed set.
type verificationGauge struct {
	v      *verification
	errors prometheus.Counter
}

var verificationsDesc = prometheus.NewDesc("virtco_aws_account_verifications", "Registered AWS accounts by the platform's verification state.", []string{"state"}, nil)

func (g *verificationGauge) Describe(ch chan<- *prometheus.Desc) { ch <- verificationsDesc }

func (g *verificationGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := g.v.st.Counts(ctx)
	if err != nil {
		g.errors.Inc()
		ch <- prometheus.NewInvalidMetric(verificationsDesc, err)
		return
	}
	counts := c.Verifications
	if !g.v.on() {
		total := 0
		for _, n := range c.Roles {
			total += n
		}
		counts = map[string]int{store.VerifyUnavailable: total}
	}
	for _, state := range store.VerificationStates {
		ch <- prometheus.MustNewConstMetric(verificationsDesc, prometheus.GaugeValue, float64(counts[state]), state)
	}
}
