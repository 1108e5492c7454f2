// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"net/http"
	"strings"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/readshare"
)

// sharedReads are the reads the resources of one provider process share (see readshare): a
// refresh of 40 customers of 5 users each reads the customers, with their users' keys, a few at a
// time, instead of with 240 requests. Every write through the process's client forgets them.
type sharedReads struct {
	customers *readshare.Batch[string, *client.Customer]
	// userKeys is whether the customers come with their users' keys: with a key that may read
	// them (ops, master). A user token may not, and reads users one by one, to be refused.
	userKeys bool
	client   *client.Client
}

// newSharedClient is the client of one provider process, with the reads its resources share.
func newSharedClient(cfg client.Config) (*client.Client, *sharedReads, error) {
	var epoch readshare.Epoch
	cfg.HTTPClient = &http.Client{Transport: epoch.Barrier(client.NewTransport())}
	c, err := client.New(&cfg)
	if err != nil {
		return nil, nil, err
	}
	opts := client.CustomerGetManyOptions{UserKeys: !strings.HasPrefix(cfg.APIKey, userTokenPrefix)}
	return c, &sharedReads{
		customers: readshare.NewBatch(&epoch, func(ctx context.Context, names []string) (map[string]*client.Customer, error) {
			return c.Customers.GetMany(ctx, names, opts)
		}),
		userKeys: opts.UserKeys,
		client:   c,
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
// exist. Terraform reads a customer before its users, so their read finds the answer kept.
func (s *sharedReads) user(ctx context.Context, customer, name string) (*client.User, error) {
	if !s.userKeys {
		return s.client.Users.Get(ctx, customer, name)
	}
	c, err := s.customer(ctx, customer)
	if err != nil {
		return nil, err
	}
	for i := range c.UserKeys {
		if c.UserKeys[i].Name == name {
			u := client.User(c.UserKeys[i])
			return &u, nil
		}
	}
	return nil, client.ErrNotFound
}
