package scim

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
)

// The handler: NewHandler builds it from the stores and the options, and
// ServeHTTP authenticates a request and routes it to its endpoint.

// NewHandler returns an http.Handler that serves SCIM 2.0 for users and
// groups. Mount it at the SCIM root, for example with
//
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
//
// It panics if users or groups is nil, and, so that a handler never serves
// a directory to anyone who asks by accident, unless the options say how
// requests are authenticated ([WithBearerToken], [WithTokenValidator],
// [WithAuthenticator], or the explicit [WithoutAuthentication]) or when
// WithBearerToken is given an empty or blank token.
func NewHandler(users UserStore, groups GroupStore, opts ...Option) http.Handler {
	if users == nil || groups == nil {
		panic("scim: NewHandler needs a UserStore and a GroupStore")
	}
	c := defaultConfig()
	for _, o := range opts {
		o(c)
	}
	c.checkAuthConfig()
	h := &handler{cfg: c, users: users, groups: groups}
	h.userRT = newResourceType("User", c.userExtensions)
	h.groupRT = newResourceType("Group", c.groupExtensions)
	for _, rt := range []*resourceType{h.userRT, h.groupRT} {
		rt.strictAttributes = c.strictAttributes
		rt.strictBooleans = c.strictBooleans
	}
	h.setupKept(users, groups)
	h.memberPatcher, _ = groups.(MemberPatcher)
	h.memberPreserver, _ = groups.(MemberPreservingReplacer)
	h.userLender, _ = users.(UserLender)
	if !c.duplicateGroupNames && needsGroupNameGuard(groups) {
		h.groups = uniqueGroupNames{GroupStore: groups, rt: h.groupRT}
	}
	h.setupEvents(users, groups)
	return h
}

type handler struct {
	cfg           *config
	users         UserStore
	groups        GroupStore
	userRT        *resourceType
	groupRT       *resourceType
	memberPatcher MemberPatcher
	// memberPreserver, when the group store has it, writes PATCHes
	// that do not touch members.
	memberPreserver MemberPreservingReplacer
	// userLender is users' optional UserLender: it reads users without
	// copying them.
	userLender UserLender
	// ev says whether writes produce events (event_handler.go).
	ev eventState
	// base caches baseURL's result.
	base atomic.Pointer[baseURLCache]
}

// ServeHTTP routes a request to its endpoint (RFC 7644 §3.2).
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.requestLoggers != nil {
		if _, logged := w.(*logWriter); !logged {
			h.serveLogged(w, r) // requestlog.go: serves r through ServeHTTP, then logs it
			return
		}
	}
	// A bug in a store or in this package must cost one request a 500, not
	// the connection, and never show the client a stack trace.
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.writeError(w, r, fmt.Errorf("scim: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack()))
		}
	}()
	path := strings.Trim(r.URL.Path, "/")
	first, rest, _ := strings.Cut(path, "/")
	discovery := first == "ServiceProviderConfig" || first == "ResourceTypes" || first == "Schemas"
	if !(discovery && h.cfg.publicDiscovery) {
		ctx, err := h.authenticate(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if ctx != r.Context() {
			r = r.WithContext(ctx)
			noteServedContext(w, ctx)
		}
	}
	if err := checkRequestText(r); err != nil {
		h.writeError(w, r, err)
		return
	}
	switch first {
	case "Users":
		serveResource(h, w, r, h.userRT, h.users, rest)
	case "Groups":
		serveResource(h, w, r, h.groupRT, h.groups, rest)
	case "ServiceProviderConfig":
		if rest != "" {
			h.notFound(w, r)
		} else if h.allow(w, r, http.MethodGet) {
			h.serviceProviderConfig(w, r)
		}
	case "ResourceTypes":
		if h.allow(w, r, http.MethodGet) {
			h.resourceTypes(w, r, rest)
		}
	case "Schemas":
		if h.allow(w, r, http.MethodGet) {
			h.schemas(w, r, rest)
		}
	case ".search":
		if rest != "" {
			h.notFound(w, r)
		} else if h.allow(w, r, http.MethodPost) {
			h.rootSearch(w, r)
		}
	case "":
		if h.allow(w, r, http.MethodGet) {
			h.rootList(w, r)
		}
	case "Bulk":
		if h.allow(w, r, http.MethodPost) {
			h.bulk(w, r)
		}
	case "Me":
		h.writeError(w, r, NewError(http.StatusNotImplemented, "", "/Me is not supported"))
	default:
		h.notFound(w, r)
	}
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, NewError(http.StatusNotFound, "", "no SCIM endpoint at "+r.URL.Path))
}

// allow answers 405 unless r's method is one of methods.
func (h *handler) allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	h.writeError(w, r, NewError(http.StatusMethodNotAllowed, "", "method "+r.Method+" is not allowed here"))
	return false
}

// serveResource serves /Users and /Groups and everything below them.
func serveResource[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], rest string) {
	r = h.withMemberCheck(r, rt)
	switch {
	case rest == "":
		if h.allow(w, r, http.MethodGet, http.MethodPost) {
			if r.Method == http.MethodGet {
				list(h, w, r, rt, store, nil)
			} else {
				create(h, w, r, rt, store)
			}
		}
	case rest == ".search":
		if h.allow(w, r, http.MethodPost) {
			req, err := h.readSearch(r)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			list(h, w, r, rt, store, req)
		}
	case strings.Contains(rest, "/"):
		h.notFound(w, r)
	default:
		if !h.allow(w, r, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete) {
			return
		}
		// ServeHTTP checked the path of a request; a /Bulk operation's
		// path comes here without it.
		if err := checkRequestPath(rest); err != nil {
			h.writeError(w, r, err)
			return
		}
		switch r.Method {
		case http.MethodGet:
			get(h, w, r, rt, store, rest)
		case http.MethodPut:
			replace(h, w, r, rt, store, rest)
		case http.MethodPatch:
			patch(h, w, r, rt, store, rest)
		case http.MethodDelete:
			remove(h, w, r, rt, store, rest)
		}
	}
}
