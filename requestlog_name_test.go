package scim

import (
	"encoding/json"
	"strings"
	"testing"
)

func nameSamples() []string {
	return []string{
		`{}`, ` { } `, `{"userName":"bjensen","displayName":"Babs"}`, `{"displayName":"g","members":[{"value":"1"}]}`,
		`{"schemas":["x"],"id":"1","userName":"a\"b\\c\u00e9\ud83d\ude00","name":{"userName":"inner"},"x":[{"displayName":"no"}]}`,
		`{"userName":"a","userName":"b"}`, `{"USERNAME":"a"}`, `{"username":"a","userName":"b"}`, `{"user\u004eame":"x"}`,
		`{"userName":null}`, `{"userName":5}`, `{"userName":{"a":1}}`, `{"active":true,"n":-1.5e3,"z":null,"userName":"u"}`,
		`{"userName":"a"} x`, `{"userName":"a"`, `{"userName":"a",`, `{"userName":"a" "b":1}`, `[]`, `"s"`, ``, `null`,
		`{"a":"}","userName":"q"}`, `{"a":"\\","userName":"q"}`, `{"a":[1,{"b":"]"}],"displayName":"d"}`,
		"{\"userName\":\"\xff\"}", `{"userName":"\ud800"}`, `{"a":{"b":[}}`, `{"a":tru,"userName":"x"}`,
		`{"displayName":"` + strings.Repeat("x", 5000) + `"}`,
	}
}

// agreeNames fails unless responseNames, when it answers on valid JSON,
// answers what decodeLoose does, and gives up on every strict prefix of
// valid JSON (a response cut where the record stops keeping it). It
// reports whether responseNames answered on b.
func agreeNames(t *testing.T, b []byte) bool {
	t.Helper()
	if !json.Valid(b) {
		// The handler writes valid JSON: only its prefixes matter here.
		_, _, _ = responseNames(b) // must not panic
		return false
	}
	for n := range len(b) {
		if _, _, ok := responseNames(b[:n]); ok && strings.TrimSpace(string(b[n:])) != "" {
			t.Fatalf("%q: answered on its prefix %q", b, b[:n])
		}
	}
	u, d, ok := responseNames(b)
	if !ok {
		return false
	}
	var want respDoc
	_ = decodeLoose(b, &want)
	if u != want.UserName || d != want.DisplayName {
		t.Fatalf("%q: names %q, %q; decodeLoose's %q, %q", b, u, d, want.UserName, want.DisplayName)
	}
	return true
}

func TestResponseNamesAgreesWithDecodeLoose(t *testing.T) {
	answered := 0
	for _, s := range nameSamples() {
		if agreeNames(t, []byte(s)) {
			answered++
		}
	}
	if answered < 8 {
		t.Fatalf("responseNames answered %d samples only", answered)
	}
	if u, d, ok := responseNames([]byte(`{"id":"1","userName":"bjensen","name":{"givenName":"B"},"displayName":"Babs"}`)); !ok || u != "bjensen" || d != "Babs" {
		t.Fatalf("got %q %q %v", u, d, ok)
	}
}

func FuzzResponseNames(f *testing.F) {
	for _, s := range nameSamples() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { agreeNames(t, b) })
}
