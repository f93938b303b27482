package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Reading requests: bodies (size limit, media type, JSON), query
// parameters, SearchRequest bodies, and the store Query built from them.

// checkMediaType answers 415 unless the request body, if it says what it
// is, is JSON: application/scim+json, application/json, text/json, or any
// other "+json" type.
func checkMediaType(r *http.Request) error {
	if ct := header(r, "Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/scim+json" || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json") {
			return NewError(http.StatusUnsupportedMediaType, "", "the request body must be application/scim+json or application/json")
		}
	}
	return nil
}

// readBody reads a request body, enforcing the size limit, the media type
// and checkJSONText.
func (h *handler) readBody(r *http.Request) ([]byte, error) {
	body, err := h.readRawBody(r)
	if err != nil {
		return nil, err
	}
	if err := checkJSONText(body); err != nil {
		return nil, err
	}
	return body, nil
}

// readRawBody reads a request body, enforcing the size limit and the media
// type.
func (h *handler) readRawBody(r *http.Request) ([]byte, error) {
	if err := checkMediaType(r); err != nil {
		return nil, err
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

// readResourceDoc reads and validates a POST or PUT body.
func (h *handler) readResourceDoc(r *http.Request, rt *resourceType) (map[string]any, error) {
	raw, err := h.readObject(r)
	if err != nil {
		return nil, err
	}
	if err := rt.checkSchemas(raw); err != nil {
		return nil, err
	}
	doc, err := rt.normalizeDoc(raw)
	if err == nil {
		err = rt.keptDoc(doc, rt.strictAttributes)
	}
	return doc, err
}

// header returns the first value of the request header with the canonical
// name key, as r.Header.Get does, without canonicalising the name again.
func header(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
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

// parseQueryArgs reads the query string as url.ParseQuery does (pairs with
// a ';' or a bad escape are skipped; '+' is a space) without building a map
// of every parameter: when nothing needs unescaping, the values are
// substrings of the query and nothing is allocated.
func parseQueryArgs(raw string) queryArgs {
	var a queryArgs
	if strings.Count(raw, "&") >= MaxQueryParameters {
		return a // refused by checkQuery before anything reads the query
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

func (h *handler) projection(r *http.Request, rt *resourceType) *projection {
	if r.URL.RawQuery == "" {
		return rt.keptProjection
	}
	a := parseQueryArgs(r.URL.RawQuery)
	return rt.newProjection(a.vals[argAttributes], a.vals[argExcludedAttributes])
}

// searchRequest holds the parameters of a list request, from the query
// string (GET) or a SearchRequest body (POST .search, RFC 7644 §3.4.3).
type searchRequest struct {
	filter, sortBy, sortOrder string
	attributes, excluded      string
	startIndex, count         string
	startIndexSet, countSet   bool
}

func searchFromQuery(r *http.Request) *searchRequest {
	q := parseQueryArgs(r.URL.RawQuery)
	s := &searchRequest{
		filter:     q.vals[argFilter],
		sortBy:     q.vals[argSortBy],
		sortOrder:  q.vals[argSortOrder],
		attributes: q.vals[argAttributes],
		excluded:   q.vals[argExcludedAttributes],
		startIndex: q.vals[argStartIndex],
		count:      q.vals[argCount],
	}
	s.startIndexSet = s.startIndex != ""
	s.countSet = s.count != ""
	return s
}

// readSearch reads a SearchRequest body.
func (h *handler) readSearch(r *http.Request) (*searchRequest, error) {
	body, err := h.readRawBody(r)
	if err != nil {
		return nil, err
	}
	if pos, err := badJSONText(body); err != nil {
		// NUL in the filter is a bad filter, as in a query string.
		if err.ScimType == ScimTypeInvalidValue && inMember(body, "filter", pos) {
			err.ScimType = ScimTypeInvalidFilter
		}
		return nil, err
	}
	raw, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	s := &searchRequest{}
	for k, v := range raw {
		var err error
		switch strings.ToLower(k) {
		case "schemas":
			list, ok := v.([]any)
			found := false
			for _, x := range list {
				if u, ok := x.(string); ok && strings.EqualFold(u, SearchRequestSchema) {
					found = true
				}
			}
			if !ok || !found {
				return nil, errInvalidSyntax("\"schemas\" must name %s", SearchRequestSchema)
			}
		case "filter":
			s.filter, err = stringMember(k, v)
		case "sortby":
			s.sortBy, err = stringMember(k, v)
		case "sortorder":
			s.sortOrder, err = stringMember(k, v)
		case "attributes":
			s.attributes, err = listMember(k, v)
		case "excludedattributes":
			s.excluded, err = listMember(k, v)
		case "startindex":
			s.startIndex, s.startIndexSet = numberMember(v), v != nil
		case "count":
			s.count, s.countSet = numberMember(v), v != nil
		}
		if err != nil {
			return nil, err
		}
	}
	if _, ok := raw["schemas"]; !ok {
		found := false
		for k := range raw {
			found = found || strings.EqualFold(k, "schemas")
		}
		if !found {
			return nil, errInvalidSyntax("\"schemas\" must name %s", SearchRequestSchema)
		}
	}
	return s, nil
}

func stringMember(k string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", errInvalidValue("%q must be a string", k)
	}
	return s, nil
}

// listMember accepts an array of attribute names, or a comma-separated
// string as in a query string.
func listMember(k string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", errInvalidValue("%q must be an array of attribute names", k)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", errInvalidValue("%q must be an array of attribute names", k)
}

func numberMember(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	if n, ok := toNumber(v); ok {
		return string(n)
	}
	return "not a number"
}

// query builds the store query for rt (RFC 7644 §3.4.2): the filter parsed
// and validated, sortBy resolved, and paging clamped as §3.4.2.4 says:
// startIndex below 1 means 1, a negative count means 0, and count is at
// most the configured maximum.
func (h *handler) query(rt *resourceType, s *searchRequest) (*Query, *projection, error) {
	q := &Query{StartIndex: 1, Count: h.cfg.maxResults}
	if s.startIndexSet {
		n, err := strconv.Atoi(strings.TrimSpace(s.startIndex))
		if err != nil {
			return nil, nil, errInvalidValue("startIndex must be an integer")
		}
		q.StartIndex = max(n, 1)
	}
	if s.countSet {
		n, err := strconv.Atoi(strings.TrimSpace(s.count))
		if err != nil {
			return nil, nil, errInvalidValue("count must be an integer")
		}
		q.Count = min(max(n, 0), h.cfg.maxResults)
	}
	if strings.TrimSpace(s.filter) != "" {
		f, err := rt.parseFilter(s.filter)
		if err != nil {
			return nil, nil, err
		}
		if err := h.checkFilterCost(f); err != nil {
			return nil, nil, err
		}
		q.Filter = f
	}
	if s.sortBy != "" {
		path, err := rt.parseSortBy(s.sortBy)
		if err != nil {
			return nil, nil, err
		}
		q.SortBy = path
	}
	switch strings.ToLower(s.sortOrder) {
	case "", "ascending":
	case "descending":
		q.SortDescending = true
	default:
		return nil, nil, errInvalidValue("sortOrder must be \"ascending\" or \"descending\"")
	}
	if ok, err := rt.keptQuery(q); err != nil {
		return nil, nil, err
	} else if !ok {
		q.nothing = true
	}
	p := rt.newProjection(s.attributes, s.excluded)
	q.SkipMembership = rt.skipMembership(p, q.Filter)
	return q, p, nil
}
