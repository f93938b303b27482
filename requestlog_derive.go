package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// Deriving a RequestRecord from the request and the response: the action,
// the target, the client, the error sent, the bulk outcomes, and the body
// with its secrets redacted.

// describe fills in rec from the request path (trimmed of slashes), its
// body (nil when there was none or it was too large to keep), the
// response's Location header and the kept start of the response body.
func describe(rec *RequestRecord, path string, body []byte, hadBody bool, location string, resp []byte) {
	var in reqDoc
	isJSON := false
	if len(body) > 0 {
		isJSON = decodeLoose(body, &in)
	}
	first, rest, _ := strings.Cut(path, "/")
	rec.Action, rec.TargetID = action(rec.Method, first, rest, &in)
	if rec.Action == ActionUserCreate || rec.Action == ActionGroupCreate {
		rec.TargetID = ""
		if rec.Status == 201 && location != "" {
			rec.TargetID = location[strings.LastIndexByte(location, '/')+1:]
		}
	}
	rec.TargetName = cut(targetName(first, &in), 256)
	var out respDoc
	switch {
	case len(resp) == 0:
	case rec.Status < 400 && rec.Action != ActionBulk && rec.TargetName == "":
		// Only the resource's name is wanted: read it without decoding.
		var ok bool
		if out.UserName, out.DisplayName, ok = responseNames(resp); !ok {
			_ = decodeLoose(resp, &out)
		}
	case rec.Status >= 400 || rec.Action == ActionBulk || rec.TargetName == "":
		_ = decodeLoose(resp, &out)
	}
	if rec.TargetName == "" && rec.Status < 300 {
		rec.TargetName = cut(firstNonEmpty(out.UserName, out.DisplayName), 256)
	}
	if rec.Status >= 400 {
		rec.ScimType, rec.Detail = out.ScimType, out.Detail
	}
	if rec.Action == ActionBulk {
		rec.Operations = bulkOutcomes(in.Operations, out.Operations)
	}
	rec.Client = recognise(rec.UserAgent, rec.Query, &in)
	switch {
	case isJSON:
		rec.Body = keptBody(body)
	case len(body) > 0:
		rec.Body = "[a body of " + strconv.Itoa(len(body)) + " bytes that is not JSON: not kept]"
	case hadBody:
		rec.Body = "[a body too large to keep]"
	}
}

// decodeLoose decodes a JSON object into v, which holds only what a record
// needs, matching names case-insensitively as SCIM wants. A member of an
// unexpected type is skipped; it reports false only for what is not a
// JSON object.
func decodeLoose(b []byte, v any) bool {
	err := json.Unmarshal(b, v)
	var typeErr *json.UnmarshalTypeError
	return err == nil || errors.As(err, &typeErr) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}

// reqDoc is what a record reads from a request body: a resource's name and
// active flag, and the operations of a PatchOp or of a BulkRequest.
type reqDoc struct {
	Schemas     []string        `json:"schemas"`
	UserName    string          `json:"userName"`
	DisplayName string          `json:"displayName"`
	Active      json.RawMessage `json:"active"`
	Operations  []reqOp         `json:"Operations"`
}

// reqOp is a PATCH operation (op, path, value) or a bulk operation
// (method, path, bulkId, data).
type reqOp struct {
	Op     string          `json:"op"`
	Path   string          `json:"path"`
	Value  json.RawMessage `json:"value"`
	Method string          `json:"method"`
	BulkID string          `json:"bulkId"`
	Data   *reqDoc         `json:"data"`
}

// respDoc is what a record reads from a response: a resource's name, an
// error's scimType and detail, a bulk response's operations.
type respDoc struct {
	UserName    string        `json:"userName"`
	DisplayName string        `json:"displayName"`
	ScimType    string        `json:"scimType"`
	Detail      string        `json:"detail"`
	Operations  []bulkRespDoc `json:"Operations"`
}

type bulkRespDoc struct {
	Method   string `json:"method"`
	BulkID   string `json:"bulkId"`
	Location string `json:"location"`
	Status   string `json:"status"`
	Response struct {
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
		ScimType    string `json:"scimType"`
		Detail      string `json:"detail"`
	} `json:"response"`
}

// action derives a request's action, and its target id from its path,
// from its method, its path's first segment and the rest, and its body.
func action(method, first, rest string, body *reqDoc) (act, id string) {
	resource := first == "Users" || first == "Groups"
	switch {
	case first == "ServiceProviderConfig" || first == "ResourceTypes" || first == "Schemas":
		return ActionDiscovery, ""
	case first == "Bulk":
		return ActionBulk, ""
	case first == "" || first == ".search":
		return ActionSearch, ""
	case !resource:
		return ActionOther, ""
	}
	user := first == "Users"
	switch {
	case rest == "" && method == "POST":
		return pick(user, ActionUserCreate, ActionGroupCreate), ""
	case rest == "" && method == "GET", rest == ".search" && method == "POST":
		return pick(user, ActionUsersList, ActionGroupsList), ""
	case rest == "" || rest == ".search" || strings.Contains(rest, "/"):
		return ActionOther, ""
	}
	id = rest
	switch method {
	case "GET":
		return pick(user, ActionUserGet, ActionGroupGet), id
	case "DELETE":
		return pick(user, ActionUserDelete, ActionGroupDelete), id
	case "PUT":
		if !user {
			return ActionGroupReplace, id
		}
		// Okta's custom apps deactivate users with a PUT.
		if active, ok := boolish(body.Active); ok && !active {
			return ActionUserDeactivate, id
		}
		return ActionUserReplace, id
	case "PATCH":
		if user {
			return userPatchAction(body.Operations), id
		}
		return groupPatchAction(body.Operations), id
	}
	return ActionOther, id
}

func pick(user bool, u, g string) string {
	if user {
		return u
	}
	return g
}

// userPatchAction is user.deactivate or user.reactivate when an operation
// sets active (by path, or in a path-less value, as Okta does), else
// user.patch.
func userPatchAction(ops []reqOp) string {
	for _, op := range ops {
		var v json.RawMessage
		if strings.EqualFold(op.Path, "active") {
			v = op.Value
		} else if op.Path == "" && bytes.HasPrefix(bytes.TrimSpace(op.Value), []byte("{")) {
			var m struct {
				Active json.RawMessage `json:"active"`
			}
			if decodeLoose(op.Value, &m) {
				v = m.Active
			}
		}
		if active, ok := boolish(v); ok {
			return pick(active, ActionUserReactivate, ActionUserDeactivate)
		}
	}
	return ActionUserPatch
}

// groupPatchAction names a group PATCH by what it does to the members,
// when that is all it does.
func groupPatchAction(ops []reqOp) string {
	var add, remove, replace, other bool
	for _, op := range ops {
		if !strings.HasPrefix(strings.ToLower(op.Path), "members") {
			other = true
			continue
		}
		switch strings.ToLower(op.Op) {
		case "add":
			add = true
		case "remove":
			remove = true
		default:
			replace = true
		}
	}
	switch {
	case other || len(ops) == 0:
		return ActionGroupPatch
	case replace || add && remove:
		return ActionGroupMembersReplace
	case add:
		return ActionGroupMembersAdd
	default:
		return ActionGroupMembersRemove
	}
}

// targetName is the userName or displayName a body names.
func targetName(first string, body *reqDoc) string {
	if body == nil {
		return ""
	}
	key, name := "displayName", body.DisplayName
	if first == "Users" {
		key, name = "userName", body.UserName
	}
	if name != "" {
		return name
	}
	for _, op := range body.Operations {
		if strings.EqualFold(op.Path, key) {
			var s string
			if json.Unmarshal(op.Value, &s) == nil {
				return s
			}
		}
	}
	return ""
}

// bulkOutcomes pairs a bulk request's operations with the response's.
// The handler answers every operation that ran, in request order, and
// stops after failOnErrors errors: the operations it did not run are
// recorded with status 0.
func bulkOutcomes(ops []reqOp, resp []bulkRespDoc) []BulkOperationRecord {
	recs := make([]BulkOperationRecord, 0, len(ops))
	j := 0
	for _, op := range ops {
		method := strings.ToUpper(op.Method)
		first, rest, _ := strings.Cut(strings.Trim(op.Path, "/"), "/")
		r := BulkOperationRecord{Method: method, Path: cut(op.Path, 256), BulkID: cut(op.BulkID, 128)}
		data := op.Data
		if data == nil {
			data = &reqDoc{}
		}
		r.Action, r.TargetID = action(method, first, rest, data)
		r.TargetName = cut(targetName(first, data), 256)
		if j < len(resp) && strings.EqualFold(resp[j].Method, method) && resp[j].BulkID == op.BulkID {
			out := resp[j]
			j++
			r.Status, _ = strconv.Atoi(out.Status)
			if out.Location != "" {
				r.TargetID = out.Location[strings.LastIndexByte(out.Location, '/')+1:]
			}
			if r.TargetName == "" && r.Status < 300 {
				r.TargetName = cut(firstNonEmpty(out.Response.UserName, out.Response.DisplayName), 256)
			}
			if r.Status >= 400 {
				r.ScimType, r.Detail = out.Response.ScimType, out.Response.Detail
			}
		}
		recs = append(recs, r)
	}
	return recs
}

// recognise names the client from its User-Agent and the request's shape.
func recognise(userAgent, query string, body *reqDoc) string {
	ua := strings.ToLower(userAgent)
	switch {
	case strings.Contains(ua, "okta"):
		return ClientOkta
	case strings.Contains(ua, "microsoft"), strings.Contains(ua, "azure"), strings.Contains(ua, "aad"):
		return ClientEntraID
	case strings.Contains(query, "aadOptscim"), strings.Contains(query, "AzureAdScimPatch"):
		return ClientEntraID
	}
	for _, s := range body.Schemas {
		if strings.Contains(s, "/ADSCIM/") {
			return ClientEntraID
		}
	}
	// Entra ID capitalises its PATCH ops ("Replace", "Add"); Okta and
	// most others write them in lower case.
	for _, op := range body.Operations {
		if op.Op != "" && op.Op[0] >= 'A' && op.Op[0] <= 'Z' {
			return ClientEntraID
		}
	}
	return ClientOther
}

// boolish reads a JSON boolean, or the strings "true" and "false" in any
// case as Entra ID sends them.
func boolish(v json.RawMessage) (value, ok bool) {
	switch s := strings.ToLower(string(bytes.TrimSpace(v))); s {
	case "true", `"true"`:
		return true, true
	case "false", `"false"`:
		return false, true
	}
	return false, false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Redacted is what replaces a secret in a [RequestRecord].
const Redacted = "[redacted]"

// secretName reports whether an attribute, query parameter or PATCH path
// names something that may hold a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range [...]string{"password", "passwd", "secret", "token", "credential", "apikey", "api_key", "privatekey", "private_key", "authorization"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// RedactJSON returns a copy of v, a value decoded from JSON, in which every
// member whose name contains "password", "secret", "token",
// "credential", "apikey", "privatekey" or "authorization" (in any case),
// and the value of every PATCH operation whose path names one, is
// replaced by [Redacted]. Strings that look like the bearer tokens and
// client secrets of package connections are redacted wherever they are.
func RedactJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		secretPath := false
		if p, ok := v["path"].(string); ok && secretName(p) {
			secretPath = true
		}
		for k, e := range v {
			switch {
			case secretName(k):
				out[k] = Redacted
			case secretPath && strings.EqualFold(k, "value"):
				out[k] = Redacted
			default:
				out[k] = RedactJSON(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = RedactJSON(e)
		}
		return out
	case string:
		if looksLikeSecret(v) {
			return Redacted
		}
		return v
	}
	return v
}

// looksLikeSecret recognises the secrets package connections issues
// (scimkit_tok_…, scimkit_cs_…, scimkit_at_…) and bearer credentials.
func looksLikeSecret(s string) bool {
	return strings.Contains(s, "scimkit_tok_") || strings.Contains(s, "scimkit_cs_") ||
		strings.Contains(s, "scimkit_at_") || strings.HasPrefix(strings.ToLower(s), "bearer ")
}

// keptBody returns a JSON request body as a record keeps it, cut to
// RequestLogBodyLimit: as it is (compacted) when nothing in it could name or be a
// secret (the common case, which costs one scan), else decoded, redacted
// ([RedactJSON]) and encoded again. A body with \u escapes always takes
// the second way, so an escaped name cannot slip past the scan.
func keptBody(body []byte) string {
	var b []byte
	if !mayHoldSecret(body) {
		var buf bytes.Buffer
		buf.Grow(len(body))
		if json.Compact(&buf, body) != nil {
			return "[a body that is not JSON: not kept]"
		}
		b = buf.Bytes()
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return "[a body that is not JSON: not kept]"
		}
		var err error
		if b, err = json.Marshal(RedactJSON(doc)); err != nil {
			return ""
		}
	}
	if len(b) > RequestLogBodyLimit {
		return cut(string(b), RequestLogBodyLimit) + "…[truncated]"
	}
	return string(b)
}

// secretMarkers are the lower-case strings whose presence sends a body to
// redaction: the names secretName recognises, escapes, and the shapes of
// the values looksLikeSecret recognises.
var secretMarkers = [...]string{"password", "passwd", "secret", "token", "credential", "apikey", "api_key",
	"privatekey", "private_key", "authorization", "bearer", "scimkit_", "\\u"}

func mayHoldSecret(body []byte) bool {
	lower := bytes.ToLower(body)
	for _, m := range secretMarkers {
		if bytes.Contains(lower, []byte(m)) {
			return true
		}
	}
	return false
}

// redactQuery returns a raw query string with the values of parameters
// that name a secret redacted, cut to 1000 bytes.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && secretName(name) {
			parts[i] = k + "=" + url.QueryEscape(Redacted)
		} else if v, err := url.QueryUnescape(p); err == nil && looksLikeSecret(v) {
			parts[i] = k + "=" + url.QueryEscape(Redacted)
		}
	}
	return cut(strings.Join(parts, "&"), 1000)
}
