package scim

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Deriving a RequestRecord from the request and the response: the action,
// the target, the client, the error sent, the bulk outcomes, and the body
// with its secrets redacted.

// describe fills in rec from the request path (trimmed of slashes), its
// body (nil when there was none or it was too large to keep) and the kept
// start of the response body.
func describe(rec *RequestRecord, path string, body []byte, hadBody bool, resp []byte) {
	var doc any
	if len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&doc) != nil {
			doc = nil
		}
	}
	var out respDoc
	if len(resp) > 0 {
		_ = json.Unmarshal(resp, &out)
	}
	first, rest, _ := strings.Cut(path, "/")
	obj, _ := doc.(map[string]any)
	rec.Action, rec.TargetID = action(rec.Method, first, rest, obj)
	if rec.Action == ActionUserCreate || rec.Action == ActionGroupCreate {
		rec.TargetID = out.ID
	}
	rec.TargetName = targetName(first, obj)
	if rec.TargetName == "" && rec.Status < 300 {
		rec.TargetName = firstNonEmpty(out.UserName, out.DisplayName)
	}
	if rec.Status >= 400 {
		rec.ScimType, rec.Detail = out.ScimType, out.Detail
	}
	if rec.Action == ActionBulk {
		rec.Operations = bulkOutcomes(obj, out.Operations)
	}
	rec.Client = recognise(rec.UserAgent, rec.Query, obj)
	switch {
	case doc != nil:
		rec.Body = redactedJSON(doc)
	case len(body) > 0:
		rec.Body = "[a body of " + strconv.Itoa(len(body)) + " bytes that is not JSON: not kept]"
	case hadBody:
		rec.Body = "[a body too large to keep]"
	}
}

// respDoc is what a record reads from a response: a resource's id and
// name, an error's scimType and detail, a bulk response's operations.
type respDoc struct {
	ID          string        `json:"id"`
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
		ID          string `json:"id"`
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
		ScimType    string `json:"scimType"`
		Detail      string `json:"detail"`
	} `json:"response"`
}

// action derives a request's action, and its target id from its path,
// from its method, its path's first segment and the rest, and its body.
func action(method, first, rest string, body map[string]any) (act, id string) {
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
		if active, ok := boolish(body["active"]); ok && !active {
			return ActionUserDeactivate, id
		}
		return ActionUserReplace, id
	case "PATCH":
		if user {
			return userPatchAction(body), id
		}
		return groupPatchAction(body), id
	}
	return ActionOther, id
}

func pick(user bool, u, g string) string {
	if user {
		return u
	}
	return g
}

// patchOps returns a PatchOp body's operations, as objects.
func patchOps(body map[string]any) []map[string]any {
	raw, _ := lookupFold(body, "Operations").([]any)
	ops := make([]map[string]any, 0, len(raw))
	for _, o := range raw {
		if m, ok := o.(map[string]any); ok {
			ops = append(ops, m)
		}
	}
	return ops
}

// userPatchAction is user.deactivate or user.reactivate when an operation
// sets active (by path, or in a path-less value, as Okta does), else
// user.patch.
func userPatchAction(body map[string]any) string {
	for _, op := range patchOps(body) {
		path, _ := lookupFold(op, "path").(string)
		value := lookupFold(op, "value")
		var v any
		if strings.EqualFold(path, "active") {
			v = value
		} else if m, ok := value.(map[string]any); ok && path == "" {
			v = lookupFold(m, "active")
		}
		if active, ok := boolish(v); ok {
			return pick(active, ActionUserReactivate, ActionUserDeactivate)
		}
	}
	return ActionUserPatch
}

// groupPatchAction names a group PATCH by what it does to the members,
// when that is all it does.
func groupPatchAction(body map[string]any) string {
	var add, remove, replace, other bool
	ops := patchOps(body)
	for _, op := range ops {
		kind, _ := lookupFold(op, "op").(string)
		path, _ := lookupFold(op, "path").(string)
		if !strings.HasPrefix(strings.ToLower(path), "members") {
			other = true
			continue
		}
		switch strings.ToLower(kind) {
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
func targetName(first string, body map[string]any) string {
	key := "displayName"
	if first == "Users" {
		key = "userName"
	}
	if s, ok := lookupFold(body, key).(string); ok {
		return cut(s, 256)
	}
	for _, op := range patchOps(body) {
		path, _ := lookupFold(op, "path").(string)
		if strings.EqualFold(path, key) {
			if s, ok := lookupFold(op, "value").(string); ok {
				return cut(s, 256)
			}
		}
	}
	return ""
}

// bulkOutcomes pairs a bulk request's operations with the response's.
// The handler answers every operation that ran, in request order, and
// stops after failOnErrors errors: the operations it did not run are
// recorded with status 0.
func bulkOutcomes(body map[string]any, resp []bulkRespDoc) []BulkOperationRecord {
	raw, _ := lookupFold(body, "Operations").([]any)
	recs := make([]BulkOperationRecord, 0, len(raw))
	j := 0
	for _, o := range raw {
		op, _ := o.(map[string]any)
		method, _ := lookupFold(op, "method").(string)
		opPath, _ := lookupFold(op, "path").(string)
		bulkID, _ := lookupFold(op, "bulkId").(string)
		data, _ := lookupFold(op, "data").(map[string]any)
		method = strings.ToUpper(method)
		first, rest, _ := strings.Cut(strings.Trim(opPath, "/"), "/")
		r := BulkOperationRecord{Method: method, Path: cut(opPath, 256), BulkID: cut(bulkID, 128)}
		r.Action, r.TargetID = action(method, first, rest, data)
		r.TargetName = targetName(first, data)
		if j < len(resp) && strings.EqualFold(resp[j].Method, method) && resp[j].BulkID == bulkID {
			out := resp[j]
			j++
			r.Status, _ = strconv.Atoi(out.Status)
			if out.Location != "" {
				r.TargetID = out.Location[strings.LastIndexByte(out.Location, '/')+1:]
			}
			if r.TargetName == "" && r.Status < 300 {
				r.TargetName = firstNonEmpty(out.Response.UserName, out.Response.DisplayName)
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
func recognise(userAgent, query string, body map[string]any) string {
	ua := strings.ToLower(userAgent)
	switch {
	case strings.Contains(ua, "okta"):
		return ClientOkta
	case strings.Contains(ua, "microsoft"), strings.Contains(ua, "azure"), strings.Contains(ua, "aad"):
		return ClientEntraID
	case strings.Contains(query, "aadOptscim"), strings.Contains(query, "AzureAdScimPatch"):
		return ClientEntraID
	}
	if schemas, ok := lookupFold(body, "schemas").([]any); ok {
		for _, s := range schemas {
			if s, _ := s.(string); strings.Contains(s, "/ADSCIM/") {
				return ClientEntraID
			}
		}
	}
	// Entra ID capitalises its PATCH ops ("Replace", "Add"); Okta and
	// most others write them in lower case.
	for _, op := range patchOps(body) {
		if kind, _ := lookupFold(op, "op").(string); kind != "" && kind[0] >= 'A' && kind[0] <= 'Z' {
			return ClientEntraID
		}
	}
	return ClientOther
}

// boolish reads a boolean, or the strings "true" and "false" in any case
// as Entra ID sends them.
func boolish(v any) (value, ok bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
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

// redactedJSON encodes doc with its secrets redacted, cut to
// RequestLogBodyLimit.
func redactedJSON(doc any) string {
	b, err := json.Marshal(RedactJSON(doc))
	if err != nil {
		return ""
	}
	if len(b) > RequestLogBodyLimit {
		return cut(string(b), RequestLogBodyLimit) + "…[truncated]"
	}
	return string(b)
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
