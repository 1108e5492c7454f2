// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

// CallStats is a snapshot of the calls the emulator has received. Every
// request with an Action counts, including the ones answered with an injected
// fault, because each is a round trip the client paid for (a throttled call
// retried three times is four calls).
type CallStats struct {
	// Total is the number of calls.
	Total int `json:"total"`
	// ByService counts calls per service ("iam", "sts").
	ByService map[string]int `json:"by_service"`
	// ByAction counts calls per "service:Action", e.g. "iam:CreateRole".
	ByAction map[string]int `json:"by_action"`
	// ByAccount counts calls per caller account id (calls that could not be
	// attributed to an account, such as unsigned ones, are left out).
	ByAccount map[string]int `json:"by_account"`
	// ByAccountAction counts calls per account, then per "service:Action".
	ByAccountAction map[string]map[string]int `json:"by_account_action"`
	// Errors counts error answers per error code ("Throttling", "NoSuchEntity", ...).
	Errors map[string]int `json:"errors"`
	// ErrorsByService and ErrorsByAccount count the same answers per service, or per caller
	// account, then per code: how many of the throttled calls that clients retried were IAM's or
	// STS's, and whose.
	ErrorsByService map[string]map[string]int `json:"errors_by_service"`
	ErrorsByAccount map[string]map[string]int `json:"errors_by_account"`
}

// Action returns the number of calls of one action, e.g. Action("iam", "GetRole").
func (s CallStats) Action(service, action string) int { return s.ByAction[service+":"+action] }

type callCounter struct{ s CallStats }

func newCallCounter() callCounter {
	return callCounter{CallStats{
		ByService:       map[string]int{},
		ByAction:        map[string]int{},
		ByAccount:       map[string]int{},
		ByAccountAction: map[string]map[string]int{},
		Errors:          map[string]int{},
		ErrorsByService: map[string]map[string]int{},
		ErrorsByAccount: map[string]map[string]int{},
	}}
}

func (c *callCounter) count(service, action, acct string) {
	if action == "" {
		action = "(none)"
	}
	key := service + ":" + action
	c.s.Total++
	c.s.ByService[service]++
	c.s.ByAction[key]++
	if acct != "" {
		c.s.ByAccount[acct]++
		countIn(c.s.ByAccountAction, acct, key)
	}
}

func (c *callCounter) countError(service, acct, code string) {
	c.s.Errors[code]++
	countIn(c.s.ErrorsByService, service, code)
	if acct != "" {
		countIn(c.s.ErrorsByAccount, acct, code)
	}
}

// countIn adds one to m[outer][inner].
func countIn(m map[string]map[string]int, outer, inner string) {
	if m[outer] == nil {
		m[outer] = map[string]int{}
	}
	m[outer][inner]++
}

// Calls returns a snapshot of the call counts since New or the last ResetCalls.
func (e *Emulator) Calls() CallStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.calls.s
	out := CallStats{
		Total:           s.Total,
		ByService:       copyCounts(s.ByService),
		ByAction:        copyCounts(s.ByAction),
		ByAccount:       copyCounts(s.ByAccount),
		ByAccountAction: make(map[string]map[string]int, len(s.ByAccountAction)),
		Errors:          copyCounts(s.Errors),
		ErrorsByService: copyNested(s.ErrorsByService),
		ErrorsByAccount: copyNested(s.ErrorsByAccount),
	}
	for k, v := range s.ByAccountAction {
		out.ByAccountAction[k] = copyCounts(v)
	}
	return out
}

// ResetCalls sets every call count back to zero.
func (e *Emulator) ResetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = newCallCounter()
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyNested(m map[string]map[string]int) map[string]map[string]int {
	out := make(map[string]map[string]int, len(m))
	for k, v := range m {
		out[k] = copyCounts(v)
	}
	return out
}
