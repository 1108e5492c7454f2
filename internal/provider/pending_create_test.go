// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

func TestAnswerLost(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"a 502 after the server committed", &client.APIError{StatusCode: 502}, true},
		{"a connection reset", fmt.Errorf("PUT /v1/x: %w", client.ErrUnreachable), true},
		{"the deadline", fmt.Errorf("PUT /v1/x: %w", context.DeadlineExceeded), true},
		{"never connected", fmt.Errorf("%w: %w", client.ErrNotActed, client.ErrUnreachable), false},
		{"a 412", &client.APIError{StatusCode: 412}, false},
		{"a 403", &client.APIError{StatusCode: 403}, false},
	} {
		if got := answerLost(c.err); got != c.want {
			t.Errorf("%s: answerLost is %v", c.name, got)
		}
	}
}

func TestWithoutUnknowns(t *testing.T) {
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"id": tftypes.String, "token": tftypes.String, "tags": tftypes.Map{ElementType: tftypes.String},
	}}
	v := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":    tftypes.NewValue(tftypes.String, "joe@acme.com"),
		"token": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"tags":  tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, tftypes.UnknownValue),
	})
	got, err := withoutUnknowns(v)
	if err != nil {
		t.Fatal(err)
	}
	want := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":    tftypes.NewValue(tftypes.String, "joe@acme.com"),
		"token": tftypes.NewValue(tftypes.String, nil),
		"tags":  tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil),
	})
	if !got.Equal(want) || !got.IsFullyKnown() {
		t.Errorf("withoutUnknowns: %v", got)
	}
}
