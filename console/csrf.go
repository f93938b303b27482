package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// CSRF protection is a signed double-submit cookie: the cookie holds a
// random value, and every form carries the HMAC of that value and the
// tenant. A page on another site can neither read the cookie nor compute
// the HMAC, and a token of one tenant's forms is refused in another's.
// ServeHTTP also refuses cross-origin POSTs outright (Sec-Fetch-Site and
// Origin, through http.CrossOriginProtection).

const (
	csrfField  = "csrf"
	cookieName = "scimkit_console"
)

func (c *Console) cookieName() string {
	if c.cfg.secure {
		return "__Host-" + cookieName
	}
	return cookieName
}

// csrfToken returns the token for r's forms, setting the cookie on w when
// r has none.
func (c *Console) csrfToken(w http.ResponseWriter, r *http.Request, tenant string) string {
	nonce := ""
	if ck, err := r.Cookie(c.cookieName()); err == nil && len(ck.Value) == 64 {
		nonce = ck.Value
	} else {
		nonce = randomToken(32)
		http.SetCookie(w, &http.Cookie{
			Name: c.cookieName(), Value: nonce, Path: "/", HttpOnly: true,
			Secure: c.cfg.secure, SameSite: http.SameSiteStrictMode,
		})
		// The request's own forms use the new cookie.
		r.AddCookie(&http.Cookie{Name: c.cookieName(), Value: nonce})
	}
	return c.sign(nonce, tenant)
}

func (c *Console) sign(nonce, tenant string) string {
	m := hmac.New(sha256.New, c.cfg.csrfKey)
	m.Write([]byte(nonce))
	m.Write([]byte{0})
	m.Write([]byte(tenant))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF reports whether r's form carries the token of its cookie and
// tenant.
func (c *Console) validCSRF(r *http.Request, tenant string) bool {
	ck, err := r.Cookie(c.cookieName())
	if err != nil || len(ck.Value) != 64 {
		return false
	}
	got := r.PostFormValue(csrfField)
	if got == "" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(c.sign(ck.Value, tenant)))
}
