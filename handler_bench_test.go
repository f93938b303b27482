package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memstore"
)

// These benchmarks drive the handler with the requests of the side-by-side
// harness (bench/), on data shaped like its: Entra-style users in one big
// group and one small group each. They write to a discarding
// ResponseWriter, so they measure the handler and the store alone.

// discardWriter is a ResponseWriter that keeps the status and throws the
// body away; its header map is reused, as net/http's is not, so that the
// numbers show what the handler allocates.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}

type fleet struct {
	h       http.Handler
	userIDs []string
	names   []string
	bigID   string
}

// newFleet seeds n users, a group holding the first min(n, 10000) and
// groups of 10 holding every user once, as bench/harness does.
func newFleet(b *testing.B, n int, opts ...scim.Option) *fleet {
	b.Helper()
	ctx := context.Background()
	users, groups := memstore.New()
	f := &fleet{}
	active := true
	for i := range n {
		u := &scim.User{
			ExternalID:  fmt.Sprintf("ext-%07d", i),
			UserName:    fmt.Sprintf("user%07d@corp.example.com", i),
			Name:        &scim.Name{Formatted: fmt.Sprintf("Given%d Family%d", i, i), FamilyName: fmt.Sprintf("Family%d", i), GivenName: fmt.Sprintf("Given%d", i)},
			DisplayName: fmt.Sprintf("Given%d Family%d", i, i),
			Active:      &active,
			Emails: []scim.MultiValue{
				{Value: fmt.Sprintf("user%07d@corp.example.com", i), Type: "work", Primary: true},
				{Value: fmt.Sprintf("user%07d@home.example.net", i), Type: "home"},
			},
			Enterprise: &scim.EnterpriseUser{EmployeeNumber: fmt.Sprint(100000 + i), Department: "Engineering"},
		}
		if i > 0 {
			u.Enterprise.Manager = &scim.Manager{Value: f.userIDs[0]}
		}
		c, err := users.Create(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		f.userIDs = append(f.userIDs, c.ID)
		f.names = append(f.names, c.UserName)
	}
	mv := func(ids []string) []scim.MultiValue {
		out := make([]scim.MultiValue, len(ids))
		for i, id := range ids {
			out[i] = scim.MultiValue{Value: id}
		}
		return out
	}
	big, err := groups.Create(ctx, &scim.Group{DisplayName: "All Employees", Members: mv(f.userIDs[:min(n, 10000)])})
	if err != nil {
		b.Fatal(err)
	}
	f.bigID = big.ID
	for i := 0; i < n; i += 10 {
		if _, err := groups.Create(ctx, &scim.Group{DisplayName: fmt.Sprintf("Team %d", i/10), Members: mv(f.userIDs[i:min(i+10, n)])}); err != nil {
			b.Fatal(err)
		}
	}
	f.h = scim.NewHandler(users, groups, append([]scim.Option{scim.WithBearerToken("bench-token")}, opts...)...)
	return f
}

// request builds a request as net/http's server would hand it over.
func request(method, target, body string) *http.Request {
	var req *http.Request
	if body != "" {
		req, _ = http.NewRequest(method, "http://127.0.0.1:8080/scim/v2"+target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req, _ = http.NewRequest(method, "http://127.0.0.1:8080/scim/v2"+target, nil)
	}
	req.Host = "127.0.0.1:8080"
	req.RequestURI = "/scim/v2" + target
	req.URL.Path = strings.TrimPrefix(req.URL.Path, "/scim/v2")
	req.URL.RawPath = ""
	req.Header.Set("Authorization", "Bearer bench-token")
	return req
}

// serveReq serves req and checks the status.
func (f *fleet) serveReq(b *testing.B, w *discardWriter, req *http.Request, want int) {
	clear(w.h)
	w.status = 0
	f.h.ServeHTTP(w, req)
	if w.status != want {
		b.Fatalf("%s %s: status %d, want %d", req.Method, req.URL, w.status, want)
	}
}

// do builds and serves one request with a body.
func (f *fleet) do(b *testing.B, w *discardWriter, method, target string, body string, want int) {
	f.serveReq(b, w, request(method, target, body), want)
}

// gets builds GET requests for targets once: the handler does not change
// a request, so the loop measures the handler alone.
func gets(targets []string) []*http.Request {
	out := make([]*http.Request, len(targets))
	for i, t := range targets {
		out[i] = request(http.MethodGet, t, "")
	}
	return out
}

func newDiscard() *discardWriter { return &discardWriter{h: http.Header{}} }

// BenchmarkHandlerGetUser is GET /Users/{id} for a user in two groups.
func BenchmarkHandlerGetUser(b *testing.B) {
	f := newFleet(b, 10000)
	w := newDiscard()
	targets := make([]string, 256)
	for i := range targets {
		targets[i] = "/Users/" + f.userIDs[(i*7919)%len(f.userIDs)]
	}
	reqs := gets(targets)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.serveReq(b, w, reqs[i%len(reqs)], http.StatusOK)
		i++
	}
}

// BenchmarkHandlerFilterUserName is Entra's userName eq lookup.
func BenchmarkHandlerFilterUserName(b *testing.B) {
	f := newFleet(b, 10000)
	w := newDiscard()
	targets := make([]string, 256)
	for i := range targets {
		targets[i] = "/Users?filter=" + url.QueryEscape(`userName eq "`+f.names[(i*7919)%len(f.names)]+`"`)
	}
	reqs := gets(targets)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.serveReq(b, w, reqs[i%len(reqs)], http.StatusOK)
		i++
	}
}

// BenchmarkHandlerListPage is GET /Users?startIndex=…&count=100.
func BenchmarkHandlerListPage(b *testing.B) {
	f := newFleet(b, 10000)
	w := newDiscard()
	targets := make([]string, 100)
	for i := range targets {
		targets[i] = fmt.Sprintf("/Users?startIndex=%d&count=100", 1+((i*7919)%100)*100)
	}
	reqs := gets(targets)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.serveReq(b, w, reqs[i%len(reqs)], http.StatusOK)
		i++
	}
}

// BenchmarkHandlerPatchActive is Entra's disable/enable of a user.
func BenchmarkHandlerPatchActive(b *testing.B) {
	f := newFleet(b, 1000)
	w := newDiscard()
	bodies := [2]string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`,
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := len(f.userIDs)
		f.do(b, w, http.MethodPatch, "/Users/"+f.userIDs[i%n], bodies[(i/n)%2], http.StatusOK)
		i++
	}
}

// BenchmarkHandlerPatchAddMember adds one member to the 10,000-member group
// and asks for the group without its members, as bench/harness does.
func BenchmarkHandlerPatchAddMember(b *testing.B) {
	f := newFleet(b, 10000)
	w := newDiscard()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"new-` + fmt.Sprint(i) + `"}]}]}`
		f.do(b, w, http.MethodPatch, "/Groups/"+f.bigID+"?excludedAttributes=members", body, http.StatusOK)
		i++
	}
}

// BenchmarkHandlerPostUser creates an Entra-style user.
func BenchmarkHandlerPostUser(b *testing.B) {
	f := newFleet(b, 100)
	w := newDiscard()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
			`"externalId":"new-` + fmt.Sprint(i) + `","userName":"new` + fmt.Sprint(i) + `@corp.example.com","active":true,` +
			`"displayName":"New User","emails":[{"primary":true,"type":"work","value":"new` + fmt.Sprint(i) + `@corp.example.com"}],` +
			`"meta":{"resourceType":"User"},"name":{"formatted":"New User","familyName":"User","givenName":"New"},` +
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"` + fmt.Sprint(i) + `","department":"Sales"}}`
		f.do(b, w, http.MethodPost, "/Users", body, http.StatusCreated)
		i++
	}
}

// BenchmarkHandlerGetUserLarge is GET /Users/{id} over 100,000 users, where
// a user's data is rarely in the CPU cache.
func BenchmarkHandlerGetUserLarge(b *testing.B) {
	f := newFleet(b, 100000)
	w := newDiscard()
	targets := make([]string, 4096)
	for i := range targets {
		targets[i] = "/Users/" + f.userIDs[(i*7919)%len(f.userIDs)]
	}
	reqs := gets(targets)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.serveReq(b, w, reqs[i%len(reqs)], http.StatusOK)
		i++
	}
}
