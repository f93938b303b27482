package sqlstore

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/scimkit/scim"
)

// docSamples are stored documents and near-documents on which the
// hand-written decoder must agree with the reflection oracle.
func docSamples(t testing.TB) []string {
	yes := true
	full := &scim.User{
		ExternalID: "ext-1", UserName: "bjensen@example.com", DisplayName: "Babs <Jensen> & co",
		NickName: "Babs", ProfileURL: "https://example.com/b", Title: "Tour Guide", UserType: "Employee",
		PreferredLanguage: "en-US", Locale: "en-US", Timezone: "America/Los_Angeles", Active: &yes,
		Password: "t1meMa$heen",
		Name: &scim.Name{Formatted: "Ms. Barbara J Jensen III", FamilyName: "Jensen", GivenName: "Barbara",
			MiddleName: "Jane", HonorificPrefix: "Ms.", HonorificSuffix: "III"},
		Emails: []scim.MultiValue{{Value: "bjensen@example.com", Type: "work", Primary: true},
			{Value: "babs@jensen.org", Type: "home"}},
		PhoneNumbers:     []scim.MultiValue{{Value: "555-555-8377", Type: "work"}},
		IMs:              []scim.MultiValue{{Value: "someaimhandle", Type: "aim"}},
		Photos:           []scim.MultiValue{{Value: "https://photos.example.com/1", Type: "photo", Ref: "x"}},
		Entitlements:     []scim.MultiValue{{Value: "e", Display: "E"}},
		Roles:            []scim.MultiValue{{Value: "r", Primary: true}},
		X509Certificates: []scim.MultiValue{{Value: strings.Repeat("MIIDQzCCA", 300)}},
		Addresses: []scim.Address{{Formatted: "100 Universal City Plaza\nHollywood, CA 91608 USA",
			StreetAddress: "100 Universal City Plaza", Locality: "Hollywood", Region: "CA", PostalCode: "91608",
			Country: "USA", Type: "work", Primary: true}, {Type: "home"}},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: "701984", CostCenter: "4130", Organization: "Universal",
			Division: "Theme Park", Department: "Tour Operations",
			Manager: &scim.Manager{Value: "26118915-6090-4610-87e4-49d8ca9f808d", Ref: "../Users/2611", DisplayName: "John Smith"}},
		Extensions: scim.Extensions{"urn:example:ext": {"n": json.Number("12345678901234567890.5e-3"),
			"s": "\u2028 \"q\" \\ \x01", "b": false, "o": map[string]any{"x": json.Number("1")}, "a": []any{nil, "y"}}},
	}
	var out []string
	for _, u := range []*scim.User{{}, {UserName: "a"}, full,
		{UserName: "ünïcødé 😀 \ud7ff", Emails: []scim.MultiValue{{}}, Extensions: scim.Extensions{}}} {
		b, err := encodeUser(u)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	for _, g := range []*scim.Group{{}, {DisplayName: "All Employees", ExternalID: "x"},
		{DisplayName: "g", Extensions: scim.Extensions{"urn:x": {"k": json.Number("-0.0")}}}} {
		b, err := encodeGroup(g)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return append(out,
		// Escapes, surrogate pairs, lone and broken surrogates, invalid UTF-8.
		`{"userName":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00"}`,
		`{"userName":"\ud83d","displayName":"\ude00x","title":"\ud83d\u0041","locale":"\ud83d\ud83d\ude00"}`,
		`{"userName":"\ud83dz\u12"}`, `{"userName":"\u12G4"}`, `{"userName":"\x"}`, `{"userName":"\'"}`,
		"{\"userName\":\"a\xffb\xc3\"}", "{\"userName\":\"\xed\xa0\x80\"}", "{\"userName\":\"a\x01\"}",
		"{\"userName\":\"\xef\xbf\xbd\"}", "{\"us\xc3\xa9rName\":\"x\"}",
		// Keys: case-insensitive, escaped, unknown, repeated.
		`{"USERNAME":"a","username":"b"}`, `{"userName":"a","USERNAME":"b"}`, `{"user\u004eame":"c"}`,
		"{\"x509certificates\":[{\"VALUE\":\"v\"}],\"\u017fchemas\":1}", `{"ſchemas":[],"extenſions":{"a":{}}}`,
		`{"unknown":{"a":[1,2.5,-0,1e10,1E+2,-3.5e-7,true,false,null,"s",{}]},"userName":"u"}`,
		`{"name":{"givenName":"a"},"name":{"familyName":"b"}}`, `{"name":{"givenName":"a"},"name":null}`,
		`{"emails":[{"value":"a","type":"t"},{"value":"b"}],"emails":[{"value":"c"}]}`,
		`{"emails":[{"value":"a"},{"value":"b"}],"emails":[{"type":"c"}],"emails":[{},{}]}`,
		`{"emails":[{"value":"a"}],"emails":[]}`, `{"emails":[{"value":"a"}],"emails":null}`,
		`{"emails":[null,{"value":"a"},null]}`, `{"emails":[1]}`, `{"emails":{}}`, `{"emails":"x"}`,
		`{"addresses":[{"primary":true,"primary":null,"country":"X","unknown":[]}],"addresses":[{"type":"t"}]}`,
		`{"active":true,"active":null}`, `{"active":false}`, `{"active":"true"}`, `{"active":1}`,
		`{"enterprise":{"manager":{"value":"m"}},"enterprise":{"manager":{"displayName":"d"}}}`,
		`{"enterprise":{"manager":null,"department":null}}`, `{"enterprise":[]}`, `{"enterprise":{"manager":5}}`,
		`{"extensions":{"a":{"x":1}},"extensions":{"b":{"y":2}}}`, `{"extensions":{"a":{"x":1}},"extensions":null}`,
		`{"extensions":{"a":null}}`, `{"extensions":{"a":5}}`, `{"extensions":[]}`, `{"extensions":{"a":{"x":01}}}`,
		`{"userName":null,"title":"t","title":null}`, `{"userName":5}`, `{"userName":{}}`, `{"userName":[]}`,
		// Documents that are not objects, trailing data, broken syntax.
		``, ` `, `null`, `nullx`, ` null `, `nul`, `true`, `"s"`, `5`, `[]`, `{}`, ` {} `, `{}garbage`, `{}}`,
		`{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,}`, `{,}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1,]}`, `{"a":[,1]}`,
		`{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":+1}`, `{"a":0x1}`, `{"a":tru}`, `{"a":nulL}`,
		`{"a":"unterminated}`, `{1:2}`, `{"a":[}`, `{"a":{]}`, "{\"a\":\"\t\"}", "\t{\r\n\"userName\" : \"x\" }\n",
		`{"userName":"a"}{"userName":"b"}`, `{"userName":"a"} {"x":`,
	)
}

// short abbreviates a document for a failure message.
func short(doc string) string {
	if len(doc) > 200 {
		return fmt.Sprintf("%q…(%d bytes)", doc[:200], len(doc))
	}
	return fmt.Sprintf("%q", doc)
}

// agree decodes doc with both decoders, as a user and as a group, and
// fails unless they agree on the error and the result.
func agree(t *testing.T, doc string) {
	t.Helper()
	var got, want scim.User
	errGot, errWant := decodeUser([]byte(doc), &got), oracleDecodeUser([]byte(doc), &want)
	if (errGot == nil) != (errWant == nil) {
		t.Fatalf("user %s: error %v, oracle's %v", short(doc), errGot, errWant)
	}
	if errGot == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("user %s:\n got %#v\nwant %#v", short(doc), got, want)
	}
	var gg, wg scim.Group
	errGot, errWant = decodeGroup([]byte(doc), &gg), oracleDecodeGroup([]byte(doc), &wg)
	if (errGot == nil) != (errWant == nil) {
		t.Fatalf("group %s: error %v, oracle's %v", short(doc), errGot, errWant)
	}
	if errGot == nil && !reflect.DeepEqual(gg, wg) {
		t.Fatalf("group %s:\n got %#v\nwant %#v", short(doc), gg, wg)
	}
}

func TestDecodeDocAgreesWithOracle(t *testing.T) {
	for _, doc := range docSamples(t) {
		agree(t, doc)
	}
}

// The samples must exercise both outcomes, or agreement proves little.
func TestDecodeDocSamplesBothWays(t *testing.T) {
	var ok, bad int
	for _, doc := range docSamples(t) {
		var u scim.User
		if decodeUser([]byte(doc), &u) == nil {
			ok++
		} else {
			bad++
		}
	}
	if ok < 30 || bad < 30 {
		t.Fatalf("%d accepted and %d refused samples", ok, bad)
	}
}

func TestDecodeDocReadsStoredUser(t *testing.T) {
	doc := docSamples(t)[2]
	var u scim.User
	if err := decodeUserDoc(doc, &u); err != nil {
		t.Fatal(err)
	}
	if u.UserName != "bjensen@example.com" || u.Name.HonorificSuffix != "III" || len(u.Emails) != 2 ||
		!u.Emails[0].Primary || u.Enterprise.Manager.DisplayName != "John Smith" ||
		u.Extensions["urn:example:ext"]["n"] != json.Number("12345678901234567890.5e-3") {
		t.Fatalf("decoded %#v", u)
	}
}

func TestDecodeDocBig(t *testing.T) {
	u := &scim.User{UserName: strings.Repeat("é\\\"", 20000)}
	for i := range 2000 {
		u.Emails = append(u.Emails, scim.MultiValue{Value: fmt.Sprintf("user%d@example.com", i), Type: "work"})
	}
	b, err := encodeUser(u)
	if err != nil {
		t.Fatal(err)
	}
	agree(t, string(b))
	var got scim.User
	if err := decodeUser(b, &got); err != nil || !reflect.DeepEqual(&got, u) {
		t.Fatalf("round trip: %v", err)
	}
}

// Nesting is limited to encoding/json's 10,000 levels, counting the
// document itself, on both sides of the limit.
func TestDecodeDocDepth(t *testing.T) {
	for _, n := range []int{9998, 9999, 10000} {
		for _, open := range []string{"[", `{"k":`} {
			close := "]"
			if open != "[" {
				close = "}"
			}
			agree(t, `{"unknown":`+strings.Repeat(open, n)+strings.Repeat(close, n)+`}`)
			agree(t, `{"extensions":{"a":{"b":`+strings.Repeat(open, n)+strings.Repeat(close, n)+`}}}`)
		}
	}
	var u scim.User
	if decodeUser([]byte(`{"x":`+strings.Repeat("[", 9999)+strings.Repeat("]", 9999)+`}`), &u) != nil {
		t.Fatal("10,000 levels refused")
	}
	if decodeUser([]byte(`{"x":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}`), &u) == nil {
		t.Fatal("10,001 levels accepted")
	}
}

func TestDecodeGroupPairs(t *testing.T) {
	for _, agg := range []string{`[]`, `null`, `[["a", "b"], ["c", "d\u00e9\n"]]`, "[[\"a\",\"b\"],\n [\"c\",\"\"]]",
		`[["a"]]`, `[["a","b","c"]]`, `[["a",null]]`, `[["a","b"]]x`, `[["a","b"],]`, `[`, `{}`, `[[1,"b"]]`,
		"[[\"\xff\",\"\\ud800\"]]"} {
		got, errGot := decodeGroupPairs(agg, nil)
		var pairs [][2]string
		errWant := json.Unmarshal([]byte(agg), &pairs)
		if (errGot == nil) != (errWant == nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", agg, errGot, errWant)
		}
		if errGot != nil {
			continue
		}
		var want []scim.MultiValue
		for _, p := range pairs {
			want = append(want, scim.MultiValue{Value: p[0], Display: p[1], Type: "direct"})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, want %#v", agg, got, want)
		}
	}
}

// FuzzDecodeDoc checks that the hand-written decoder never panics and
// agrees with the reflection oracle on any input.
func FuzzDecodeDoc(f *testing.F) {
	for _, doc := range docSamples(f) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		agree(t, doc)
		_, _ = decodeGroupPairs(doc, nil)
	})
}

// BenchmarkDecodeUserDoc decodes the document of an Entra-style user (the
// comparison's) with the hand-written decoder and with the reflection
// oracle it replaced, in one binary so that the two share the machine's
// state.
func BenchmarkDecodeUserDoc(b *testing.B) {
	active := true
	doc, err := encodeUser(&scim.User{UserName: "user5000@example.com", ExternalID: "ext-5000",
		DisplayName: "User 5000", Active: &active,
		Name:   &scim.Name{Formatted: "User 5000", FamilyName: "Family5000", GivenName: "Given"},
		Emails: []scim.MultiValue{{Value: "user5000@example.com", Type: "work", Primary: true}, {Value: "u5000@home.example", Type: "home"}},
		Enterprise: &scim.EnterpriseUser{EmployeeNumber: "5000", Department: "Sales",
			Manager: &scim.Manager{Value: "4999"}}})
	if err != nil {
		b.Fatal(err)
	}
	s := string(doc)
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u scim.User
			if err := decodeUserDoc(s, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oracle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u scim.User
			if err := oracleDecodeUser(doc, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
