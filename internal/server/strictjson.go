// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// strictKeys refuses what encoding/json takes silently in a body it has decoded into v: a key
// that appears twice in one object, of which the last would win, and a key of the top object that
// differs only in case from a field of v, which encoding/json would match to that field. Either
// could make a request mean something else than its sender reads in it. body must be valid JSON;
// only its first value is looked at (decode refuses anything after it).
func strictKeys(body []byte, v any) *apiError {
	known := jsonFieldNames(v)
	dec := json.NewDecoder(bytes.NewReader(body))
	// frame is an open object (seen is its keys so far) or array (seen is nil).
	type frame struct {
		seen    map[string]bool
		wantKey bool
	}
	var stack []*frame
	// The body was decoded already, so the tokens run out only at its end.
	for tok, err := dec.Token(); err == nil; tok, err = dec.Token() {
		var f *frame
		if len(stack) > 0 {
			f = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				nf := &frame{}
				if t == '{' {
					nf.seen, nf.wantKey = map[string]bool{}, true
				}
				stack = append(stack, nf)
				continue
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return nil
			}
			f = stack[len(stack)-1]
		case string:
			if f != nil && f.seen != nil && f.wantKey {
				if f.seen[t] {
					return invalid(t, "field %q appears more than once in the request body", t)
				}
				f.seen[t] = true
				if len(stack) == 1 && !known[t] {
					for name := range known {
						if strings.EqualFold(name, t) {
							return invalid(t, "unknown field %q in the request body: field names are case-sensitive; did you mean %q?", t, name)
						}
					}
				}
				f.wantKey = false
				continue
			}
		}
		// A value ended: a scalar, or the object or array just closed.
		if f == nil {
			return nil
		}
		if f.seen != nil {
			f.wantKey = true
		}
	}
	return nil
}

// jsonFieldNames is the JSON names of the fields of the struct v points to.
func jsonFieldNames(v any) map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return names
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}
