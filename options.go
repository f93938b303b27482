package scim

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// Option configures a handler made by [NewHandler].
type Option func(*config)

type config struct {
	baseURL          string
	tokens           [][]byte
	tokenValidator   func(ctx context.Context, token string) bool
	authenticators   []Authenticator
	noAuthentication bool
	// emptyToken records that WithBearerToken was given an empty or
	// blank token, which NewHandler refuses.
	emptyToken       bool
	publicDiscovery  bool
	maxBodyBytes     int64
	maxResults       int
	logger           *slog.Logger
	userExtensions   []*Schema
	groupExtensions  []*Schema
	strictAttributes bool
	strictBooleans   bool
	strictPatch      bool
	patchResponse    PatchResponse
	maxBulkOps       int
	maxBulkBytes     int64
	maxPatchOps      int
	// duplicateGroupNames turns off unique group displayNames.
	duplicateGroupNames bool
	documentationURI    string
	userAttributes      []string
	groupAttributes     []string
	passwordHandler     func(ctx context.Context, u *User, password string) (string, error)
	foreignMembers      bool          // WithForeignMembers
	maxFilterCost       int           // WithMaxFilterCost
	bulkTimeout         time.Duration // WithBulkTimeout
	maxPageMembers      int           // WithMaxPageMembers
	eventSink           func(ctx context.Context, events []Event)
	eventObservers      []func(ctx context.Context, events []Event) // WithEventObserver
	// requestLoggers receive a RequestRecord per request (requestlog.go).
	requestLoggers []RequestLogger
}

// The defaults of the options, the one place they are defined; the
// options' docs state them.
const (
	defaultMaxBodyBytes      = 1 << 20 // WithMaxBodyBytes: 1 MiB
	defaultMaxResults        = 1000    // WithMaxResults
	defaultMaxBulkOperations = 1000    // WithBulk: bulk.maxOperations
	defaultMaxBulkPayload    = 1 << 20 // WithBulk: bulk.maxPayloadSize, 1 MiB
	defaultMaxPatchOps       = 1000    // WithMaxPatchOperations: patch.maxOperations
)

func defaultConfig() *config {
	return &config{
		maxBodyBytes:  defaultMaxBodyBytes,
		maxResults:    defaultMaxResults,
		logger:        slog.New(slog.DiscardHandler),
		maxBulkOps:    defaultMaxBulkOperations,
		maxBulkBytes:  defaultMaxBulkPayload,
		maxFilterCost: defaultMaxFilterCost,
		bulkTimeout:   defaultBulkTimeout,
		maxPatchOps:   defaultMaxPatchOps,
	}
}

// WithBaseURL sets the absolute URL at which the handler is mounted, such as
// "https://app.example.com/scim/v2", used for meta.location, Location
// headers and $ref values; trailing slashes are dropped. By default, and
// when url is empty, it is derived from each request: its scheme (https
// behind TLS or with X-Forwarded-Proto: https), host, and the prefix that
// http.StripPrefix removed.
func WithBaseURL(url string) Option {
	return func(c *config) {
		for len(url) > 0 && url[len(url)-1] == '/' {
			url = url[:len(url)-1]
		}
		c.baseURL = url
	}
}

// WithBearerToken requires every request to carry "Authorization: Bearer T"
// where T is one of tokens, compared in constant time; several tokens allow
// rotation. Requests without a valid token get 401 with
// "WWW-Authenticate: Bearer". A token that is empty or only white space
// (an unset environment variable, typically) makes [NewHandler] panic
// rather than serve anything; so does calling it with no token at all.
// There is no default token: see [NewHandler] for what happens without
// any authentication option.
func WithBearerToken(tokens ...string) Option {
	return func(c *config) {
		if len(tokens) == 0 {
			c.emptyToken = true
		}
		for _, t := range tokens {
			if strings.TrimSpace(t) == "" {
				c.emptyToken = true
				continue
			}
			c.tokens = append(c.tokens, []byte(t))
		}
	}
}

// WithTokenValidator requires every request to carry a bearer token that
// valid accepts, such as a JWT that Entra ID issues. It combines with
// [WithBearerToken] and [WithAuthenticator]: a request passes if any of
// them accepts it. A nil valid is ignored. By default no validator is set.
func WithTokenValidator(valid func(ctx context.Context, token string) bool) Option {
	return func(c *config) {
		if valid != nil {
			c.tokenValidator = valid
		}
	}
}

// WithAuthenticator authenticates every request with a, which may also
// put the request's tenant in its context (see [Authenticator]). It
// combines with [WithBearerToken] and [WithTokenValidator], which are
// tried first; with several authenticators, they are tried in order until
// one accepts the request or fails with an error other than
// [ErrUnauthenticated]. A nil a is ignored. By default there is none.
func WithAuthenticator(a Authenticator) Option {
	return func(c *config) {
		if a != nil {
			c.authenticators = append(c.authenticators, a)
		}
	}
}

// WithoutAuthentication serves every request without checking any
// credential. Use it only when the handler is mounted behind middleware of
// your own that authenticates every request (and, for a multi-tenant
// application, puts the tenant in the context with [ContextWithTenant]).
// It cannot be combined with the other authentication options. By default
// a handler requires one of them, and [NewHandler] panics without.
func WithoutAuthentication() Option {
	return func(c *config) { c.noAuthentication = true }
}

// WithPublicDiscovery serves /ServiceProviderConfig, /ResourceTypes and
// /Schemas without authentication. By default they require the same token
// as every other endpoint.
func WithPublicDiscovery() Option {
	return func(c *config) { c.publicDiscovery = true }
}

// WithMaxBodyBytes limits the size of a request body; larger bodies get 413.
// The default is 1 MiB; a non-positive n keeps the limit as it was.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBodyBytes = n
		}
	}
}

// WithMaxResults sets the largest page a list or search returns, advertised
// as filter.maxResults in /ServiceProviderConfig; a larger count is clamped
// to it. The default is 1000; a non-positive n keeps the limit as it was.
func WithMaxResults(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxResults = n
		}
	}
}

// WithLogger sets the logger for internal errors (whose text is never sent
// to clients). By default nothing is logged; a nil l keeps the logger as it
// was.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithUserExtension registers an extension schema for Users, such as
// "urn:ietf:params:scim:schemas:extension:acme:2.0:User". Its attributes are
// validated, filterable, sortable, patchable and kept in [User.Extensions].
// The Enterprise User extension is always registered; by default there is
// no other. A nil s is ignored.
func WithUserExtension(s *Schema) Option {
	return func(c *config) {
		if s != nil {
			c.userExtensions = append(c.userExtensions, s)
		}
	}
}

// WithGroupExtension registers an extension schema for Groups, kept in
// [Group.Extensions]. By default Groups have no extension. A nil s is
// ignored.
func WithGroupExtension(s *Schema) Option {
	return func(c *config) {
		if s != nil {
			c.groupExtensions = append(c.groupExtensions, s)
		}
	}
}

// WithStrictAttributes rejects requests that carry attributes no schema
// defines, or that the store does not keep (see [AttributeKeeper]), or a
// password without a [WithPasswordHandler], with 400 invalidValue naming
// the attribute. By default such attributes are ignored, as identity
// providers expect: they send what their mappings hold.
func WithStrictAttributes() Option {
	return func(c *config) { c.strictAttributes = true }
}

// WithStrictBooleans rejects the strings "True" and "False" where a boolean
// is expected. By default they are accepted in any case, because Entra ID
// sends them.
func WithStrictBooleans() Option {
	return func(c *config) { c.strictBooleans = true }
}

// WithStrictPatch makes a PATCH "replace" whose value-filter path matches
// nothing fail with 400 noTarget, as RFC 7644 §3.5.2.3 says. By default such
// a replace, like an "add", creates the item when the filter is a plain
// equality (emails[type eq "work"].value), as Entra ID expects.
func WithStrictPatch() Option {
	return func(c *config) { c.strictPatch = true }
}

// PatchResponse says what the handler answers to a successful PATCH
// (RFC 7644 §3.5.2 lets a service provider answer either 200 with the
// resource or 204 No Content). See [WithPatchResponse].
type PatchResponse int

const (
	// PatchMembersNoContent, the default, answers 204 No Content to a
	// PATCH of a group whose operations all add, remove or replace
	// members, unless the request asks for attributes with "attributes"
	// or "excludedAttributes"; every other PATCH gets 200 and the
	// resource. Identity providers maintain large groups this way
	// (Microsoft Entra ID and Okta both accept 204 and do not read the
	// group back), and echoing a group of 10,000 members costs over a
	// megabyte per member change.
	PatchMembersNoContent PatchResponse = iota
	// PatchReturnsResource answers every successful PATCH with 200 and the
	// resource, projected as the request's attributes and
	// excludedAttributes say.
	PatchReturnsResource
	// PatchNoContent answers every successful PATCH with 204 No Content
	// and the new version in ETag.
	PatchNoContent
)

// WithPatchResponse sets what a successful PATCH answers. The default is
// [PatchMembersNoContent]: 204 No Content for member changes of a group,
// 200 with the resource for everything else. Use [PatchReturnsResource] for
// clients that read the group back from the response.
func WithPatchResponse(r PatchResponse) Option {
	return func(c *config) { c.patchResponse = r }
}

// WithPatchNoContent answers every successful PATCH with 204 No Content.
//
// Deprecated: use WithPatchResponse(PatchNoContent), which it is.
func WithPatchNoContent() Option {
	return WithPatchResponse(PatchNoContent)
}

// WithDocumentationURI sets documentationUri in /ServiceProviderConfig. By
// default, and when uri is empty, it is absent.
func WithDocumentationURI(uri string) Option {
	return func(c *config) { c.documentationURI = uri }
}

// WithBulk enables /Bulk with the given limits, advertised in
// /ServiceProviderConfig as bulk.maxOperations and bulk.maxPayloadSize: a
// BulkRequest with more operations, or a body larger than maxPayloadBytes,
// gets 413. A non-positive argument keeps that limit as it was: its
// default, also after [WithoutBulk]. Bulk is enabled by default with at
// most 1000 operations and 1 MiB (1048576 bytes); each operation's data is
// also subject to [WithMaxBodyBytes], as the same request sent alone would
// be.
func WithBulk(maxOperations int, maxPayloadBytes int64) Option {
	return func(c *config) {
		if maxOperations > 0 {
			c.maxBulkOps = maxOperations
		} else if c.maxBulkOps <= 0 {
			c.maxBulkOps = defaultMaxBulkOperations
		}
		if maxPayloadBytes > 0 {
			c.maxBulkBytes = maxPayloadBytes
		} else if c.maxBulkBytes <= 0 {
			c.maxBulkBytes = defaultMaxBulkPayload
		}
	}
}

// WithMaxPatchOperations limits the number of operations of one PATCH
// request (RFC 7644 §3.5.2): a PatchOp with more gets 413 Request Entity
// Too Large, as a BulkRequest over bulk.maxOperations does, and nothing is
// applied. The limit is advertised in /ServiceProviderConfig as
// patch.maxOperations, an extension of RFC 7643 §5 modelled on
// bulk.maxOperations. It applies to PATCH operations inside /Bulk too. The
// default is 1000; a non-positive n keeps the limit as it was.
func WithMaxPatchOperations(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxPatchOps = n
		}
	}
}

// WithoutBulk disables /Bulk: it answers 501 Not Implemented and
// /ServiceProviderConfig says bulk.supported false. By default bulk is
// enabled (see [WithBulk]).
func WithoutBulk() Option {
	return func(c *config) {
		c.maxBulkOps = 0
		c.maxBulkBytes = 0
	}
}

// WithUserAttributes declares the User attributes the user store keeps,
// as [AttributeKeeper] does for a store that implements it, with paths
// such as "userName", "name.givenName" or `emails[type eq "work"].value`:
// for memstore or sqlstore, say, when the application must not keep more
// than it needs. [NewHandler] panics if the store declares its attributes
// too, or if a path names no attribute. By default a store that does not
// declare its attributes keeps them all; with no path at all, it keeps
// only what every store keeps: id, meta and userName.
func WithUserAttributes(paths ...string) Option {
	return func(c *config) { c.userAttributes = append(make([]string, 0, len(paths)), paths...) }
}

// WithGroupAttributes declares the Group attributes the group store keeps,
// as [WithUserAttributes] does for users: "members.value" keeps members as
// ids only, "externalId" the identity provider's id. With no path at all,
// the store keeps only id, meta and displayName.
func WithGroupAttributes(paths ...string) Option {
	return func(c *config) { c.groupAttributes = append(make([]string, 0, len(paths)), paths...) }
}

// WithPasswordHandler makes the handler accept the passwords clients send
// for users (in POST, PUT, PATCH and bulk operations) and hand each one to
// fn, which hashes it into the application's own authentication or
// refuses it. By default a password is dropped before the store (with
// [WithStrictAttributes], refused with 400), /Schemas does not list the
// password attribute and /ServiceProviderConfig says changePassword is
// not supported: no store ever receives a password.
//
// fn runs before the store write, with the user as it will be written (its
// ID is empty on a create) and the cleartext password. Its result is what
// the store receives in User.Password, if the store keeps "password" (see
// [AttributeKeeper]; a store that does not declare its attributes keeps
// it): a hash the store keeps, for instance, or "" to keep nothing. A
// write without a new password keeps what the store holds. An error fails
// the request and nothing is written: a [*Error] reaches the client as it
// is (such as 400 invalidValue for a password the application's policy
// refuses), any other error is a 500. The password is never returned to a
// client (RFC 7643: returned "never"). A nil fn is the default: no
// password is accepted.
func WithPasswordHandler(fn func(ctx context.Context, u *User, password string) (keep string, err error)) Option {
	return func(c *config) { c.passwordHandler = fn }
}
