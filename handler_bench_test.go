package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
// and asks for the group without its members, as bench/harness does. The
// new members name nothing (WithForeignMembers): the benchmark measures
// adding, not looking members up.
func BenchmarkHandlerPatchAddMember(b *testing.B) {
	f := newFleet(b, 10000, scim.WithForeignMembers())
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

// benchUsers seeds n users through the store: every 1000th has a work
// email at example.com, the others at corp.test.
func benchUsers(b *testing.B, users scim.UserStore, n int) []*scim.User {
	b.Helper()
	ctx := context.Background()
	out := make([]*scim.User, 0, n)
	active := true
	for i := range n {
		domain := "corp.test"
		if i%1000 == 0 {
			domain = "example.com"
		}
		u, err := users.Create(ctx, &scim.User{
			UserName:    fmt.Sprintf("user%06d@corp.test", i),
			Name:        &scim.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%d", i)},
			DisplayName: fmt.Sprintf("User %d", i),
			Active:      &active,
			Emails: []scim.MultiValue{
				{Value: fmt.Sprintf("user%06d@%s", i, domain), Type: "work", Primary: true},
				{Value: fmt.Sprintf("u%06d@home.test", i), Type: "home"},
			},
			Enterprise: &scim.EnterpriseUser{EmployeeNumber: fmt.Sprint(i), Department: "Sales"},
		})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func serve(b *testing.B, h http.Handler, method, target, body string, want int) {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
}

// BenchmarkUserNameLookup is Entra ID's matching query: it must cost the
// same at 1,000 and at 100,000 users (an index, not a scan).
func BenchmarkUserNameLookup(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			users, groups := memstore.New()
			benchUsers(b, users, n)
			h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
			targets := make([]string, 64)
			for i := range targets {
				targets[i] = "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "USER%06d@corp.test"`, (i*7919)%n))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serve(b, h, "GET", targets[i%len(targets)], "", 200)
			}
		})
	}
}

const scanFilter = `emails[type eq "work" and value co "example"]`

// BenchmarkHandlerFilterScan runs a filter no index answers over 100,000
// users through the handler. BenchmarkHandlerFilterScanLoop is the floor to
// compare it with: the same match as a hand-written loop over the same
// structs.
func BenchmarkHandlerFilterScan(b *testing.B) {
	users, groups := memstore.New()
	benchUsers(b, users, 100000)
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	target := "/Users?filter=" + url.QueryEscape(scanFilter)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve(b, h, "GET", target, "", 200)
	}
}

func BenchmarkHandlerFilterScanLoop(b *testing.B) {
	users, _ := memstore.New()
	all := benchUsers(b, users, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for i := 0; i < b.N; i++ {
		for _, u := range all {
			for j := range u.Emails {
				e := &u.Emails[j]
				if strings.EqualFold(e.Type, "work") && strings.Contains(strings.ToLower(e.Value), "example") {
					matched++
					break
				}
			}
		}
	}
	if matched != 100*b.N {
		b.Fatalf("matched %d", matched)
	}
}

// BenchmarkPatchAddMember adds one member to a group of 100 and of
// 100,000 members through the handler, as Entra ID does, answered with 204
// (the default for a member change).
func BenchmarkPatchAddMember(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			users, groups := memstore.New()
			ctx := context.Background()
			members := make([]scim.MultiValue, n)
			for i := range members {
				members[i] = scim.MultiValue{Value: fmt.Sprintf("m%07d", i)}
			}
			g, err := groups.Create(ctx, &scim.Group{DisplayName: "big", Members: members})
			if err != nil {
				b.Fatal(err)
			}
			// The members name nothing: the benchmark measures adding.
			h := scim.NewHandler(users, groups, scim.WithoutAuthentication(), scim.WithForeignMembers())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"new` + fmt.Sprint(i) + `"}]}]}`
				serve(b, h, "PATCH", "/Groups/"+g.ID, body, 204)
			}
		})
	}
}

// BenchmarkGetUser reads one user by id through the handler.
func BenchmarkGetUser(b *testing.B) {
	users, groups := memstore.New()
	all := benchUsers(b, users, 10000)
	h := scim.NewHandler(users, groups, scim.WithoutAuthentication())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve(b, h, "GET", "/Users/"+all[(i*7919)%len(all)].ID, "", 200)
	}
}
