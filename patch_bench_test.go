package scim

import (
	"maps"
	"strconv"
	"testing"

	"github.com/scim2/filter-parser/v2"
)

// entraUserPatch is a typical Entra ID user update (aadOptscim062020
// flag): a work email through a value filter, a path-less replace with
// dotted and URN-qualified keys, and a disable with a string boolean.
var entraUserPatch = []byte(patchBody(
	`{"op":"replace","path":"emails[type eq \"work\"].value","value":"updated@example.com"}`,
	`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`,
	`{"op":"Replace","path":"active","value":"False"}`))

func benchUser() map[string]any {
	doc := testUser()
	doc["emails"] = []any{
		map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
		map[string]any{"value": "babs@jensen.org", "type": "home"},
	}
	return doc
}

// BenchmarkPatchEntraUser parses and applies entraUserPatch to a
// typical user document.
func BenchmarkPatchEntraUser(b *testing.B) {
	rt := newResourceType("User", nil)
	doc := benchUser()
	b.ReportAllocs()
	for b.Loop() {
		req, err := parsePatch(entraUserPatch)
		if err != nil {
			b.Fatal(err)
		}
		// applyPatch never changes nested values in place, so a shallow
		// copy gives each iteration the same starting document.
		if _, err := rt.applyPatch(maps.Clone(doc), req, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchEntraUserApply measures applyPatch alone.
func BenchmarkPatchEntraUserApply(b *testing.B) {
	benchApply(b, newResourceType("User", nil), benchUser(), entraUserPatch)
}

// benchApply measures applying the request body to doc, parsed once.
func benchApply(b *testing.B, rt *resourceType, doc map[string]any, body []byte) {
	req, err := parsePatch(body)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// A shallow copy will do, as in BenchmarkPatchEntraUser.
		if _, err := rt.applyPatch(maps.Clone(doc), req, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchGroupAddMember measures the read-modify-write fallback
// (stores without MemberPatcher) for one added member.
func BenchmarkPatchGroupAddMember(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			members := make([]any, n)
			for i := range members {
				members[i] = map[string]any{"value": "user-" + strconv.Itoa(i)}
			}
			doc := map[string]any{"id": "g", "displayName": "G", "members": members}
			benchApply(b, newResourceType("Group", nil), doc,
				[]byte(patchBody(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"new-user"}]}`)))
		})
	}
}

// BenchmarkParsePatchPath compares the value-path parser with
// filter-parser's ParsePathNumber, which it replaces on this hot path.
func BenchmarkParsePatchPath(b *testing.B) {
	const path = `members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`
	b.Run("parsePatchPath", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := parsePatchPath(path); !ok {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("filter.ParsePathNumber", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := filter.ParsePathNumber([]byte(path)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
