package connections

import (
	"log/slog"
	"time"
)

// Option configures a [Manager], an [Authenticator] or a [TokenHandler];
// each reads the options that concern it and ignores the others.
type Option func(*config)

type config struct {
	now              func() time.Time
	lastUsedInterval time.Duration
	accessTTL        time.Duration
	logger           *slog.Logger
}

// Defaults.
const (
	// DefaultAccessTokenLifetime is how long an access token from the
	// [TokenHandler] works, unless [WithAccessTokenLifetime] says otherwise.
	DefaultAccessTokenLifetime = time.Hour
	// DefaultLastUsedInterval is how often, at most, an [Authenticator]
	// records that a credential was used.
	DefaultLastUsedInterval = time.Minute
)

func newConfig(opts []Option) config {
	c := config{
		now:              time.Now,
		lastUsedInterval: DefaultLastUsedInterval,
		accessTTL:        DefaultAccessTokenLifetime,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// timestamp returns the current time as stores keep it: UTC, to the
// microsecond.
func (c *config) timestamp() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// WithClock makes the Manager, Authenticator or TokenHandler read the time
// from now instead of [time.Now], for tests of expiry.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithLastUsedInterval sets how often, at most, an [Authenticator] writes a
// credential's LastUsed time: once per interval per credential and process
// (so a busy identity provider costs one write a minute, not one per
// request). The default is [DefaultLastUsedInterval]; zero or less turns
// the recording off.
func WithLastUsedInterval(d time.Duration) Option {
	return func(c *config) { c.lastUsedInterval = d }
}

// WithAccessTokenLifetime sets how long the access tokens that a
// [TokenHandler] issues work. The default is
// [DefaultAccessTokenLifetime], one hour (Microsoft Entra ID expects
// between one and six); values of zero or less keep the default.
func WithAccessTokenLifetime(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.accessTTL = d
		}
	}
}

// WithLogger sets the logger for the errors an [Authenticator] or
// [TokenHandler] does not return to a caller, such as a failed write of a
// LastUsed time, and for refused OAuth client authentications (by client
// id, never with a secret). By default nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}
