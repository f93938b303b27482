package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
)

// The Check page runs, against the SCIM handler the application mounts,
// the requests Microsoft Entra ID's "Test connection" sends, then a short
// round trip (create, read, deactivate as Entra ID does, delete), with a
// token made for the check on one of the tenant's connections and revoked
// after it.

// checkTokenLifetime bounds the check's token, should revoking it fail.
const checkTokenLifetime = 10 * time.Minute

// checkBodyLimit bounds what the check reads of a response.
const checkBodyLimit = 1 << 20

type checkData struct {
	Configured  bool
	Connections []*connections.Connection
	Selected    string
	Ran         bool
	Passed      bool
	Steps       []checkStep
}

type checkStep struct {
	Name    string
	Request string
	Status  int
	OK      bool
	Message string
}

func (c *Console) checkPage(w http.ResponseWriter, r *http.Request) {
	d, err := c.checkData(r)
	if err != nil {
		c.failed(w, r, "listing your connections", err)
		return
	}
	c.render(w, r, http.StatusOK, "check.html", c.newPage(w, r, "Check", "check", d))
}

func (c *Console) checkData(r *http.Request) (checkData, error) {
	d := checkData{Configured: c.cfg.scimHander != nil}
	conns, err := c.mgr.List(r.Context(), tenantOf(r))
	if err != nil {
		return d, err
	}
	for _, conn := range conns {
		if !conn.Disabled {
			d.Connections = append(d.Connections, conn)
		}
	}
	if len(d.Connections) > 0 {
		d.Selected = d.Connections[0].ID
	}
	return d, nil
}

func (c *Console) runCheck(w http.ResponseWriter, r *http.Request) {
	d, err := c.checkData(r)
	if err != nil {
		c.failed(w, r, "listing your connections", err)
		return
	}
	p := c.newPage(w, r, "Check", "check", nil)
	if !d.Configured {
		p.Data = d
		c.render(w, r, http.StatusOK, "check.html", p)
		return
	}
	want := r.PostFormValue("connection")
	var conn *connections.Connection
	for _, x := range d.Connections {
		if x.ID == want {
			conn = x
		}
	}
	if conn == nil {
		p.Data = d
		p.Error = "Choose one of your enabled connections."
		c.render(w, r, http.StatusBadRequest, "check.html", p)
		return
	}
	d.Selected = conn.ID
	d.Ran = true
	d.Steps = c.check(r.Context(), tenantOf(r), conn.ID)
	d.Passed = true
	for _, s := range d.Steps {
		d.Passed = d.Passed && s.OK
	}
	p.Data = d
	c.render(w, r, http.StatusOK, "check.html", p)
}

// check runs the steps and returns their results.
func (c *Console) check(ctx context.Context, tenant, connectionID string) []checkStep {
	var steps []checkStep
	issued, err := c.mgr.IssueToken(ctx, tenant, connectionID, checkTokenLifetime)
	if err != nil {
		c.cfg.logger.ErrorContext(ctx, "console: making the check's token", "tenant", tenant, "error", err)
		return []checkStep{{Name: "Make a temporary token", Message: "The token for the check could not be made."}}
	}
	steps = append(steps, checkStep{Name: "Make a temporary token", OK: true,
		Message: fmt.Sprintf("Token %s on this connection, valid for %d minutes at most.", issued.Credential.ID, int(checkTokenLifetime/time.Minute))})
	run := &checkRun{h: c.cfg.scimHander, token: issued.Secret.Reveal(), ctx: context.WithoutCancel(ctx)}
	steps = append(steps, run.steps()...)
	if err := c.mgr.Revoke(ctx, tenant, issued.Credential.ID); err != nil {
		c.cfg.logger.ErrorContext(ctx, "console: revoking the check's token", "tenant", tenant, "credential", issued.Credential.ID, "error", err)
		steps = append(steps, checkStep{Name: "Revoke the temporary token", Message: "Revoking failed; it expires by itself within minutes. Revoke " + issued.Credential.ID + " on the Setup page."})
	} else {
		steps = append(steps, checkStep{Name: "Revoke the temporary token", OK: true, Message: "Revoked."})
	}
	return steps
}

// checkRun sends the check's requests to h with token.
type checkRun struct {
	h     http.Handler
	token string
	ctx   context.Context
}

type listResponse struct {
	TotalResults *int `json:"totalResults"`
}

type userResponse struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   *bool  `json:"active"`
}

func (k *checkRun) steps() []checkStep {
	var steps []checkStep
	add := func(s checkStep) bool { steps = append(steps, s); return s.OK }
	guid := scim.NewID()

	// Entra ID's Test connection: a user and a group that do not exist
	// must be answered with an empty list, never 404.
	if !add(k.expectEmpty("Look up a user that does not exist (Entra ID's Test connection)",
		"/Users?filter="+url.QueryEscape(`userName eq "`+guid+`"`))) {
		return steps
	}
	if !add(k.expectEmpty("Look up a group that does not exist (Entra ID's Test connection)",
		"/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "`+guid+`"`))) {
		return steps
	}

	// The round trip, on a user no identity provider would send.
	userName := "scimkit-check-" + guid[:8] + "@example.invalid"
	body := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName, "active": true, "externalId": "scimkit-check-" + guid,
		"displayName": "Provisioning check",
		"name":        map[string]string{"givenName": "Provisioning", "familyName": "Check"},
		"emails":      []map[string]any{{"value": userName, "type": "work", "primary": true}},
	}
	st, raw := k.do(http.MethodPost, "/Users", body)
	var u userResponse
	_ = json.Unmarshal(raw, &u)
	s := checkStep{Name: "Create a test user", Request: "POST /Users", Status: st, OK: st == http.StatusCreated && u.ID != ""}
	s.Message = expectMsg(s.OK, "Created "+userName+".", "Expected 201 Created with the user's id.", raw)
	if !add(s) {
		return steps
	}
	path := "/Users/" + url.PathEscape(u.ID)
	ok := add(k.readUser("Read it back", path, userName, nil))
	if ok {
		patch := map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}},
		}
		st, raw = k.do(http.MethodPatch, path, patch)
		s = checkStep{Name: "Deactivate it as Entra ID does", Request: `PATCH ` + path + ` (Replace active "False")`, Status: st, OK: st == http.StatusOK || st == http.StatusNoContent}
		s.Message = expectMsg(s.OK, "Deactivated.", "Expected 200 or 204.", raw)
		if add(s) {
			inactive := false
			add(k.readUser("Read it back, deactivated", path, userName, &inactive))
		}
	}
	// Delete the user whatever happened above.
	st, raw = k.do(http.MethodDelete, path, nil)
	s = checkStep{Name: "Delete the test user", Request: "DELETE " + path, Status: st, OK: st == http.StatusNoContent}
	s.Message = expectMsg(s.OK, "Deleted.", "Expected 204 No Content.", raw)
	if add(s) {
		st, raw = k.do(http.MethodGet, path, nil)
		s = checkStep{Name: "Check that it is gone", Request: "GET " + path, Status: st, OK: st == http.StatusNotFound}
		s.Message = expectMsg(s.OK, "Not found, as expected.", "Expected 404 Not Found.", raw)
		add(s)
	}
	return steps
}

func (k *checkRun) expectEmpty(name, path string) checkStep {
	st, raw := k.do(http.MethodGet, path, nil)
	var lr listResponse
	_ = json.Unmarshal(raw, &lr)
	s := checkStep{Name: name, Request: "GET " + readable(path), Status: st}
	s.OK = st == http.StatusOK && lr.TotalResults != nil && *lr.TotalResults == 0
	s.Message = expectMsg(s.OK, "Empty list, as expected.", "Expected 200 OK with an empty list.", raw)
	return s
}

func (k *checkRun) readUser(name, path, userName string, active *bool) checkStep {
	st, raw := k.do(http.MethodGet, path, nil)
	var u userResponse
	_ = json.Unmarshal(raw, &u)
	s := checkStep{Name: name, Request: "GET " + path, Status: st}
	s.OK = st == http.StatusOK && u.UserName == userName && (active == nil || (u.Active != nil && *u.Active == *active))
	want := "Expected 200 OK with the user."
	if active != nil {
		want = "Expected 200 OK with the user, active false."
	}
	s.Message = expectMsg(s.OK, "Found.", want, raw)
	return s
}

// do sends one request to the SCIM handler and returns the status and
// the start of the body.
func (k *checkRun) do(method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(k.ctx, method, "http://scim.check"+path, rd)
	if err != nil {
		return 0, nil
	}
	// A server's request, as the handler and its middleware expect one.
	if req.Body == nil {
		req.Body = http.NoBody
	}
	req.RequestURI = path
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Authorization", "Bearer "+k.token)
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", "scimkit-console-check")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	rec := newRecorder()
	k.h.ServeHTTP(rec, req)
	return rec.status, rec.body.Bytes()
}

// expectMsg is okMsg if ok, else want and the SCIM error's detail.
func expectMsg(ok bool, okMsg, want string, raw []byte) string {
	if ok {
		return okMsg
	}
	var e struct {
		Detail   string `json:"detail"`
		ScimType string `json:"scimType"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Detail != "" {
		if e.ScimType != "" {
			return want + " Got " + e.ScimType + ": " + e.Detail
		}
		return want + " Got: " + e.Detail
	}
	return want
}

// recorder is a minimal http.ResponseWriter that keeps the status and at
// most checkBodyLimit bytes of the body.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) { r.status = code }

func (r *recorder) Write(b []byte) (int, error) {
	if room := checkBodyLimit - r.body.Len(); room > 0 {
		r.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}
