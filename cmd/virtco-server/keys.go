// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/virtasant/terraform-provider-virtco/internal/secrets"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// minKeyLength is the shortest ops key or master token taken from the environment: the keys the
// server mints are 36 characters and more, and a short one set by hand could be guessed.
const minKeyLength = 32

// checkEnvKeys refuses an ops key or master token from the environment that is too short, before
// anything is opened.
func checkEnvKeys() error {
	for _, name := range []string{"VIRTCO_OPS_API_KEY", "VIRTCO_MASTER_TOKEN"} {
		v := strings.TrimSpace(os.Getenv(name))
		if v != "" && len(v) < minKeyLength {
			return fmt.Errorf("%s is %d characters long; it must be at least %d, so that it cannot be guessed: "+
				"use a random one (such as `openssl rand -base64 32`), or unset it and let virtco-server make one", name, len(v), minKeyLength)
		}
	}
	return nil
}

// besideFile is a file named name in the directory of path, written as a relative path is
// written in the flags' defaults (./secrets.key).
func besideFile(path, name string) string {
	dir := filepath.Dir(path)
	if dir == "." {
		return "./" + name
	}
	return filepath.Join(dir, name)
}

// createKeyFile writes a new file that only its owner may read, creating its directory (that only
// its owner may enter) when there is none. It never replaces a file.
func createKeyFile(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadSecretsKeys reads the key file that seals the database's secrets, creating it with a new
// random key when it does not exist, as the ops key file is.
func loadSecretsKeys(path string, log *slog.Logger) (*secrets.Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		content, keys := secrets.NewKeyFile()
		if err := createKeyFile(path, content); err != nil {
			return nil, fmt.Errorf("cannot create the secrets key file %s: %w", path, err)
		}
		log.Info("secrets key: created " + path + " with a new key (mode 0600); it seals the tokens in the database: " +
			"keep it, and keep it apart from the database's backups")
		return keys, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the secrets key file %s (--secrets-key-file, VIRTCO_SECRETS_KEY_FILE): %w", path, err)
	}
	keys, err := secrets.ParseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("the secrets key file %s: %w", path, err)
	}
	warnIfShared(log, path, "the secrets key file")
	log.Info(fmt.Sprintf("secrets key: read %d from %s; sealing with %s", len(keys.IDs()), path, keys.SealingKeyID()))
	return keys, nil
}

// warnIfShared warns when a file that holds secrets may be read by others than its owner.
func warnIfShared(log *slog.Logger, path, what string) {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn(fmt.Sprintf("%s %s is readable by group or others (mode %04o); make it readable by its owner only: chmod 600 %s",
		what, path, st.Mode().Perm(), path))
}

// warnIfSharedDB is warnIfShared for a SQLite database and its -wal and -shm files.
func warnIfSharedDB(log *slog.Logger, db string) {
	if store.IsPostgresURL(db) {
		return
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		warnIfShared(log, db+suffix, "the database file")
	}
}
