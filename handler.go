package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/scimkit/scim/internal/borrow"
)

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
	h.memberPatcher, _ = groups.(MemberPatcher)
	h.userLender, _ = borrow.Lender(users).(userLender)
	return h
}

type handler struct {
	cfg           *config
	users         UserStore
	groups        GroupStore
	userRT        *resourceType
	groupRT       *resourceType
	memberPatcher MemberPatcher
	// userLender, when users is memstore's, reads users without copying.
	userLender userLender
	// base caches baseURL's result.
	base atomic.Pointer[baseURLCache]
}

// userLender is what memstore's UserStore lends through internal/borrow:
// reads that hand the stored users themselves to a sink, under the store's
// read lock, instead of returning copies. The handler only encodes them
// there; it never changes them, keeps them, or calls the store from the
// sink.
type userLender interface {
	// LendUser calls sink.LentUser with the user with the given id and,
	// unless opts.SkipMembership is set, its groups; it returns an error
	// wrapping ErrNotFound, without calling the sink, if there is none.
	LendUser(ctx context.Context, id string, opts ReadOptions, sink userSink) error
	// LendUsers answers q as Store.List does: sink.LentPage gets the number
	// of matches and the number of users on the page, then sink.LentUser
	// gets every user of the page, in order, with its groups unless
	// q.SkipMembership is set.
	LendUsers(ctx context.Context, q *Query, sink userSink) error
}

// userSink receives lent users; memstore spells the same interface type.
type userSink = interface {
	LentPage(total, n int)
	LentUser(u *User, groups []MultiValue)
}

// lentEncoder is the userSink of the handler: it encodes one user (inm
// set or not) or a ListResponse. It is pooled, with its buffer.
type lentEncoder struct {
	e    encoder
	lw   listWriter
	list bool
	// start is the ListResponse's startIndex.
	start int
	// inm is the If-None-Match header of a GET; notModified reports that
	// it matched version, the user's version.
	inm         string
	version     string
	notModified bool
}

var lentPool = sync.Pool{New: func() any { return &lentEncoder{lw: listWriter{b: make([]byte, 0, 4096)}} }}

func getLentEncoder(e encoder) *lentEncoder {
	s := lentPool.Get().(*lentEncoder)
	b := s.lw.b[:0]
	*s = lentEncoder{e: e, lw: listWriter{b: b}}
	return s
}

func (s *lentEncoder) release() {
	// Keep the buffer, drop everything that points into a request or a
	// store; a buffer grown by a huge response is not kept.
	b := s.lw.b[:0]
	if cap(b) > 1<<20 {
		b = make([]byte, 0, 4096)
	}
	*s = lentEncoder{lw: listWriter{b: b}}
	lentPool.Put(s)
}

func (s *lentEncoder) LentPage(total, n int) { s.lw.begin(total, n, s.start) }

func (s *lentEncoder) LentUser(u *User, groups []MultiValue) {
	if s.list {
		s.lw.next()
		s.lw.b = s.e.appendUserGroups(s.lw.b, u, groups)
		return
	}
	s.version = u.Meta.Version
	if s.inm != "" && etagMatches(s.inm, s.version) {
		s.notModified = true
		return
	}
	s.lw.b = s.e.appendUserGroups(s.lw.b, u, groups)
}

const scimContentType = "application/scim+json"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// ServeHTTP routes a request to its endpoint (RFC 7644 §3.2).
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		}
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

// baseURL returns the absolute URL of the SCIM root for r.
func (h *handler) baseURL(r *http.Request) string {
	if h.cfg.baseURL != "" {
		return h.cfg.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := header(r, "X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if fh := header(r, "X-Forwarded-Host"); fh != "" {
		host = fh
	}
	// http.StripPrefix leaves RequestURI as it was: what it removed is the
	// mount prefix.
	prefix := ""
	raw := r.RequestURI
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	// An absolute-form request-target (RFC 9112 §3.2.2) starts with the
	// scheme and authority, which are not part of the prefix.
	if i := strings.Index(raw, "://"); i >= 0 && !strings.HasPrefix(raw, "/") {
		raw = raw[i+3:]
		if j := strings.IndexByte(raw, '/'); j >= 0 {
			raw = raw[j:]
		} else {
			raw = ""
		}
	}
	if esc := r.URL.EscapedPath(); strings.HasSuffix(raw, esc) {
		prefix = strings.TrimSuffix(raw[:len(raw)-len(esc)], "/")
	}
	// Nearly every request of a deployment has the same base: keep the
	// last one built rather than concatenating it again.
	if c := h.base.Load(); c != nil && c.scheme == scheme && c.host == host && c.prefix == prefix {
		return c.url
	}
	c := &baseURLCache{scheme: scheme, host: host, prefix: prefix, url: scheme + "://" + host + prefix}
	// The parts are substrings of the request: keep copies of them only.
	c.scheme, c.host, c.prefix = c.url[:len(scheme)], c.url[len(scheme)+3:len(scheme)+3+len(host)], c.url[len(c.url)-len(prefix):]
	h.base.Store(c)
	return c.url
}

// header returns the first value of the request header with the canonical
// name key, as r.Header.Get does, without canonicalising the name again.
func header(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// baseURLCache is the base URL last derived from a request, with the parts
// it was built from.
type baseURLCache struct{ scheme, host, prefix, url string }

// writeError writes err as a SCIM error response. Internal errors are
// logged and answered with a generic detail.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, internal := toError(err)
	if internal {
		h.cfg.logger.ErrorContext(r.Context(), "scim: internal error", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeErrorResponse(w, e)
}

func (h *handler) writeJSON(w http.ResponseWriter, status int, b []byte) {
	writeBody(w, status, b, "")
}

// autoLengthMax is the largest body for which net/http sets Content-Length
// itself (without allocating) when the handler writes it at once and
// returns: its buffer before it switches to chunked encoding.
const autoLengthMax = 2048

// writeBody writes b as a SCIM response with status and, unless etag is
// empty, an ETag. The header values share one allocation, and keys are
// given in canonical form so that setting them allocates nothing more.
func writeBody(w http.ResponseWriter, status int, b []byte, etag string) {
	hdr := w.Header()
	vals := make([]string, 3)
	vals[0] = scimContentType
	hdr["Content-Type"] = vals[0:1:1]
	if etag != "" {
		vals[1] = etag
		hdr["Etag"] = vals[1:2:2]
	}
	if len(b) > autoLengthMax {
		vals[2] = strconv.Itoa(len(b))
		hdr["Content-Length"] = vals[2:3:3]
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readBody reads a request body, enforcing the size limit and the media
// type.
func (h *handler) readBody(r *http.Request) ([]byte, error) {
	if ct := header(r, "Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/scim+json" || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json") {
			return nil, NewError(http.StatusUnsupportedMediaType, "", "the request body must be application/scim+json or application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.cfg.maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", h.cfg.maxBodyBytes)
		}
		return nil, errInvalidSyntax("the request body could not be read")
	}
	return body, nil
}

// decodeObject decodes a JSON object, keeping numbers exact.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errInvalidSyntax("the request body is not valid JSON")
	}
	if dec.More() {
		return nil, errInvalidSyntax("the request body has data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errInvalidSyntax("the request body has data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errInvalidSyntax("the request body must be a JSON object")
	}
	return m, nil
}

func (h *handler) readObject(r *http.Request) (map[string]any, error) {
	body, err := h.readBody(r)
	if err != nil {
		return nil, err
	}
	return decodeObject(body)
}

// Query parameters that the handler reads (RFC 7644 §3.4.2, §3.9).
const (
	argFilter = iota
	argSortBy
	argSortOrder
	argAttributes
	argExcludedAttributes
	argStartIndex
	argCount
	numArgs
)

var argNames = [numArgs]string{"filter", "sortBy", "sortOrder", "attributes", "excludedAttributes", "startIndex", "count"}

// queryArgs holds the first value of each query parameter the handler
// reads. Names match case-insensitively, as some clients capitalise them;
// a name spelled exactly wins over another spelling.
type queryArgs struct {
	vals         [numArgs]string
	found, exact uint8 // bit i: vals[i] was set, by its exact name
}

// maxQueryParams is url.ParseQuery's default limit: a query with more
// parameters is read as having none.
const maxQueryParams = 10000

// parseQueryArgs reads the query string as url.ParseQuery does (pairs with
// a ';' or a bad escape are skipped; '+' is a space) without building a map
// of every parameter: when nothing needs unescaping, the values are
// substrings of the query and nothing is allocated.
func parseQueryArgs(raw string) queryArgs {
	var a queryArgs
	if strings.Count(raw, "&") >= maxQueryParams {
		return a
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		i := argIndex(k)
		if i < 0 {
			continue
		}
		bit := uint8(1) << i
		exact := k == argNames[i]
		if a.exact&bit != 0 || (a.found&bit != 0 && !exact) {
			continue
		}
		if v, err = url.QueryUnescape(v); err != nil {
			continue
		}
		a.vals[i] = v
		a.found |= bit
		if exact {
			a.exact |= bit
		}
	}
	return a
}

// argIndex returns the index of the parameter named k in any case, or -1.
func argIndex(k string) int {
	for i, n := range argNames {
		if len(k) == len(n) && strings.EqualFold(k, n) {
			return i
		}
	}
	return -1
}

// docOf returns the document form of a resource.
func docOf[R Resource](r *R) map[string]any {
	switch x := any(r).(type) {
	case *User:
		return userToDoc(x)
	case *Group:
		return groupToDoc(x)
	}
	return nil
}

func fromDoc[R Resource](doc map[string]any) *R {
	var r *R
	switch p := any(&r).(type) {
	case **User:
		*p = userFromDoc(doc)
	case **Group:
		*p = groupFromDoc(doc)
	}
	return r
}

func metaOf[R Resource](r *R) *Meta {
	switch x := any(r).(type) {
	case *User:
		return &x.Meta
	case *Group:
		return &x.Meta
	}
	return nil
}

func idOf[R Resource](r *R) string {
	switch x := any(r).(type) {
	case *User:
		return x.ID
	case *Group:
		return x.ID
	}
	return ""
}

func setID[R Resource](r *R, id string) {
	switch x := any(r).(type) {
	case *User:
		x.ID = id
	case *Group:
		x.ID = id
	}
}

// serveResource serves /Users and /Groups and everything below them.
func serveResource[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], rest string) {
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

func (h *handler) projection(r *http.Request, rt *resourceType) *projection {
	if r.URL.RawQuery == "" {
		return nil
	}
	a := parseQueryArgs(r.URL.RawQuery)
	return rt.newProjection(a.vals[argAttributes], a.vals[argExcludedAttributes])
}

// writeResource writes one resource with its ETag and, for 201, Location.
func writeResource[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, status int, res *R, p *projection) {
	base := h.baseURL(r)
	m := metaOf(res)
	if status == http.StatusCreated {
		w.Header().Set("Location", base+rt.endpoint+"/"+idOf(res))
	}
	bp := bufPool.Get().(*[]byte)
	e := encoder{rt: rt, p: p, base: base}
	b := appendResource(&e, (*bp)[:0], res)
	writeBody(w, status, b, m.Version)
	*bp = b[:0]
	bufPool.Put(bp)
}

func create[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R]) {
	doc, err := h.readResourceDoc(r, rt)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	created, err := store.Create(r.Context(), fromDoc[R](doc))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeResource(h, w, r, rt, http.StatusCreated, created, h.projection(r, rt))
}

// readResourceDoc reads and validates a POST or PUT body.
func (h *handler) readResourceDoc(r *http.Request, rt *resourceType) (map[string]any, error) {
	raw, err := h.readObject(r)
	if err != nil {
		return nil, err
	}
	if err := rt.checkSchemas(raw); err != nil {
		return nil, err
	}
	return rt.normalizeDoc(raw)
}

func get[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	p := h.projection(r, rt)
	if rt == h.userRT && h.userLender != nil {
		h.getLent(w, r, p, id)
		return
	}
	res, err := store.Get(r.Context(), id, ReadOptions{SkipMembership: !p.wantsMembership(rt)})
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if inm := header(r, "If-None-Match"); inm != "" && etagMatches(inm, metaOf(res).Version) {
		w.Header().Set("ETag", metaOf(res).Version)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeResource(h, w, r, rt, http.StatusOK, res, p)
}

// getLent answers GET /Users/{id} as get does, encoding the user that
// h.userLender lends instead of a copy.
func (h *handler) getLent(w http.ResponseWriter, r *http.Request, p *projection, id string) {
	rt := h.userRT
	s := getLentEncoder(encoder{rt: rt, p: p, base: h.baseURL(r)})
	defer s.release()
	s.inm = header(r, "If-None-Match")
	if err := h.userLender.LendUser(r.Context(), id, ReadOptions{SkipMembership: !p.wantsMembership(rt)}, s); err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if s.notModified {
		w.Header().Set("ETag", s.version)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, http.StatusOK, s.lw.b, s.version)
}

// notFoundAs gives ErrNotFound a detail that names the resource.
func notFoundAs(err error, rt *resourceType, id string) error {
	var se *Error
	if errors.Is(err, ErrNotFound) && !errors.As(err, &se) {
		e := errNotFound(rt.name, id)
		e.err = err
		return e
	}
	return err
}

// etagMatches reports whether an If-Match or If-None-Match header value
// matches version, using weak comparison (RFC 7232 §2.3.2).
func etagMatches(header, version string) bool {
	if version == "" {
		return false
	}
	v := strings.TrimPrefix(version, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == v {
			return true
		}
	}
	return false
}

// ifMatch returns the version a write must find, from If-Match: empty when
// the header is absent or "*" (mustExist then reports that the resource
// has to exist).
func ifMatch(r *http.Request) (version string, mustExist bool, present bool) {
	hv := strings.TrimSpace(header(r, "If-Match"))
	if hv == "" {
		return "", false, false
	}
	if hv == "*" {
		return "", true, true
	}
	return hv, false, true
}

func replace[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	doc, err := h.readResourceDoc(r, rt)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	want, _, conditional := ifMatch(r)
	old, err := store.Get(ctx, id, ReadOptions{SkipMembership: true})
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if conditional && want != "" && !etagMatches(want, metaOf(old).Version) {
		h.writeError(w, r, ErrPreconditionFailed)
		return
	}
	res := fromDoc[R](doc)
	setID(res, id)
	// password is write-only: a client that PUTs what it read back cannot
	// send it, and must not erase it by doing so.
	if u, ok := any(res).(*User); ok && u.Password == "" {
		u.Password = any(old).(*User).Password
	}
	ver := ""
	if conditional {
		ver = metaOf(old).Version
	}
	stored, err := store.Replace(ctx, res, ver)
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	writeResource(h, w, r, rt, http.StatusOK, stored, h.projection(r, rt))
}

func remove[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	want, mustExist, _ := ifMatch(r)
	ctx := r.Context()
	if want != "" {
		var err error
		if want, err = ifVersion(ctx, store, id, want); err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
	}
	if mustExist {
		if _, err := store.Get(ctx, id, ReadOptions{SkipMembership: true}); err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
	}
	if err := store.Delete(ctx, id, want); err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
