// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"net/http"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/readshare"
)

// sharedReads are the reads the resources of one provider process share (see readshare): a
// refresh of 40 customers of 5 users each asks for the users once per customer, and for the
// customers a few times in all, instead of 240 times. Every write through the process's client
// forgets them.
type sharedReads struct {
	customers *readshare.Batch[string, *client.Customer]
	users     *readshare.Keyed[string, map[string]*client.User]
}

// newSharedClient is the client of one provider process, with the reads its resources share.
func newSharedClient(cfg client.Config) (*client.Client, *sharedReads, error) {
	var epoch readshare.Epoch
	cfg.HTTPClient = &http.Client{Transport: epoch.Barrier(client.NewTransport())}
	c, err := client.New(&cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, &sharedReads{
		customers: readshare.NewBatch(&epoch, c.Customers.GetMany),
		users: readshare.NewKeyed(&epoch, func(ctx context.Context, customer string) (map[string]*client.User, error) {
			list, err := c.Users.List(ctx, customer)
			if err != nil {
				return nil, err
			}
			byName := make(map[string]*client.User, len(list))
			for i := range list {
				byName[list[i].Name] = &list[i]
			}
			return byName, nil
		}),
	}, nil
}

// customer reads one customer as Customers.Get would: client.ErrNotFound when there is none.
func (s *sharedReads) customer(ctx context.Context, name string) (*client.Customer, error) {
	c, found, err := s.customers.Get(ctx, name)
	if err == nil && !found {
		err = client.ErrNotFound
	}
	return c, err
}

// user reads one user as Users.Get would: client.ErrNotFound when it, or its customer, does not
// exist.
func (s *sharedReads) user(ctx context.Context, customer, name string) (*client.User, error) {
	users, err := s.users.Get(ctx, customer)
	if err != nil {
		return nil, err
	}
	u, found := users[name]
	if !found {
		return nil, client.ErrNotFound
	}
	return u, nil
}
