package scim

import (
	"net/http"
	"strconv"
	"sync"
)

// Writing responses: one resource, a ListResponse, no content, or an error,
// with the SCIM media type and the headers that go with each.

const scimContentType = "application/scim+json"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

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

// writeResource writes one resource with its ETag and, for 201, Location.
func writeResource[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, status int, res *R, p *projection) {
	base := h.baseURL(r)
	m := metaOf(res)
	if status == http.StatusCreated {
		w.Header().Set("Location", base+rt.endpoint+"/"+pathSegment(idOf(res)))
	}
	bp := bufPool.Get().(*[]byte)
	e := encoder{rt: rt, p: p, base: base}
	b := appendResource(&e, (*bp)[:0], res)
	writeBody(w, status, b, m.Version)
	*bp = b[:0]
	bufPool.Put(bp)
}

// writeWritten is writeResource for the resource a write returned. When
// the write's events rendered it already, as a user's snapshot, and the
// response shows the default projection, which is what a snapshot shows,
// that rendering is the body: the same bytes, encoded once.
func writeWritten[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, status int, res *R, p *projection, c *Change) {
	if b := c.bodyFor(any(res)); b != nil && rt == h.userRT && p == rt.keptProjection {
		if status == http.StatusCreated {
			w.Header().Set("Location", h.baseURL(r)+rt.endpoint+"/"+pathSegment(idOf(res)))
		}
		writeBody(w, status, b, metaOf(res).Version)
		return
	}
	writeResource(h, w, r, rt, status, res, p)
}

func writeNoContent(w http.ResponseWriter, version string) {
	if version != "" {
		w.Header().Set("ETag", version)
	}
	w.WriteHeader(http.StatusNoContent)
}

// listWriter writes a ListResponse (RFC 7644 §3.4.2) with its jsonWriter:
// begin, then next before each resource is appended to b, then end.
type listWriter struct{ jsonWriter }

func (l *listWriter) begin(total, items, start int) {
	l.open('{')
	l.name(`,"schemas":`)
	l.raw(`["` + ListResponseSchema + `"]`)
	l.name(`,"totalResults":`)
	l.integer(total)
	l.name(`,"itemsPerPage":`)
	l.integer(items)
	l.name(`,"startIndex":`)
	l.integer(start)
	l.name(`,"Resources":`)
	l.open('[')
}

// next separates the resource about to be appended from the one before.
func (l *listWriter) next() {
	l.elem()
	l.comma = true
}

func (l *listWriter) end() {
	l.close(']')
	l.close('}')
}

// writeErrorResponse writes e as the response (RFC 7644 §3.12).
func writeErrorResponse(w http.ResponseWriter, e *Error) {
	status := statusCode(e)
	hdr := w.Header()
	delete(hdr, "Etag")
	if status == http.StatusUnauthorized && hdr.Get("WWW-Authenticate") == "" {
		hdr.Set("WWW-Authenticate", `Bearer realm="SCIM"`)
	}
	writeBody(w, status, appendErrorBody(nil, status, e), "")
}

// appendErrorBody appends the SCIM error body of e, sent with status.
func appendErrorBody(b []byte, status int, e *Error) []byte {
	jw := jsonWriter{b: b}
	jw.open('{')
	jw.name(`,"schemas":`)
	jw.raw(`["` + ErrorSchema + `"]`)
	jw.name(`,"status":`)
	jw.strConcat(strconv.Itoa(status))
	jw.strField("scimType", e.ScimType)
	jw.strField("detail", e.Detail)
	jw.close('}')
	return jw.b
}
