package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Bulk operations (RFC 7644 §3.7). Each operation of a BulkRequest becomes
// an internal *http.Request (the bulk request's context and headers, If-Match
// from the operation's "version", the operation's data as body) that runs
// through serveResource into an in-memory ResponseWriter, so validation, the
// PATCH engine, the stores and tenancy are exactly those of single requests:
// a bulk operation can do nothing a single request would refuse.

const (
	bulkIDPrefix = "bulkId:"
	// batchIDPrefix is the misspelling of "bulkId:" in an example of RFC
	// 7644 §3.7.2 (see its errata); it is accepted for bulkIds that the
	// request defines.
	batchIDPrefix = "batchId:"
)

func (h *handler) bulkSupported() bool {
	return h.cfg.maxBulkOps > 0 && h.cfg.maxBulkBytes > 0
}

// bulkRequest is a BulkRequest body. encoding/json matches member names
// case-insensitively, as SCIM wants.
type bulkRequest struct {
	Schemas      []string          `json:"schemas"`
	FailOnErrors json.RawMessage   `json:"failOnErrors"`
	Operations   []bulkOperationIn `json:"Operations"`
}

type bulkOperationIn struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId"`
	Version string          `json:"version"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data"`
}

// Operation states during a bulk run.
const (
	opPending = iota
	opRunning // its dependencies are being run: it is on the run stack
	opDone
)

type bulkOp struct {
	in     *bulkOperationIn
	method string // canonical, once validated
	rt     *resourceType
	id     string // the path's resource id, possibly "bulkId:…"
	refs   []string
	data   any // decoded data, only when it references bulkIds
	err    error
	state  uint8
	// deferred is set on a POST created without its references to POSTs
	// that were still running (a circular reference): they are added by a
	// PUT once those have run.
	deferred bool
	res      *bulkResult
}

type bulkResult struct {
	status   int
	location string
	version  string
	id       string // the id a successful POST created
	response []byte // the SCIM error of a failed operation
}

// bulk serves POST /Bulk.
func (h *handler) bulk(w http.ResponseWriter, r *http.Request) {
	if !h.bulkSupported() {
		h.writeError(w, r, NewError(http.StatusNotImplemented, "", "bulk operations are not supported"))
		return
	}
	body, err := h.readBulkBody(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var req bulkRequest
	if err := json.Unmarshal(body, &req); err != nil {
		h.writeError(w, r, errInvalidSyntax("the request body is not a valid BulkRequest"))
		return
	}
	if !hasSchema(req.Schemas, BulkRequestSchema) {
		h.writeError(w, r, errInvalidSyntax("\"schemas\" must name %s", BulkRequestSchema))
		return
	}
	if req.Operations == nil {
		h.writeError(w, r, errInvalidSyntax("a BulkRequest needs \"Operations\""))
		return
	}
	if len(req.Operations) > h.cfg.maxBulkOps {
		h.writeError(w, r, errorf(http.StatusRequestEntityTooLarge, "",
			"The number of operations exceeds the maxOperations (%d).", h.cfg.maxBulkOps))
		return
	}
	failOnErrors, err := parseFailOnErrors(req.FailOnErrors)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx, cancel := h.bulkContext(r)
	defer cancel()
	b := newBulkRun(h, r.WithContext(ctx), req.Operations, failOnErrors)
	b.parent = r.Context()
	b.runAll()
	h.writeJSON(w, http.StatusOK, b.appendResponse(make([]byte, 0, 64+96*len(b.ops))))
}

// readBulkBody reads a BulkRequest body, enforcing maxPayloadSize with the
// error of RFC 7644 §3.7.4.
func (h *handler) readBulkBody(r *http.Request) ([]byte, error) {
	limit := h.cfg.maxBulkBytes
	tooLarge := func() error {
		return errorf(http.StatusRequestEntityTooLarge, "",
			"The size of the bulk operation exceeds the maxPayloadSize (%d).", limit)
	}
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	if err := checkMediaType(r); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		return nil, errInvalidSyntax("the request body could not be read")
	}
	if err := checkJSONText(body); err != nil {
		return nil, err
	}
	return body, nil
}

func hasSchema(list []string, urn string) bool {
	for _, s := range list {
		if strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

// parseFailOnErrors accepts a non-negative integer, or one in a string; 0
// or absent means that every operation runs.
func parseFailOnErrors(raw json.RawMessage) (int, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	if len(s) >= 2 && s[0] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			s = strings.TrimSpace(u)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errInvalidValue("failOnErrors must be a non-negative integer")
	}
	return n, nil
}

// bulkRun holds the state of one BulkRequest while its operations run.
type bulkRun struct {
	h            *handler
	base         *http.Request // the template of every operation's request
	baseURL      string
	prefix       string // the mount prefix, for RequestURI
	ops          []bulkOp
	defs         map[string]int // bulkId → index of the POST defining it
	failOnErrors int
	// parent is the bulk request's own context; base's ends with the
	// time budget (see WithBulkTimeout).
	parent  context.Context
	errors  int
	stopped bool
	fixups  []int
	rec     bulkRecorder
}

func newBulkRun(h *handler, r *http.Request, in []bulkOperationIn, failOnErrors int) *bulkRun {
	b := &bulkRun{
		h:            h,
		baseURL:      h.baseURL(r),
		ops:          make([]bulkOp, len(in)),
		failOnErrors: failOnErrors,
		rec:          bulkRecorder{header: make(http.Header, 4)},
	}
	// The operations' requests carry the bulk request's context (tenancy),
	// headers (authentication, forwarding) and mount point, so that
	// baseURL and the stores see what a single request would show them.
	base := r.Clone(r.Context())
	base.Header.Del("Content-Length")
	base.Header.Del("Content-Encoding")
	base.Header.Del("If-Match")
	base.Header.Del("If-None-Match")
	base.Header.Del("If-Modified-Since")
	base.Header.Del("If-Unmodified-Since")
	base.Header.Set("Content-Type", scimContentType)
	base.Body, base.GetBody, base.TransferEncoding = nil, nil, nil
	base.Form, base.PostForm, base.MultipartForm = nil, nil, nil
	raw := r.RequestURI
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	// Replacing the path at the end of RequestURI keeps whatever baseURL
	// derives the mount prefix from.
	if esc := r.URL.EscapedPath(); strings.HasSuffix(raw, esc) {
		b.prefix = raw[:len(raw)-len(esc)]
	}
	b.base = base
	for i := range in {
		b.ops[i].in = &in[i]
		b.parse(i)
	}
	// Every bulkId is known now: find the references.
	for i := range b.ops {
		b.findRefs(i)
	}
	return b
}

// parse validates operation i and registers the bulkId of a POST.
func (b *bulkRun) parse(i int) {
	op := &b.ops[i]
	in := op.in
	switch m := strings.ToUpper(strings.TrimSpace(in.Method)); m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		op.method = m
	default:
		op.err = errInvalidValue("method must be POST, PUT, PATCH or DELETE")
		return
	}
	if op.method == http.MethodPost {
		if in.BulkID == "" {
			op.err = errInvalidSyntax("bulkId is required for a POST operation")
			return
		}
		if _, dup := b.defs[in.BulkID]; dup {
			op.err = errInvalidValue("bulkId %q is used by more than one operation", in.BulkID)
			return
		}
		if b.defs == nil {
			b.defs = make(map[string]int)
		}
		// Registered even if the operation turns out invalid, so that
		// references to it fail as references to a failed POST.
		b.defs[in.BulkID] = i
	}
	rt, id, err := b.parsePath(in.Path)
	if err != nil {
		op.err = err
		return
	}
	op.rt, op.id = rt, id
	data := bytes.TrimSpace(in.Data)
	if len(data) == 0 || string(data) == "null" {
		if op.method != http.MethodDelete {
			op.err = errInvalidSyntax("data is required for a %s operation", op.method)
		}
		in.Data = nil
	}
}

// findRefs finds the bulkIds that operation i references in its path and
// data.
func (b *bulkRun) findRefs(i int) {
	op := &b.ops[i]
	if op.err != nil {
		return
	}
	if ref, ok := b.cutRef(op.id); ok {
		op.refs = append(op.refs, ref)
	}
	if op.in.Data != nil && mayReference(op.in.Data) {
		dec := json.NewDecoder(bytes.NewReader(op.in.Data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil && b.collectRefs(v, &op.refs) {
			op.data = v
		}
	}
}

// cutRef returns the bulkId that s references, if it is a reference.
func (b *bulkRun) cutRef(s string) (string, bool) {
	if ref, ok := strings.CutPrefix(s, bulkIDPrefix); ok {
		return ref, true
	}
	if ref, ok := strings.CutPrefix(s, batchIDPrefix); ok {
		_, defined := b.defs[ref]
		return ref, defined
	}
	return "", false
}

// mayReference reports whether data can hold a reference, perhaps written
// with escapes.
func mayReference(data []byte) bool {
	return bytes.Contains(data, []byte(bulkIDPrefix)) || bytes.Contains(data, []byte(batchIDPrefix)) ||
		bytes.Contains(data, []byte(`\u`))
}

// collectRefs appends to refs the bulkIds that strings in v reference,
// once each, and reports whether v holds any reference.
func (b *bulkRun) collectRefs(v any, refs *[]string) bool {
	switch x := v.(type) {
	case string:
		ref, ok := b.cutRef(x)
		if !ok {
			return false
		}
		for _, r := range *refs {
			if r == ref {
				return true
			}
		}
		*refs = append(*refs, ref)
		return true
	case map[string]any:
		found := false
		for _, e := range x {
			found = b.collectRefs(e, refs) || found
		}
		return found
	case []any:
		found := false
		for _, e := range x {
			found = b.collectRefs(e, refs) || found
		}
		return found
	}
	return false
}

// parsePath accepts /Users, /Users/{id}, /Groups and /Groups/{id}, with or
// without the leading slash, and nothing else: no query, no .search and no
// nested /Bulk.
func (b *bulkRun) parsePath(p string) (*resourceType, string, error) {
	p = strings.TrimSpace(p)
	bad := func() error {
		return errInvalidValue("path %q must be /Users, /Users/{id}, /Groups or /Groups/{id}", p)
	}
	if strings.ContainsAny(p, "?#") {
		return nil, "", bad()
	}
	first, rest, _ := strings.Cut(strings.Trim(p, "/"), "/")
	var rt *resourceType
	switch {
	case strings.EqualFold(first, "Users"):
		rt = b.h.userRT
	case strings.EqualFold(first, "Groups"):
		rt = b.h.groupRT
	default:
		return nil, "", bad()
	}
	if strings.Contains(rest, "/") || rest == ".search" {
		return nil, "", bad()
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return nil, "", bad()
	}
	return rt, id, nil
}

// runAll runs every operation in request order, except that a POST runs
// before the first operation that references its bulkId.
func (b *bulkRun) runAll() {
	for i := range b.ops {
		if b.stopped {
			break
		}
		if b.ops[i].state == opPending {
			b.run(i)
		}
		// The run stack is empty: every circular reference can now be
		// resolved or reported.
		for len(b.fixups) > 0 {
			j := b.fixups[0]
			b.fixups = b.fixups[1:]
			b.fixup(j)
		}
	}
}

// run runs the POSTs that operation i references, then i. The depth of the
// recursion is bounded by the number of operations.
func (b *bulkRun) run(i int) {
	op := &b.ops[i]
	op.state = opRunning
	defer func() { op.state = opDone }()
	if op.err == nil {
		for _, ref := range op.refs {
			j, ok := b.defs[ref]
			if !ok {
				continue
			}
			switch b.ops[j].state {
			case opPending:
				b.run(j)
			case opRunning:
				// j is on the stack below i, so j (transitively) references
				// i: a cycle, which only POSTs can form. Create i without its
				// references to running POSTs and complete it afterwards.
				op.deferred = true
			}
			if b.stopped {
				return
			}
		}
	}
	if b.base.Context().Err() != nil {
		if b.outOfTime() {
			// Not counted against failOnErrors: the operation is not
			// wrong, it was not run.
			op.res = b.timeoutResult(false)
			return
		}
		b.stopped = true
		return
	}
	res := b.exec(i)
	if res.status == http.StatusServiceUnavailable && b.outOfTime() {
		res = b.timeoutResult(true)
	}
	b.record(i, res)
}

// record stores the result of operation i and counts it against
// failOnErrors.
func (b *bulkRun) record(i int, res *bulkResult) {
	b.ops[i].res = res
	if res.status >= 400 {
		b.errors++
		if b.failOnErrors > 0 && b.errors >= b.failOnErrors {
			b.stopped = true
		}
	}
}

// exec executes operation i, whose referenced POSTs have run.
func (b *bulkRun) exec(i int) *bulkResult {
	op := &b.ops[i]
	if op.err != nil {
		return b.errorResult(op.err)
	}
	id := op.id
	if ref, ok := b.cutRef(id); ok {
		var err error
		if id, err = b.lookup(ref); err != nil {
			return b.errorResult(err)
		}
	}
	body := []byte(op.in.Data)
	if op.data != nil {
		data, _, err := b.resolve(op.data, op.deferred)
		if err != nil {
			return b.errorResult(err)
		}
		if body, err = json.Marshal(data); err != nil {
			return b.errorResult(errInvalidValue("data could not be encoded"))
		}
	}
	version := ""
	if op.method != http.MethodPost {
		version = op.in.Version
	}
	res := b.do(op.method, op.rt, id, body, version)
	if op.method != http.MethodPost {
		res.location = b.baseURL + op.rt.endpoint + "/" + pathSegment(id)
	} else if res.status == http.StatusCreated && op.deferred {
		b.fixups = append(b.fixups, i)
	}
	return res
}

// lookup returns the id that the POST with the given bulkId created.
func (b *bulkRun) lookup(ref string) (string, error) {
	j, ok := b.defs[ref]
	if !ok {
		return "", errorf(http.StatusConflict, ScimTypeInvalidValue,
			"bulkId %q cannot be resolved: no POST operation in this request has it", ref)
	}
	if res := b.ops[j].res; res != nil && res.id != "" {
		return res.id, nil
	}
	if b.ops[j].state == opRunning {
		return "", errorf(http.StatusConflict, ScimTypeInvalidValue,
			"bulkId %q cannot be resolved: it is part of a circular reference", ref)
	}
	return "", errorf(http.StatusConflict, ScimTypeInvalidValue,
		"bulkId %q cannot be resolved: its POST operation failed", ref)
}

// resolve returns a copy of v with every "bulkId:…" string replaced by the
// id it references. With skipRunning, references to POSTs still running
// are left out instead (an array loses the whole element holding one, an
// object the member), and tainted reports that some were.
func (b *bulkRun) resolve(v any, skipRunning bool) (out any, tainted bool, err error) {
	switch x := v.(type) {
	case string:
		ref, ok := b.cutRef(x)
		if !ok {
			return x, false, nil
		}
		if j, ok := b.defs[ref]; ok && skipRunning && b.ops[j].state == opRunning && b.ops[j].res == nil {
			return nil, true, nil
		}
		id, err := b.lookup(ref)
		return id, false, err
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			o, t, err := b.resolve(e, skipRunning)
			if err != nil {
				return nil, false, err
			}
			tainted = tainted || t
			if _, isString := e.(string); t && isString {
				continue
			}
			m[k] = o
		}
		return m, tainted, nil
	case []any:
		a := make([]any, 0, len(x))
		for _, e := range x {
			o, t, err := b.resolve(e, skipRunning)
			if err != nil {
				return nil, false, err
			}
			if t {
				tainted = true
				continue
			}
			a = append(a, o)
		}
		return a, tainted, nil
	}
	return v, false, nil
}

// fixup completes POST i, created without its circular references, with a
// PUT of its full data (RFC 7644 §3.7.1). If a reference cannot be resolved
// after all, or the PUT fails, the resource is deleted again and the
// operation fails.
func (b *bulkRun) fixup(i int) {
	op := &b.ops[i]
	created := op.res
	fail := func(res *bulkResult) {
		b.do(http.MethodDelete, op.rt, created.id, nil, "")
		b.record(i, res)
	}
	data, _, err := b.resolve(op.data, false)
	if err != nil {
		fail(b.errorResult(err))
		return
	}
	body, err := json.Marshal(data)
	if err != nil {
		fail(b.errorResult(errInvalidValue("data could not be encoded")))
		return
	}
	res := b.do(http.MethodPut, op.rt, created.id, body, created.version)
	if res.status >= 400 {
		res.location = ""
		fail(res)
		return
	}
	created.version = res.version
}

func (b *bulkRun) errorResult(err error) *bulkResult {
	e, _ := toError(err)
	b.rec.reset()
	b.h.writeError(&b.rec, b.base, e)
	return &bulkResult{status: statusCode(e), response: bytes.Clone(b.rec.body)}
}

// do runs one request through the handler's resource routing and returns
// its outcome.
func (b *bulkRun) do(method string, rt *resourceType, id string, body []byte, version string) *bulkResult {
	u := &url.URL{Path: rt.endpoint}
	if id != "" {
		u.Path += "/" + id
	}
	if rt == b.h.groupRT && method != http.MethodDelete {
		// The body of a success is dropped: spare reading and encoding the
		// members of a large group.
		u.RawQuery = "attributes=id"
	}
	req := new(http.Request)
	*req = *b.base
	req.Method = method
	req.URL = u
	req.RequestURI = b.prefix + u.EscapedPath()
	req.ContentLength = int64(len(body))
	req.Body = io.NopCloser(bytes.NewReader(body))
	if version != "" {
		req.Header.Set("If-Match", version)
	} else {
		req.Header.Del("If-Match")
	}
	w := &b.rec
	w.reset()
	if rt == b.h.userRT {
		serveResource(b.h, w, req, rt, b.h.users, id)
	} else {
		serveResource(b.h, w, req, rt, b.h.groups, id)
	}
	res := &bulkResult{status: w.status, version: w.header.Get("ETag")}
	if res.status == 0 {
		res.status = http.StatusOK
	}
	if res.status >= 400 {
		res.version = ""
		if json.Valid(w.body) {
			res.response = bytes.Clone(w.body)
		} else {
			res.response = []byte(`{"schemas":["` + ErrorSchema + `"],"status":"` + strconv.Itoa(res.status) + `"}`)
		}
		return res
	}
	if method == http.MethodPost {
		loc := w.header.Get("Location")
		res.location = loc
		res.id = strings.TrimPrefix(loc, b.baseURL+rt.endpoint+"/")
		if id, err := url.PathUnescape(res.id); err == nil {
			res.id = id
		}
		if res.id == loc || res.id == "" {
			var created struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(w.body, &created)
			res.id = created.ID
		}
	}
	return res
}

// appendResponse appends the BulkResponse: one entry per operation that
// ran, in request order.
func (b *bulkRun) appendResponse(buf []byte) []byte {
	jw := jsonWriter{b: buf}
	jw.open('{')
	jw.key("schemas")
	jw.raw(`["` + BulkResponseSchema + `"]`)
	jw.key("Operations")
	jw.open('[')
	for i := range b.ops {
		op := &b.ops[i]
		if op.res == nil {
			continue
		}
		jw.elem()
		jw.open('{')
		method := op.method
		if method == "" {
			method = op.in.Method
		}
		jw.strField("method", method)
		jw.strField("bulkId", op.in.BulkID)
		jw.strField("version", op.res.version)
		jw.strField("location", op.res.location)
		jw.strField("status", strconv.Itoa(op.res.status))
		if len(op.res.response) > 0 {
			jw.key("response")
			jw.b = append(jw.b, op.res.response...)
			jw.comma = true
		}
		jw.close('}')
	}
	jw.close(']')
	jw.close('}')
	return jw.b
}

// bulkRecorder is the ResponseWriter of one operation, reused for the next.
type bulkRecorder struct {
	header http.Header
	status int
	body   []byte
}

func (w *bulkRecorder) Header() http.Header { return w.header }

func (w *bulkRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bulkRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

func (w *bulkRecorder) reset() {
	clear(w.header)
	w.status = 0
	w.body = w.body[:0]
}
