// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command virtco-server is the VIRT-CO access control plane: the v1 API, the legacy protocol of
// apiKeyGen.py and health checks, on SQLite (the default) or PostgreSQL.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/server"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(runUntilSignalled())
}

func runUntilSignalled() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return run(ctx, os.Args[1:], os.Stderr)
}

type options struct {
	secretsKeyFile                     string
	addr, db, opsKeyFile, diagAccounts string

	serving servingOptions // serving.go
	verify  verifyOptions  // verification.go
	hooks   webhookOptions // webhooks.go
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseFlags reads the flags; each falls back to its environment variable, then to its default.
func parseFlags(args []string, stderr io.Writer) (options, bool, error) {
	var o options
	fs := flag.NewFlagSet("virtco-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", envOr("VIRTCO_ADDR", "127.0.0.1:8080"), "listen address (env VIRTCO_ADDR); port 0 picks a free port")
	fs.StringVar(&o.db, "db", envOr("VIRTCO_DB", "./virtco.db"), "SQLite file path or postgres:// URL (env VIRTCO_DB)")
	fs.StringVar(&o.opsKeyFile, "ops-key-file", envOr("VIRTCO_OPS_API_KEY_FILE", "./apikey.txt"),
		"file with the ops key, created with a new key when absent (env VIRTCO_OPS_API_KEY_FILE; VIRTCO_OPS_API_KEY wins over it)")
	fs.StringVar(&o.secretsKeyFile, "secrets-key-file", envOr("VIRTCO_SECRETS_KEY_FILE", ""),
		"file of the keys that seal the tokens in the database, created with a new key when absent (env VIRTCO_SECRETS_KEY_FILE; default secrets.key beside the ops key file)")
	fs.StringVar(&o.diagAccounts, "diag-accounts", envOr("VIRTCO_DIAG_ACCOUNTS", ""), "JSON file of diag accounts to upsert at start (env VIRTCO_DIAG_ACCOUNTS)")
	o.serving.register(fs)
	o.verify.register(fs)
	o.hooks.register(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, false, err
	}
	if err := o.serving.parse(); err != nil {
		return o, false, err
	}
	if err := o.verify.parse(); err != nil {
		return o, false, err
	}
	if err := o.hooks.parse(); err != nil {
		return o, false, err
	}
	if fs.NArg() > 0 {
		return o, false, fmt.Errorf("unexpected argument %q: virtco-server takes only flags (see -h)", fs.Arg(0))
	}
	if o.secretsKeyFile == "" {
		o.secretsKeyFile = besideFile(o.opsKeyFile, "secrets.key")
	}
	return o, *showVersion, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, showVersion, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "virtco-server:", err)
		return 2
	}
	if showVersion {
		fmt.Fprintln(stderr, "virtco-server", version)
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, o, log); err != nil {
		fmt.Fprintln(stderr, "virtco-server:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, o options, log *slog.Logger) error {
	if err := checkEnvKeys(); err != nil {
		return err
	}
	opsKey, err := loadOpsKey(o.opsKeyFile, log)
	if err != nil {
		return err
	}
	keys, err := loadSecretsKeys(o.secretsKeyFile, log)
	if err != nil {
		return err
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := store.Open(openCtx, o.db, store.WithKeys(keys), store.WithLogger(log))
	if err != nil {
		return fmt.Errorf("cannot open the database: %w", err)
	}
	defer st.Close()
	warnIfSharedDB(log, o.db)
	profiles, err := seedDiagAccounts(openCtx, st, o.diagAccounts, log)
	if err != nil {
		return err
	}
	master, err := masterToken(openCtx, st)
	if err != nil {
		return err
	}
	hooks, err := o.hooks.config(log)
	if err != nil {
		return err
	}
	srv, err := server.New(st, server.Config{OpsKey: opsKey, MasterToken: master, Logger: log,
		RateLimit: o.serving.rateLimit, TrustedProxies: o.serving.trustedProxies,
		Verification: o.verify.config(profiles, log), Webhooks: hooks})
	if err != nil {
		return err
	}
	logLimits(log, o.serving)

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", o.addr, err)
	}
	metricsServer, metricsServed, err := startMetrics(ctx, o.serving.metricsAddr, srv, o.serving.readTimeout, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer inBackground(ctx,
		retentionLoop("audit", "entries", "audit-retention", o.serving.auditRetention, srv.RunAuditRetention, log),
		srv.RunVerification,
		srv.RunWebhooks,
		retentionLoop("event", "delivered events", "event-retention", o.hooks.retention, srv.RunEventRetention, log),
		func(ctx context.Context) { srv.RunUserExpiry(ctx, server.DefaultUserExpiryInterval) },
	)()
	hs := server.NewHTTPServer(srv, o.serving.readTimeout)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening on http://"+ln.Addr().String(), "db", dbLabel(o.db), "version", version)

	select {
	case err := <-served:
		return err
	case err := <-metricsServed:
		return fmt.Errorf("the metrics address stopped serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests under way")
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelShutdown()
	if metricsServer != nil {
		_ = metricsServer.Shutdown(shutdownCtx)
	}
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func dbLabel(db string) string {
	if strings.Contains(db, "://") {
		return "postgres"
	}
	return "sqlite:" + db
}

// loadOpsKey takes VIRTCO_OPS_API_KEY, else the key file, creating the file with a new random key
// (readable by its owner only, as is its directory when it is created) when it does not exist.
func loadOpsKey(path string, log *slog.Logger) (string, error) {
	if k := strings.TrimSpace(os.Getenv("VIRTCO_OPS_API_KEY")); k != "" {
		log.Info("ops key: from VIRTCO_OPS_API_KEY")
		return k, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := server.NewOpsKey()
		if err := createKeyFile(path, []byte(key+"\n")); err != nil {
			return "", fmt.Errorf("cannot create the ops key file %s: %w", path, err)
		}
		log.Info("ops key: created " + path + " with a new key (mode 0600); send it as the x-api-key header")
		return key, nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the ops key file %s (--ops-key-file, VIRTCO_OPS_API_KEY_FILE): %w", path, err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return "", fmt.Errorf("the ops key file %s must hold exactly one line with the key", path)
	}
	warnIfShared(log, path, "the ops key file")
	log.Info("ops key: read from " + path)
	return key, nil
}

// seedDiagAccounts upserts the diag accounts of the --diag-accounts file, and returns the
// credentials profile each names. A bad entry stops the server rather than being skipped.
func seedDiagAccounts(ctx context.Context, st store.Store, path string, log *slog.Logger) (map[string]string, error) {
	profiles := map[string]string{}
	if path == "" {
		return profiles, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the diag accounts file (--diag-accounts, VIRTCO_DIAG_ACCOUNTS): %w", err)
	}
	var entries []struct {
		Name string `json:"name"`
		// CredentialsProfile is the profile, in the shared AWS config and credentials files, that
		// this server acts as the diag account with; it is the server's own setting, so it stays
		// in the file and is never stored or served.
		CredentialsProfile string `json:"credentials_profile"`
		server.DiagAccountInput
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("the diag accounts file %s is not a JSON list of {name, account_id, region, status, principal_arn, credentials_profile}: %w", path, err)
	}
	for i, e := range entries {
		d, err := e.DiagAccount(e.Name)
		if err != nil {
			return nil, fmt.Errorf("the diag accounts file %s, entry %d: %w", path, i+1, err)
		}
		if p := e.CredentialsProfile; p != "" {
			if strings.TrimSpace(p) != p || strings.ContainsAny(p, "[]\r\n") {
				return nil, fmt.Errorf("the diag accounts file %s, entry %d: credentials_profile %q is not a profile name", path, i+1, p)
			}
			profiles[d.Name] = p
		}
		audit := &store.AuditEntry{KeyKind: "config", Action: "diag_account.put", Request: "--diag-accounts " + path, Target: d.Name}
		if _, _, err := st.PutDiagAccount(store.WithAudit(ctx, audit), d); err != nil {
			return nil, fmt.Errorf("saving diag account %s: %w", d.Name, err)
		}
	}
	log.Info(fmt.Sprintf("diag accounts: %d upserted from %s", len(entries), path))
	return profiles, nil
}

// masterToken takes VIRTCO_MASTER_TOKEN when set (and stores it, replacing the stored one, so that
// every server on the database agrees), else the stored one, minted on first start.
func masterToken(ctx context.Context, st store.Store) (string, error) {
	if t := strings.TrimSpace(os.Getenv("VIRTCO_MASTER_TOKEN")); t != "" {
		audit := &store.AuditEntry{KeyKind: "config", Action: "master_token.set", Request: "VIRTCO_MASTER_TOKEN"}
		return t, st.SetMasterToken(store.WithAudit(ctx, audit), t)
	}
	return st.MasterToken(ctx, server.NewMasterToken())
}
