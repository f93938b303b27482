package main

// Provisioning webhooks: with -webhook URL, the server posts every
// provisioning event (user.created, user.deactivated, group.members_added…)
// to URL as a Standard Webhook signed with the secret, in order per tenant,
// from a cursor kept in the database, so that an application in any
// language can use this server as its provisioning bridge:
//
//	SCIM_WEBHOOK_SECRET=whsec_… SCIM_TOKEN=T go run ./examples/server -webhook https://app.example.com/scim-events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/scimkit/scim"

	"github.com/scimkit/scim/connections"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/webhook"
)

// webhookConfig is where and how events are posted; nil for nowhere.
type webhookConfig struct {
	url, secret string
	// rescan is how often the tenants are listed again, so that a new
	// connection's tenant gets its webhooks.
	rescan time.Duration
}

// webhookConsumer names the consumer whose cursor the database keeps.
const webhookConsumer = "webhook"

// resolveWebhook returns the webhook configuration from the flags or, in
// their absence, SCIM_WEBHOOK_URL and SCIM_WEBHOOK_SECRET; nil when no URL
// is given. A URL without a usable secret is an error: webhooks are never
// sent unsigned.
func resolveWebhook(flagURL, flagSecret, secretFile string, getenv func(string) string) (*webhookConfig, error) {
	url := flagURL
	if url == "" {
		url = getenv("SCIM_WEBHOOK_URL")
	}
	if url == "" {
		return nil, nil
	}
	secret := flagSecret
	switch {
	case secret != "":
	case secretFile != "":
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading -webhook-secret-file: %w", err)
		}
		secret, _, _ = strings.Cut(string(b), "\n")
		secret = strings.TrimSpace(secret)
	default:
		secret = getenv("SCIM_WEBHOOK_SECRET")
	}
	if secret == "" {
		// No suggested secret here: this message goes to the logs.
		return nil, errors.New(`-webhook needs a secret (SCIM_WEBHOOK_SECRET or -webhook-secret-file): "whsec_" and base64 of 24 to 64 random bytes, such as the output of: echo whsec_$(openssl rand -base64 32)`)
	}
	if _, err := webhook.NewSender(url, secret); err != nil {
		return nil, err
	}
	return &webhookConfig{url: url, secret: secret, rescan: 30 * time.Second}, nil
}

// startWebhooks delivers the events of the default tenant and of every
// connection's tenant until ctx is done; wait returns once every delivery
// has stopped.
func startWebhooks(ctx context.Context, cfg *webhookConfig, users scim.UserStore, conns connections.Store, dsn string, logger *slog.Logger) (wait func(), err error) {
	log, ok := users.(scim.EventLog)
	cursors, ok2 := users.(events.CursorStore)
	if !ok || !ok2 {
		return nil, errors.New("-webhook needs a store with an event feed")
	}
	sender, err := webhook.NewSender(cfg.url, cfg.secret, webhook.WithDeadLetter(func(ctx context.Context, e scim.Event, err error) {
		logger.Error("webhook: event given up", "event", e.ID, "type", e.Type, "tenant", e.Tenant, "error", err)
	}))
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	started := map[string]bool{}
	startTenant := func(tenant string) {
		if started[tenant] {
			return
		}
		started[tenant] = true
		c := events.NewConsumer(log, cursors, webhookConsumer, sender.Deliver, events.WithErrorHandler(func(_ context.Context, err error) {
			logger.Warn("webhook: delivery failed, retrying", "tenant", tenant, "error", err)
		}))
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Run(scim.ContextWithTenant(ctx, tenant))
			if !errors.Is(err, context.Canceled) {
				logger.Error("webhook: delivery stopped", "tenant", tenant, "error", err)
			}
		}()
	}
	scan := func() {
		lister, ok := conns.(connections.AllConnectionsLister)
		if !ok {
			return
		}
		all, err := lister.AllConnections(ctx)
		if err != nil {
			logger.Warn("webhook: listing tenants", "error", err)
			return
		}
		for _, c := range all {
			startTenant(c.Tenant)
		}
	}
	if su, ok := users.(*sqlstore.UserStore); ok && isPostgres(dsn) {
		// Other replicas' writes wake the consumers through NOTIFY, on a
		// connection of its own; without it they poll.
		wg.Add(1)
		go func() {
			defer wg.Done()
			listen(ctx, su, dsn, logger)
		}()
	}
	startTenant("")
	scan()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(cfg.rescan)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				scan()
			}
		}
	}()
	logger.Info("posting provisioning events", "url", cfg.url)
	return wg.Wait, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// listen runs users.Listen until ctx is done, reconnecting after a failure.
func listen(ctx context.Context, users *sqlstore.UserStore, dsn string, logger *slog.Logger) {
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			err = users.Listen(ctx, conn)
			conn.Close(context.WithoutCancel(ctx))
		}
		if ctx.Err() != nil {
			return
		}
		logger.Warn("webhook: listening for other replicas' events", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}
