// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package secrets

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// The key file is text: one key per line, "<id> <base64 of 32 random bytes>"; blank lines and
// lines that begin with # are ignored. The last key seals; every key opens. Adding a key is
// appending a line; the README says how to rotate across several servers.
const keyFileHeader = `# virtco-server sealing keys. One key per line: <id> <base64 of 32 random bytes>.
# The last key seals what the server stores; every key listed opens it. To rotate, append a new
# line (README, "Secrets at rest"). Keep this file mode 0600, and apart from the database and its backups.
`

// NewKeyFile returns the contents of a new key file of one random key, and its keyring.
func NewKeyFile() ([]byte, *Keyring) {
	id, secret := newKey()
	kr, err := New([]string{id}, [][]byte{secret})
	if err != nil {
		panic(err) // a generated id and key are always valid
	}
	return []byte(keyFileHeader + KeyLine(id, secret)), kr
}

// KeyLine is the key file's line of one key.
func KeyLine(id string, secret []byte) string {
	return id + " " + base64.StdEncoding.EncodeToString(secret) + "\n"
}

// NewKeyLine is the line of a new random key, to append to a key file.
func NewKeyLine() string {
	id, secret := newKey()
	return KeyLine(id, secret)
}

// ParseKeyFile reads a key file's contents; an error names the line that is wrong.
func ParseKeyFile(data []byte) (*Keyring, error) {
	var ids []string
	var raw [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d is not \"<id> <base64 of %d random bytes>\"", n, KeySize)
		}
		secret, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil || len(secret) != KeySize {
			return nil, fmt.Errorf("line %d: the key of %q is not the base64 of %d bytes (such as `openssl rand -base64 %d` makes)",
				n, fields[0], KeySize, KeySize)
		}
		ids, raw = append(ids, fields[0]), append(raw, secret)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return New(ids, raw)
}
