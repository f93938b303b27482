package connections

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// TokenHandler is the token endpoint of OAuth 2.0's client credentials
// grant (RFC 6749 §4.4): an identity provider posts a connection's client
// id (the connection's id) and a client secret from
// [Manager.CreateClientSecret], and receives an access token that the
// connection's [Authenticator] accepts, for the same tenant, until it
// expires (after [WithAccessTokenLifetime], an hour by default) or its
// client secret is revoked.
//
// Mount it apart from the SCIM handler, which does not serve it:
//
//	mux.Handle("POST /oauth/token", connections.NewTokenHandler(store))
//
// Clients authenticate with HTTP Basic (client_id and client_secret
// form-encoded, RFC 6749 §2.3.1) or with client_id and client_secret in the
// form body, not both. Errors are answered as RFC 6749 §5.2 says, and every
// response carries "Cache-Control: no-store". A client id that fails to
// authenticate 5 times in a row is refused for a while (1 second, doubling
// with each further failure up to 5 minutes) with 429 and Retry-After,
// without its secret being checked; a success clears the count. The count
// is kept per process.
type TokenHandler struct {
	store       Store
	cfg         config
	failures    failureLimiter
	lastCleanup atomic.Int64 // unix nanoseconds
}

// NewTokenHandler returns a TokenHandler on s. It reads
// [WithAccessTokenLifetime], [WithClock] and [WithLogger].
func NewTokenHandler(s Store, opts ...Option) *TokenHandler {
	return &TokenHandler{store: s, cfg: newConfig(opts)}
}

// The error codes of RFC 6749 §5.2.
const (
	oauthInvalidRequest       = "invalid_request"
	oauthInvalidClient        = "invalid_client"
	oauthUnauthorizedClient   = "unauthorized_client"
	oauthUnsupportedGrantType = "unsupported_grant_type"
	oauthInvalidScope         = "invalid_scope"
	// temporarily_unavailable is defined for the authorization endpoint
	// (§4.1.2.1); it is the nearest there is for "slow down".
	oauthTemporarilyUnavailable = "temporarily_unavailable"
	oauthServerError            = "server_error"
)

// maxTokenRequestBytes bounds a token request's body.
const maxTokenRequestBytes = 8 << 10

// cleanupInterval is how often, at most, the handler deletes expired
// access tokens.
const cleanupInterval = 10 * time.Minute

// oauthError is an error response of RFC 6749 §5.2.
type oauthError struct {
	status      int
	code        string
	description string
	retryAfter  time.Duration
}

func (h *TokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, e := h.serve(r)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json;charset=UTF-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	if e != nil {
		switch {
		case e.status == http.StatusUnauthorized:
			hdr.Set("WWW-Authenticate", `Basic realm="oauth", charset="UTF-8"`)
		case e.status == http.StatusMethodNotAllowed:
			hdr.Set("Allow", http.MethodPost)
		case e.retryAfter > 0:
			hdr.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
		}
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(struct {
			Error       string `json:"error"`
			Description string `json:"error_description,omitempty"`
		}{e.code, e.description})
		return
	}
	_ = json.NewEncoder(w).Encode(tok)
}

// tokenResponse is the successful response of RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

func (h *TokenHandler) serve(r *http.Request) (*tokenResponse, *oauthError) {
	form, e := readTokenRequest(r)
	if e != nil {
		return nil, e
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		return nil, &oauthError{http.StatusBadRequest, oauthInvalidRequest, "grant_type is missing", 0}
	case "client_credentials":
	default:
		return nil, &oauthError{http.StatusBadRequest, oauthUnsupportedGrantType, "only the client_credentials grant is supported", 0}
	}
	if !validScope(form.Get("scope")) {
		return nil, &oauthError{http.StatusBadRequest, oauthInvalidScope, "scope is malformed", 0}
	}
	clientID, secret, e := clientCredentials(r, form)
	if e != nil {
		return nil, e
	}
	now := h.cfg.now()
	if wait := h.failures.wait(clientID, now); wait > 0 {
		return nil, &oauthError{http.StatusTooManyRequests, oauthTemporarilyUnavailable,
			"too many failed attempts for this client; retry later", wait}
	}
	parent, conn, e := h.authenticateClient(r.Context(), clientID, secret, now)
	if e != nil {
		if e.code == oauthInvalidClient {
			h.failures.fail(clientID, now)
			if h.cfg.logger != nil {
				h.cfg.logger.WarnContext(r.Context(), "connections: OAuth client authentication failed", "client_id", loggable(clientID))
			}
		}
		return nil, e
	}
	h.failures.succeed(clientID)

	access, id := newSecret(KindAccessToken)
	created := now.UTC().Truncate(time.Microsecond)
	expires := created.Add(h.cfg.accessTTL)
	if !parent.Expires.IsZero() && parent.Expires.Before(expires) {
		expires = parent.Expires
	}
	cred := &Credential{ID: id, ConnectionID: conn.ID, Kind: KindAccessToken, Hash: hashSecret(access),
		Parent: parent.ID, Created: created, Expires: expires}
	if err := h.store.CreateCredential(r.Context(), conn.Tenant, cred); err != nil {
		return nil, h.internal(r.Context(), "storing an access token", err)
	}
	if err := h.store.TouchCredential(r.Context(), parent.ID, created); err != nil {
		h.log(r.Context(), "recording a client secret's last use", err)
	}
	h.cleanup(r.Context(), now)
	return &tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(expires.Sub(created) / time.Second)}, nil
}

// readTokenRequest checks a token request's method, media type and
// parameters and returns its form.
func readTokenRequest(r *http.Request) (url.Values, *oauthError) {
	if r.Method != http.MethodPost {
		return nil, &oauthError{http.StatusMethodNotAllowed, oauthInvalidRequest, "the token endpoint takes POST", 0}
	}
	query := r.URL.Query()
	if query.Has("client_secret") || query.Has("client_id") {
		// RFC 6749 §2.3.1: credentials never go in the URL, where logs
		// and proxies keep them.
		return nil, &oauthError{http.StatusBadRequest, oauthInvalidRequest, "client credentials must not be sent in the URL", 0}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &oauthError{http.StatusBadRequest, oauthInvalidRequest, "the body must be application/x-www-form-urlencoded", 0}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxTokenRequestBytes))
	if err != nil {
		return nil, &oauthError{http.StatusBadRequest, oauthInvalidRequest, "the body is unreadable or too large", 0}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &oauthError{http.StatusBadRequest, oauthInvalidRequest, "the body is not a valid form", 0}
	}
	for k, v := range form {
		if len(v) > 1 {
			// RFC 6749 §3.2: parameters must not be repeated.
			return nil, &oauthError{http.StatusBadRequest, oauthInvalidRequest, "parameter " + k + " is repeated", 0}
		}
	}
	return form, nil
}

// validScope reports whether s is empty or a scope of RFC 6749 §3.3:
// scope-tokens separated by single spaces. Scopes are accepted and
// ignored: an access token gives the access its connection has.
func validScope(s string) bool {
	if s == "" {
		return true
	}
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" {
			return false
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
				return false
			}
		}
	}
	return true
}

// maxClientIDLen bounds the client ids the handler keeps failure counts
// for; connection ids are far shorter.
const maxClientIDLen = 128

// clientCredentials returns the client id and secret of a token request,
// from its Basic authorization or its form, not both.
func clientCredentials(r *http.Request, form url.Values) (id, secret string, e *oauthError) {
	bid, bsecret, basic := r.BasicAuth()
	if basic {
		if form.Has("client_id") || form.Has("client_secret") {
			return "", "", &oauthError{http.StatusBadRequest, oauthInvalidRequest, "use one way of client authentication, not two", 0}
		}
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(bid)
		secret, err2 = url.QueryUnescape(bsecret)
		if err1 != nil || err2 != nil {
			return "", "", &oauthError{http.StatusBadRequest, oauthInvalidRequest, "the Basic credentials are not form-encoded", 0}
		}
	} else {
		if r.Header.Get("Authorization") != "" {
			return "", "", &oauthError{http.StatusUnauthorized, oauthInvalidClient, "client authentication must use the Basic scheme", 0}
		}
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" || secret == "" {
		return "", "", &oauthError{http.StatusUnauthorized, oauthInvalidClient, "client authentication failed", 0}
	}
	if len(id) > maxClientIDLen {
		return "", "", &oauthError{http.StatusUnauthorized, oauthInvalidClient, "client authentication failed", 0}
	}
	return id, secret, nil
}

// authenticateClient checks a client id and secret and returns the client
// secret's credential and connection.
func (h *TokenHandler) authenticateClient(ctx context.Context, clientID, secret string, now time.Time) (*Credential, *Connection, *oauthError) {
	failed := &oauthError{http.StatusUnauthorized, oauthInvalidClient, "client authentication failed", 0}
	kind, id, ok := parseSecret(secret)
	if !ok || kind != KindClientSecret {
		return nil, nil, failed
	}
	cred, conn, err := h.store.LookupCredential(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, failed
	}
	if err != nil {
		return nil, nil, h.internal(ctx, "looking up a client secret", err)
	}
	hash := hashSecret(secret)
	if subtle.ConstantTimeCompare(hash[:], cred.Hash[:]) != 1 || cred.Kind != KindClientSecret ||
		subtle.ConstantTimeCompare([]byte(cred.ConnectionID), []byte(clientID)) != 1 || !cred.Usable(now) {
		return nil, nil, failed
	}
	if conn.Disabled {
		return nil, nil, &oauthError{http.StatusBadRequest, oauthUnauthorizedClient, "this connection is disabled", 0}
	}
	return cred, conn, nil
}

// cleanup deletes expired access tokens, at most once per cleanupInterval
// per process.
func (h *TokenHandler) cleanup(ctx context.Context, now time.Time) {
	last := h.lastCleanup.Load()
	if now.UnixNano()-last < int64(cleanupInterval) || !h.lastCleanup.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := h.store.DeleteExpired(ctx, now); err != nil {
		h.log(ctx, "deleting expired access tokens", err)
	}
}

func (h *TokenHandler) internal(ctx context.Context, what string, err error) *oauthError {
	h.log(ctx, what, err)
	return &oauthError{http.StatusInternalServerError, oauthServerError, "", 0}
}

func (h *TokenHandler) log(ctx context.Context, what string, err error) {
	if h.cfg.logger != nil {
		h.cfg.logger.ErrorContext(ctx, "connections: "+what, "error", err)
	}
}

// loggable returns a client id to log: the id, unless it holds what looks
// like a secret (pasted into the wrong field), which is never logged.
func loggable(clientID string) string {
	if strings.Contains(clientID, SecretPrefix) {
		return redacted
	}
	return clientID
}
