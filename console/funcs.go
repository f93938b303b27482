package console

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/connections"
)

var funcs = template.FuncMap{
	"when":      when,
	"ago":       ago,
	"provider":  func(p connections.Provider) string { return providerLabel(p) },
	"email":     primaryEmail,
	"readable":  readable,
	"breakable": breakable,
	"inactive":  func(u *scim.User) bool { return u.Active != nil && !*u.Active },
}

// readable decodes a request path's query for people: a filter reads
// userName eq "ada" rather than userName+eq+%22ada%22. It is still
// escaped by the template like every other value.
func readable(path string) string {
	p, q, ok := strings.Cut(path, "?")
	if !ok {
		return path
	}
	if u, err := url.QueryUnescape(q); err == nil {
		q = u
	}
	return p + "?" + q
}

// breakable returns s escaped for HTML, with a line break opportunity
// (<wbr>) after each "@" and before each ".", so that an email or a
// userName too long for its column wraps between its parts
// ("grace.hopper@" / "acme.example") rather than at any letter.
func breakable(s string) template.HTML {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			b.WriteString(template.HTMLEscapeString(s[start : i+1]))
			b.WriteString("<wbr>")
			start = i + 1
		case '.':
			if i > start {
				b.WriteString(template.HTMLEscapeString(s[start:i]))
				b.WriteString("<wbr>")
				start = i
			}
		}
	}
	b.WriteString(template.HTMLEscapeString(s[start:]))
	return template.HTML(b.String())
}

// primaryEmail returns u's primary email, or its first, or "".
func primaryEmail(u *scim.User) string {
	for _, e := range u.Emails {
		if e.Primary {
			return e.Value
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Value
	}
	return ""
}

// when formats t for people, in UTC; zero is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// ago says how long before now t was, roughly.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "in " + roughly(-d)
	case d < time.Minute:
		return "just now"
	}
	return roughly(d) + " ago"
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
