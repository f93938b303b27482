package scim

import (
	"strings"
	"testing"
)

// The text checks run on every request: they must cost little next to
// decoding the same body.
func BenchmarkCheckJSONText(b *testing.B) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales \u00e9quipe","members":[` +
		strings.Repeat(`{"value":"2819c223-7f76-453a-919d-413861904646","display":"Babs Jensen \u263a"},`, 1000) + `{"value":"x"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkJSONText(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeObject(b *testing.B) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales \u00e9quipe","members":[` +
		strings.Repeat(`{"value":"2819c223-7f76-453a-919d-413861904646","display":"Babs Jensen \u263a"},`, 1000) + `{"value":"x"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeObject(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckQuery(b *testing.B) {
	q := `filter=userName+eq+%22bjensen%40example.com%22&excludedAttributes=members&startIndex=1&count=100`
	b.ReportAllocs()
	for b.Loop() {
		if err := checkQuery(q); err != nil {
			b.Fatal(err)
		}
	}
}
