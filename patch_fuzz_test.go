package scim

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzPatch applies arbitrary request bodies to a fixed User and a fixed
// Group. A request must either fail with a 400 SCIM error and leave the
// document as it was, or succeed with a document that is still
// schema-valid and canonical. For Groups, a request that membershipOnly
// accepts must have the effect the engine gives it. The seed corpus in
// testdata/fuzz/FuzzPatch holds the requests Entra ID and Okta send.
func FuzzPatch(f *testing.F) {
	f.Add([]byte(patchBody(`{"op":"add","path":"emails[type eq \"work\"].value","value":"w@example.com"}`)))
	f.Add([]byte(patchBody(`{"op":"remove","path":"members[value eq \"u1\"]"}`, `{"op":"add","path":"members","value":[{"value":"u1"}]}`)))
	f.Add([]byte(patchBody(`{"op":"replace","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}}`)))
	// NUL and invalid UTF-8 in every string of a request.
	for _, v := range BadTextVariants(patchBody(`{"op":"add","path":"emails[type eq \"work\"].value","value":"w@example.com"}`,
		`{"op":"replace","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}}`,
		`{"op":"add","path":"members","value":[{"value":"u1","display":"d"}]}`)) {
		f.Add([]byte(v))
	}
	f.Fuzz(checkPatchBody)
}

var (
	fuzzUsers  = newResourceType("User", nil)
	fuzzGroups = newResourceType("Group", nil)
)

// checkPatchBody is the property FuzzPatch and FuzzPatchOps check.
func checkPatchBody(t *testing.T, body []byte) {
	req, err := parsePatch(body)
	if err != nil {
		var se *Error
		if !errors.As(err, &se) || se.Status != 400 || se.Detail == "" {
			t.Fatalf("parsePatch: want a 400 *Error, got %v", err)
		}
		return
	}
	fuzzApply(t, fuzzUsers, testUser(), req, body)
	after := fuzzApply(t, fuzzGroups, testGroup(), req, body)
	if add, del, ok := req.membershipOnly(fuzzGroups); ok {
		want := memberPatch(testGroup()["members"].([]any), add, del)
		if after == nil {
			t.Fatalf("membershipOnly accepted a request the engine rejects")
		}
		got := memberValues(after["members"])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("membershipOnly: engine gives members %v, member sets give %v\n%s", got, want, body)
		}
	}
}

var fuzzPaths = []string{
	"", "userName", "displayName", "active", "name", "name.givenName", "nickName", "externalId", "emails",
	`emails[type eq \"work\"]`, `emails[type eq \"work\"].value`, `emails[type eq \"home\"].primary`,
	`emails[primary eq true].type`, "emails.type", `emails[type co \"o\"].display`, "members",
	`members[value eq \"u1\"]`, `members[value eq \"u3\"].display`, `members[value eq \"u2\"].display`, "members.value",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
	"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "urn:ietf:params:scim:schemas:core:2.0:Group",
	"id", "meta.created", "groups", `addresses[type eq \"home\"].streetAddress`, `addresses[type eq \"work\"]`,
	"x509Certificates", `phoneNumbers[type eq \"mobile\" and display eq \"m\"].value`, "roles", "bogus",
}

var fuzzValues = []string{
	`"x"`, `"False"`, `true`, `null`, `[]`, `{}`, `5`, `"u1"`, `[{"value":"u1"}]`, `[{"value":"u3","display":"d"}]`,
	`{"value":"a@b.c","type":"work","primary":true}`, `[{"value":"a@b.c","primary":true},{"value":"d@e.f","primary":"True"}]`,
	`{"givenName":"G"}`, `[{"value":""}]`, `{"members":[{"value":"u9"},{"value":"U1"}]}`,
	`{"displayName":"D","name.givenName":"n","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m","id":"z"}`,
	`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d","manager":{"value":"m"}}}`,
	`{"type":"home","streetAddress":"s","primary":true}`, `[{"value":"aGk="}]`, `["r1","r2"]`, `{"active":"true","title":null}`,
}

// FuzzPatchOps checks the same property as FuzzPatch on requests built
// from known paths and values, which reach deeper than random bytes: each
// three bytes of prog choose an op, a path and a value.
func FuzzPatchOps(f *testing.F) {
	f.Add([]byte{0, 8, 10, 2, 16, 0, 1, 15, 8})
	f.Add([]byte{1, 0, 14, 0, 15, 7, 2, 9, 3})
	f.Fuzz(func(t *testing.T, prog []byte) {
		var ops []string
		for i := 0; i+2 < len(prog) && len(ops) < 8; i += 3 {
			op := []string{"add", "replace", "remove", "Remove"}[prog[i]%4]
			o := `{"op":"` + op + `"`
			if p := fuzzPaths[int(prog[i+1])%len(fuzzPaths)]; p != "" {
				o += `,"path":"` + p + `"`
			}
			if op != "remove" {
				o += `,"value":` + fuzzValues[int(prog[i+2])%len(fuzzValues)]
			}
			ops = append(ops, o+"}")
		}
		if len(ops) == 0 {
			return
		}
		checkPatchBody(t, []byte(patchBody(ops...)))
	})
}

// fuzzApply applies req to doc and checks the outcome; it returns the
// result, or nil when the request failed.
func fuzzApply(t *testing.T, rt *resourceType, doc map[string]any, req *patchRequest, body []byte) map[string]any {
	before := deepCopyValue(doc)
	var result map[string]any
	for _, strict := range []bool{false, true} {
		work := deepCopyValue(before).(map[string]any)
		changed, err := rt.applyPatch(work, req, strict)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType == "" || se.Detail == "" {
				t.Fatalf("applyPatch: want a 400 *Error with a scimType, got %v", err)
			}
			if !deepEqual(work, before) {
				t.Fatalf("applyPatch failed (%v) but changed the document", err)
			}
			if !strict {
				return nil
			}
			continue
		}
		if !changed && !deepEqual(work, before) {
			t.Fatalf("applyPatch reported no change but changed the document")
		}
		if changed && deepEqual(work, before) {
			t.Fatalf("applyPatch reported a change but the document is the same")
		}
		norm, err := rt.normalizeDoc(deepCopyValue(work).(map[string]any))
		if err != nil {
			t.Fatalf("result is not schema-valid: %v\n%v", err, work)
		}
		// The handler refuses a body that checkJSONText refuses before
		// the engine sees it; from any other, the engine makes no bad text.
		if checkJSONText(body) == nil {
			if b, err := json.Marshal(work); err != nil || HasBadText(b, body) {
				t.Fatalf("result holds bad text (%v): %q", err, b)
			}
		}
		want := deepCopyValue(work).(map[string]any)
		delete(want, "id")
		if !deepEqual(norm, want) {
			t.Fatalf("result is not canonical:\n got %v\nwant %v", work, norm)
		}
		if !strict {
			result = work
		}
	}
	return result
}

// memberPatch applies member sets as a MemberPatcher would, and returns
// the member values, lower-cased (members.value is not caseExact).
func memberPatch(members []any, add []MultiValue, remove []string) []string {
	vals := memberValues(members)
	for _, r := range remove {
		vals = slices.DeleteFunc(vals, func(v string) bool { return v == strings.ToLower(r) })
	}
	for _, a := range add {
		if v := strings.ToLower(a.Value); !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	return vals
}

func memberValues(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		s, _ := m["value"].(string)
		out = append(out, strings.ToLower(s))
	}
	return out
}
