// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// MasterTokenTTL is how long a server trusts the master token it last read from the database.
// Every server on a database checks the master token against it, so that a rotation on one
// reaches all of them within this time: the old token is refused everywhere, the new one taken.
const MasterTokenTTL = 2 * time.Second

// masterTokenCache is the database's master token, read again when the copy is older than ttl. The
// copy is read without a lock; only its refresh takes one, so that one request reads the
// database and the others wait for it rather than all reading at once.
type masterTokenCache struct {
	st      store.Store
	ttl     time.Duration
	current atomic.Pointer[masterCopy]
	mu      sync.Mutex
}

type masterCopy struct {
	token string // "" when the database has none
	read  time.Time
}

func newMasterTokenCache(st store.Store, ttl time.Duration) *masterTokenCache {
	return &masterTokenCache{st: st, ttl: ttl}
}

// get is the master token as the database had it at most ttl ago. Should the database not
// answer, it fails rather than trust an old copy: a rotated token must not outlive ttl.
func (m *masterTokenCache) get(ctx context.Context) (string, error) {
	if c := m.current.Load(); c != nil && time.Since(c.read) < m.ttl {
		return c.token, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.current.Load(); c != nil && time.Since(c.read) < m.ttl {
		return c.token, nil
	}
	return m.refresh(ctx)
}

// refresh reads the token from the database now; the caller holds mu, or needs no copy older
// than this request (GET /v1/master-token).
func (m *masterTokenCache) refresh(ctx context.Context) (string, error) {
	read := time.Now()
	token, err := m.st.ReadMasterToken(ctx)
	if errors.Is(err, store.ErrNotFound) {
		token, err = "", nil
	}
	if err != nil {
		return "", err
	}
	m.keep(&masterCopy{token: token, read: read})
	return token, nil
}

// set records a token this server has just stored, so that it takes effect here at once.
func (m *masterTokenCache) set(token string) {
	m.keep(&masterCopy{token: token, read: time.Now()})
}

// keep replaces the copy unless it is newer, so that a read that began before a rotation here
// cannot bring back the token the rotation replaced.
func (m *masterTokenCache) keep(c *masterCopy) {
	for {
		old := m.current.Load()
		if old != nil && old.read.After(c.read) {
			return
		}
		if m.current.CompareAndSwap(old, c) {
			return
		}
	}
}

// seedMasterToken stores token as the master token when the store has none yet.
func seedMasterToken(st store.Store, token string) error {
	if token == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := st.MasterToken(ctx, token); err != nil {
		return fmt.Errorf("server: storing the master token: %w", err)
	}
	return nil
}

func (s *Server) getMasterToken(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("reading the master token"); err != nil {
		return err
	}
	token, err := s.masterToken.refresh(r.Context())
	if err != nil {
		return err
	}
	if token == "" {
		return errorf(http.StatusNotFound, "not_found", "there is no master token: virtco-server mints one when it starts")
	}
	writeJSON(w, http.StatusOK, apiv1.MasterToken{MasterToken: token})
	return nil
}

// rotateMasterToken replaces the master token. The old one stops working on this server at once,
// and on every other server on the database within MasterTokenTTL.
func (s *Server) rotateMasterToken(w http.ResponseWriter, r *http.Request, p principal) error {
	auditEntryFrom(r).Target = "master_token"
	if err := p.requireOps("rotating the master token"); err != nil {
		return err
	}
	var in struct{}
	if err := decode(r, &in, true); err != nil {
		return err
	}
	render := func(wr store.Written) store.Answer {
		return jsonAnswer(http.StatusOK, apiv1.MasterToken{MasterToken: wr.MasterToken}, nil)
	}
	recordAnswer(r, render)
	token := NewMasterToken()
	if err := s.store.SetMasterToken(r.Context(), token); err != nil {
		return err
	}
	s.masterToken.set(token)
	sendAnswer(w, render(store.Written{MasterToken: token}))
	return nil
}
