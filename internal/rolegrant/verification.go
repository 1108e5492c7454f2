// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// The platform's verdict on a role (ARCHITECTURE.md, "Verification"): the platform assumes the
// role itself; the grant only waits for the verdict, or asks for a new one.

// Poll bounds the pause between two reads of the verdict: it starts at Poll.First and doubles up
// to Poll.Max. The platform retries a refusal within its own window (1 s doubling to 15 s), so
// reading more often than that only costs requests.
type Poll struct {
	First, Max time.Duration
}

// DefaultPoll is the backoff of AwaitVerification and Reverify.
var DefaultPoll = Poll{First: 250 * time.Millisecond, Max: 5 * time.Second}

// VerificationTimeoutError says that the wait for a verdict ended (the caller's deadline) before
// the platform gave one, or before a refusal turned into verified. Last is the account as last
// read, nil when it could not be read at all.
type VerificationTimeoutError struct {
	Last *client.AWSAccount
	Err  error
}

func (e *VerificationTimeoutError) Error() string {
	msg := "the platform gave no verdict on the role in time"
	if e.Last != nil && e.Last.Verification.Message != "" {
		msg += " (last: " + string(e.Last.Verification.State) + ": " + e.Last.Verification.Message + ")"
	}
	return msg + ": " + e.Err.Error()
}

func (e *VerificationTimeoutError) Unwrap() error { return e.Err }

// Settled reports whether a verification is a verdict: verified, failed or unavailable.
func Settled(v client.Verification) bool {
	return v.State != client.VerificationPending && v.State != ""
}

// AwaitVerification reads the target's account until the platform's verification is settled,
// backing off as p says, and returns the account. It is bounded by ctx: when ctx ends first, the
// error is a *VerificationTimeoutError. The platform's errors are *PlatformError.
func (g *Grantor) AwaitVerification(ctx context.Context, t Target, p Poll) (*client.AWSAccount, error) {
	var last *client.AWSAccount
	pause := p.First
	for {
		rec, err := g.platform.AWSAccounts.Get(ctx, t.Customer, t.AccountID)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, &VerificationTimeoutError{Last: last, Err: ctx.Err()}
		case err != nil:
			return last, platformError(err, "reading the verification of AWS account %s of customer %q", t.AccountID, t.Customer)
		case Settled(rec.Verification):
			return rec, nil
		}
		last = rec
		if err := sleep(ctx, pause); err != nil {
			return last, &VerificationTimeoutError{Last: last, Err: err}
		}
		pause = min(2*pause, p.Max)
	}
}

// Reverify asks the platform to verify the target's role now (POST …/verify) and returns the
// account with the verdict. With propagating set, the role's trust was just changed: IAM takes a
// while to let a changed trust through (10-30 s), so a refusal, and STS not answering, are asked
// again with p's backoff until ctx ends (then the last refusal is returned, with a nil error).
// Without it, one verdict is the answer. The platform's errors are *PlatformError.
func (g *Grantor) Reverify(ctx context.Context, t Target, propagating bool, p Poll) (*client.AWSAccount, error) {
	var last *client.AWSAccount
	pause := p.First
	for {
		rec, err := g.platform.AWSAccounts.Verify(ctx, t.Customer, t.AccountID)
		if err == nil {
			last = rec
			if !propagating || rec.Verification.State != client.VerificationFailed {
				return rec, nil
			}
		} else if ctx.Err() == nil && (!propagating || !unanswered(err)) {
			return nil, platformError(err, "verifying the role of AWS account %s of customer %q", t.AccountID, t.Customer)
		}
		if ctx.Err() == nil {
			_ = sleep(ctx, pause)
			pause = min(2*pause, p.Max)
		}
		if ctx.Err() != nil {
			// Out of time: the last refusal is the verdict; without one there is none.
			if last == nil {
				return nil, &VerificationTimeoutError{Err: ctx.Err()}
			}
			return last, nil
		}
	}
}

// unanswered reports the 503 of a verification that STS did not answer: no verdict.
func unanswered(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusServiceUnavailable
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
