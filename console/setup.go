package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scim/connections"
)

// The Setup page: the SCIM URL, the tenant's connections and credentials,
// and the guides for each identity provider.

type setupData struct {
	SCIMURL     string
	Connections []connectionView
	Providers   []providerOption
	// Form holds what the admin typed in the create form, when it was
	// refused.
	FormName     string
	FormProvider string
}

type connectionView struct {
	*connections.Connection
	Credentials []credentialView
	// Usable is the number of credentials that work now.
	Usable int
}

type credentialView struct {
	*connections.Credential
	// State is "active", "expires", "revoked" or "expired".
	State string
}

type providerOption struct {
	Value connections.Provider
	Label string
}

var providers = []providerOption{
	{connections.ProviderEntraID, "Microsoft Entra ID"},
	{connections.ProviderOkta, "Okta"},
	{connections.ProviderOther, "Another SCIM client"},
}

// providerLabel names p for people.
func providerLabel(p connections.Provider) string {
	for _, o := range providers {
		if o.Value == p {
			return o.Label
		}
	}
	return string(p)
}

// notices are the messages a redirect's ?done= code shows; nothing from
// the URL is shown as it is.
var notices = map[string]string{
	"revoked":  "The credential was revoked: it is refused from the next request on.",
	"disabled": "The connection was disabled: its credentials are refused until you enable it again.",
	"enabled":  "The connection was enabled again.",
	"deleted":  "The connection and its credentials were deleted. Your users and groups were kept.",
}

func (c *Console) setupPage(w http.ResponseWriter, r *http.Request) {
	c.renderSetup(w, r, http.StatusOK, "", setupData{})
}

func (c *Console) renderSetup(w http.ResponseWriter, r *http.Request, status int, errMsg string, d setupData) {
	tenant := tenantOf(r)
	conns, err := c.mgr.List(r.Context(), tenant)
	if err != nil {
		c.failed(w, r, "listing your connections", err)
		return
	}
	now := time.Now()
	for _, conn := range conns {
		creds, err := c.mgr.Credentials(r.Context(), tenant, conn.ID)
		if err != nil {
			c.failed(w, r, "listing your credentials", err)
			return
		}
		v := connectionView{Connection: conn}
		for i := len(creds) - 1; i >= 0; i-- { // newest first
			cv := credentialView{Credential: creds[i], State: credentialState(creds[i], now)}
			if cv.State == "active" || cv.State == "expires" {
				v.Usable++
			}
			v.Credentials = append(v.Credentials, cv)
		}
		d.Connections = append(d.Connections, v)
	}
	d.SCIMURL = c.cfg.scimURL(r)
	d.Providers = providers
	p := c.newPage(w, r, "Setup", "setup", d)
	p.Notice = notices[r.URL.Query().Get("done")]
	p.Error = errMsg
	c.render(w, r, status, "setup.html", p)
}

func credentialState(cr *connections.Credential, now time.Time) string {
	switch {
	case !cr.Revoked.IsZero():
		return "revoked"
	case !cr.Usable(now):
		return "expired"
	case !cr.Expires.IsZero():
		return "expires"
	}
	return "active"
}

// secretData is the page that shows a new secret, once.
type secretData struct {
	SCIMURL    string
	Connection *connections.Connection
	Credential *connections.Credential
	// Secret is the token; it appears in this response's body only.
	Secret string
	// Replaced is the id of the credential a rotation replaced, and
	// ReplacedUntil when it stops working (zero: when it is revoked).
	Replaced      string
	ReplacedUntil time.Time
	Created       bool
}

func (c *Console) showSecret(w http.ResponseWriter, r *http.Request, d secretData) {
	d.SCIMURL = c.cfg.scimURL(r)
	c.render(w, r, http.StatusOK, "secret.html", c.newPage(w, r, "Your new token", "setup", d))
}

func (c *Console) createConnection(w http.ResponseWriter, r *http.Request) {
	tenant := tenantOf(r)
	name := strings.TrimSpace(r.PostFormValue("name"))
	p := connections.Provider(r.PostFormValue("provider"))
	if !knownProvider(p) {
		p = connections.ProviderOther
	}
	conn, err := c.mgr.Create(r.Context(), tenant, name, p)
	if errors.Is(err, connections.ErrInvalid) {
		msg := "Give the connection a name of at most 256 characters, without control characters."
		c.renderSetup(w, r, http.StatusBadRequest, msg, setupData{FormName: name, FormProvider: string(p)})
		return
	}
	if err != nil {
		c.failed(w, r, "creating the connection", err)
		return
	}
	issued, err := c.mgr.IssueToken(r.Context(), tenant, conn.ID, 0)
	if err != nil {
		c.failed(w, r, "making the connection's token", err)
		return
	}
	c.showSecret(w, r, secretData{Connection: conn, Credential: issued.Credential, Secret: issued.Secret.Reveal(), Created: true})
}

func knownProvider(p connections.Provider) bool {
	for _, o := range providers {
		if o.Value == p {
			return true
		}
	}
	return false
}

func (c *Console) issueToken(w http.ResponseWriter, r *http.Request) {
	tenant := tenantOf(r)
	conn, err := c.mgr.Get(r.Context(), tenant, r.PathValue("id"))
	if c.notFoundOr(w, r, err, "reading the connection") {
		return
	}
	issued, err := c.mgr.IssueToken(r.Context(), tenant, conn.ID, 0)
	if c.notFoundOr(w, r, err, "making the token") {
		return
	}
	c.showSecret(w, r, secretData{Connection: conn, Credential: issued.Credential, Secret: issued.Secret.Reveal()})
}

// graces are the grace periods the rotate form offers.
var graces = map[string]time.Duration{"": 0, "0": 0, "1h": time.Hour, "24h": 24 * time.Hour, "168h": 7 * 24 * time.Hour}

func (c *Console) rotateCredential(w http.ResponseWriter, r *http.Request) {
	tenant := tenantOf(r)
	grace, ok := graces[r.PostFormValue("grace")]
	if !ok {
		c.renderSetup(w, r, http.StatusBadRequest, "Choose how long the old token keeps working.", setupData{})
		return
	}
	issued, err := c.mgr.Rotate(r.Context(), tenant, r.PathValue("id"), grace)
	if errors.Is(err, connections.ErrInvalid) {
		c.renderSetup(w, r, http.StatusBadRequest, "This credential cannot be rotated.", setupData{})
		return
	}
	if c.notFoundOr(w, r, err, "rotating the token") {
		return
	}
	conn, err := c.mgr.Get(r.Context(), tenant, issued.Credential.ConnectionID)
	if c.notFoundOr(w, r, err, "reading the connection") {
		return
	}
	d := secretData{Connection: conn, Credential: issued.Credential, Secret: issued.Secret.Reveal(), Replaced: r.PathValue("id")}
	if grace > 0 {
		d.ReplacedUntil = issued.Credential.Created.Add(grace)
	}
	c.showSecret(w, r, d)
}

func (c *Console) revokeCredential(w http.ResponseWriter, r *http.Request) {
	err := c.mgr.Revoke(r.Context(), tenantOf(r), r.PathValue("id"))
	if c.notFoundOr(w, r, err, "revoking the token") {
		return
	}
	seeOther(w, r, "", "revoked")
}

func (c *Console) setDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, err := c.mgr.SetDisabled(r.Context(), tenantOf(r), r.PathValue("id"), disabled)
		if c.notFoundOr(w, r, err, "changing the connection") {
			return
		}
		notice := "enabled"
		if disabled {
			notice = "disabled"
		}
		seeOther(w, r, "", notice)
	}
}

func (c *Console) deleteConnection(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		c.renderSetup(w, r, http.StatusBadRequest, "To delete a connection, tick the box that confirms it.", setupData{})
		return
	}
	err := c.mgr.Delete(r.Context(), tenantOf(r), r.PathValue("id"))
	if c.notFoundOr(w, r, err, "deleting the connection") {
		return
	}
	seeOther(w, r, "", "deleted")
}

// notFoundOr answers a 404 page for an error wrapping ErrNotFound (which is
// also what a connection of another tenant gives), a 500 for another
// error, and reports whether it answered.
func (c *Console) notFoundOr(w http.ResponseWriter, r *http.Request, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, connections.ErrNotFound):
		p := c.newPage(w, r, "Not found", "setup", nil)
		p.Error = "There is no such connection or credential. It may have been deleted."
		c.render(w, r, http.StatusNotFound, "message.html", p)
	default:
		c.failed(w, r, what, err)
	}
	return true
}
