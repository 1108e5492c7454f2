// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsconfig

import (
	"errors"
	"fmt"
	"strings"
)

// ProfileNotFoundError is Load's error when the profile (Settings.Profile, else
// AWS_PROFILE) is in none of the shared config and credentials files. Err is
// the SDK's error, which wraps a config.SharedConfigProfileNotExistError.
type ProfileNotFoundError struct {
	Profile string
	// FromEnvironment is true when the profile came from AWS_PROFILE rather
	// than from Settings.Profile.
	FromEnvironment bool
	Err             error
}

func (e *ProfileNotFoundError) Error() string {
	from := "the settings"
	if e.FromEnvironment {
		from = "AWS_PROFILE"
	}
	return fmt.Sprintf("AWS profile %q (from %s) not found: %v", e.Profile, from, e.Err)
}

func (e *ProfileNotFoundError) Unwrap() error { return e.Err }

// FileSetting names the list of files a FileError is about.
type FileSetting int

const (
	SharedConfigFiles FileSetting = iota + 1
	SharedCredentialsFiles
)

// String is the name of the Settings field.
func (f FileSetting) String() string {
	switch f {
	case SharedConfigFiles:
		return "SharedConfigFiles"
	case SharedCredentialsFiles:
		return "SharedCredentialsFiles"
	}
	return fmt.Sprintf("FileSetting(%d)", int(f))
}

// FileError is Load's error for a shared config or credentials file of the
// settings that cannot be read. Err is the error of reading it (an
// *fs.PathError).
type FileError struct {
	Setting FileSetting
	Index   int // in the setting's list, from 0
	Path    string
	Err     error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("reading %s[%d]: %v", e.Setting, e.Index, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// fileErrors is Load's error when several files cannot be read.
type fileErrors []*FileError

func (e fileErrors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e fileErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}

// FileErrors returns every *FileError in err, in the order of the settings:
// Load checks all the files before it gives up, so that one run reports every
// wrong path.
func FileErrors(err error) []*FileError {
	var several fileErrors
	if errors.As(err, &several) {
		return several
	}
	var one *FileError
	if errors.As(err, &one) {
		return []*FileError{one}
	}
	return nil
}

// NoCredentialsError is Load's error when the SDK found no credentials (Err is
// nil) or could not retrieve those it found (Err says why). With an assume
// role, it is about the base credentials.
type NoCredentialsError struct {
	Err error
}

func (e *NoCredentialsError) Error() string {
	if e.Err == nil {
		return "no AWS credentials found"
	}
	return fmt.Sprintf("no usable AWS credentials: %v", e.Err)
}

func (e *NoCredentialsError) Unwrap() error { return e.Err }

// AssumeRoleError is Load's error when the base credentials were retrieved but
// assuming Settings.AssumeRole.RoleARN with them failed (refused by the trust
// policy, a wrong external id, an unreachable STS endpoint, ...). Err is the
// SDK's error.
type AssumeRoleError struct {
	RoleARN string
	Err     error
}

func (e *AssumeRoleError) Error() string {
	return fmt.Sprintf("assuming AWS role %s: %v", e.RoleARN, e.Err)
}

func (e *AssumeRoleError) Unwrap() error { return e.Err }

// LoadError is Load's error for any other failure of the SDK to load its
// configuration (a malformed shared config file, an invalid AWS_* variable,
// ...). Err is the SDK's error.
type LoadError struct {
	Err error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("loading the AWS configuration: %v", e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }
