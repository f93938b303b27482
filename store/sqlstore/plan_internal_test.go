package sqlstore

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim"
)

var acme = &scim.Schema{ID: "urn:ietf:params:scim:schemas:extension:acme:2.0:User", Attributes: []*scim.Attribute{
	{Name: "badge", CaseExact: true}, {Name: "nick"}, {Name: "vip", Type: scim.TypeBoolean},
	{Name: "level", Type: scim.TypeInteger}, {Name: "tags", MultiValued: true},
	{Name: "desk", Type: scim.TypeComplex, SubAttributes: []*scim.Attribute{{Name: "building"}}},
}}

func userPlan(t *testing.T, d Dialect, expr string) (listPlan, string) {
	t.Helper()
	f, err := scim.ParseUserFilter(expr, acme)
	require.NoError(t, err, expr)
	q := &scim.Query{Filter: f, StartIndex: 1, Count: 10}
	p := plan(d, userResolver{d: d, f: f}, q, "tenant-x")
	b := &sqlBuf{d: d}
	b.frag(p.where)
	return p, b.String()
}

// TestPlanParameterised checks that the filters identity providers send
// become exact SQL in which no compared value appears: every value is a
// bind parameter.
func TestPlanParameterised(t *testing.T) {
	exact := []struct {
		filter string
		want   []string // fragments of the PostgreSQL condition
	}{
		{`userName eq "Bjensen@Example.com"`, []string{"r.user_name_key = $2"}},
		{`externalId eq "ABC-123"`, []string{"r.external_id = $2"}},
		{`id eq "2819c223"`, []string{"r.id = $2"}},
		{`displayName co "O'Brien; DROP TABLE scim_users"`, []string{"r.display_name_key LIKE $2 ESCAPE"}},
		{`userName sw "100%_\\x"`, []string{"LIKE $2"}},
		{`title ew "Boss"`, []string{"(r.search->>'~title') IS NOT NULL"}},
		{`active eq true and userName pr`, []string{"r.active = $2", "r.user_name_key IS NOT NULL"}},
		{`emails[type eq "work" and value co "@Example.com"]`, []string{"r.seq IN (SELECT v.user_seq FROM scim_user_values v", "v.type = $4", "v.value LIKE $5"}},
		{`emails.value eq "A@B.C"`, []string{"v.value = $4"}},
		{`emails eq "A@B.C"`, []string{"v.value = $4"}},
		{`emails[primary pr]`, []string{"v.is_primary = $4"}},
		{`emails pr`, []string{"r.seq IN (SELECT v.user_seq FROM scim_user_values v WHERE v.tenant = $2 AND v.attr = $3)"}},
		{`emails.type ne "work"`, []string{"NOT (r.seq IN (SELECT v.user_seq"}},
		{`emails[not (type eq "work")]`, []string{"NOT ((v.type IS NOT NULL AND v.type = $4))"}},
		{`addresses[postalCode eq "91608"]`, []string{"v.postal_code = $4"}},
		{`groups eq "6C5BB468"`, []string{"r.id IN (SELECT m.member_id FROM scim_group_members m", "m.group_id = $3"}},
		{`groups[display eq "Tour Guides"]`, []string{"g.display_name_key = $3"}},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, []string{"r.last_modified > $2"}},
		{`meta.created le "2011-05-13T04:42:34.123456+02:00"`, []string{"r.created <= $2"}},
		{`not (name.familyName eq "O'Malley") or nickName lt "M"`, []string{"NOT (", "(r.search->>'~nickName') COLLATE \"C\" < $3"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, []string{"r.employee_number_key = $2"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`, []string{"'~urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value'"}},
		{`urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge eq "B-12"`, []string{"(r.search->>'urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge') = $2"}},
		{`urn:ietf:params:scim:schemas:extension:acme:2.0:User:nick eq "Babs"`, []string{"'~urn:ietf:params:scim:schemas:extension:acme:2.0:User:nick'"}},
		{`urn:ietf:params:scim:schemas:extension:acme:2.0:User:vip eq true`, []string{"User:vip') = $2"}},
		{`urn:ietf:params:scim:schemas:extension:acme:2.0:User:desk.building eq "B1"`, []string{"User:desk.building'"}},
	}
	for _, tc := range exact {
		for _, d := range []Dialect{Postgres, SQLite} {
			p, sql := userPlan(t, d, tc.filter)
			assert.True(t, p.exact, "%s on %s is pushed down", tc.filter, d)
			for _, v := range compareValues(t, tc.filter) {
				if len(v) > 2 && !isKeyword(v) {
					assert.NotContains(t, strings.ToLower(sql), strings.ToLower(v), "%s: value in SQL text", tc.filter)
				}
			}
			n := strings.Count(sql, "?")
			if d == Postgres {
				n = strings.Count(sql, "$")
				for _, w := range tc.want {
					assert.Contains(t, sql, w, tc.filter)
				}
			}
			assert.Equal(t, len(p.where.args), n, "%s on %s: one parameter per argument", tc.filter, d)
			assert.Equal(t, "tenant-x", p.where.args[0])
		}
	}

	// Values are folded in Go for case-insensitive attributes only.
	p, _ := userPlan(t, Postgres, `userName eq "ÉMILE@Example.com" and externalId eq "AbC"`)
	assert.Equal(t, []any{"tenant-x", "émile@example.com", "AbC"}, p.where.args)
	// LIKE wildcards in values are escaped.
	p, _ = userPlan(t, Postgres, `userName sw "100%_"`)
	assert.Equal(t, []any{"tenant-x", `100\%\_%`}, p.where.args)
	_, arg := Postgres.like("e", "$1", "ew", `a\b`)
	assert.Equal(t, `%a\\b`, arg)
	p, _ = userPlan(t, SQLite, `userName co "a*b?[c]"`)
	assert.Equal(t, []any{"tenant-x", `*a[*]b[?][[]c]*`}, p.where.args)
}

// compareValues returns the string compare values in a filter.
func compareValues(t *testing.T, expr string) []string {
	e, err := filter.ParseFilter([]byte(expr))
	require.NoError(t, err)
	var out []string
	var walk func(filter.Expression)
	walk = func(e filter.Expression) {
		switch e := e.(type) {
		case *filter.LogicalExpression:
			walk(e.Left)
			walk(e.Right)
		case *filter.NotExpression:
			walk(e.Expression)
		case *filter.ValuePath:
			walk(e.ValueFilter)
		case *filter.AttributeExpression:
			if s, ok := e.CompareValue.(string); ok {
				out = append(out, s)
			}
		}
	}
	walk(e)
	return out
}

// isKeyword reports whether a compare value is also SQL the store writes
// (such as "work" in no statement, but "@B.C" never).
func isKeyword(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 &&
		strings.Contains("direct", strings.ToLower(v))
}

// TestPlanFallback checks what is not pushed down exactly: the condition
// is then a superset (or nothing), never a wrong subset.
func TestPlanFallback(t *testing.T) {
	for _, tc := range []struct {
		filter string
		cond   string // "" when nothing narrows the candidates
	}{
		{`x509Certificates.value eq "MII"`, ""},
		{`meta.version eq "W/\"1\""`, ""},
		{`meta.created gt "2011-05-13T04:42:34.1234567Z"`, ""},
		{`urn:ietf:params:scim:schemas:extension:acme:2.0:User:level gt 3`, ""},
		{`urn:ietf:params:scim:schemas:extension:acme:2.0:User:tags eq "a"`, ""},
		{`userName eq "a" and x509Certificates.value eq "MII"`, "r.user_name_key = $2"},
		{`userName eq "a" or x509Certificates.value eq "MII"`, ""},
		{`not (x509Certificates.value eq "MII")`, ""},
		{`userName eq "a" and not (x509Certificates.value eq "MII")`, "r.user_name_key = $2"},
		{`(userName eq "a" and title pr) or (userName eq "b" and x509Certificates pr)`, "OR"},
	} {
		p, sql := userPlan(t, Postgres, tc.filter)
		assert.False(t, p.exact, tc.filter)
		if tc.cond == "" {
			assert.Equal(t, "r.tenant = $1", sql, tc.filter)
		} else {
			assert.Contains(t, sql, tc.cond, tc.filter)
		}
	}
}

func TestSortExpr(t *testing.T) {
	r := userResolver{d: Postgres}
	for path, want := range map[string]string{
		"userName":          `r.user_name_key COLLATE "C"`,
		"meta.lastModified": "r.last_modified",
		"name.familyName":   `(r.search->>'~name.familyName') COLLATE "C"`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": `r.employee_number_key COLLATE "C"`,
	} {
		got, ok := sortExpr(Postgres, r, path)
		assert.True(t, ok, path)
		assert.Equal(t, want, got, path)
	}
	for _, path := range []string{"emails", "emails.value", "meta.version", "urn:ietf:params:scim:schemas:extension:acme:2.0:User:level",
		"urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge"} {
		_, ok := sortExpr(Postgres, r, path)
		assert.False(t, ok, path)
	}
}

func TestFold(t *testing.T) {
	pairs := []string{"A", "a", "É", "é", "ß", "ẞ", "K", "\u212a", "ſ", "S", "İ", "i", "Σ", "ς", "σ", "ǅ", "ǆ", "Ω", "\u2126"}
	for _, a := range pairs {
		for _, b := range pairs {
			assert.Equal(t, strings.EqualFold(a, b), fold(a) == fold(b), "%q %q", a, b)
		}
	}
	for _, s := range []string{"userName", "ÉMILE", "Straße", "ΑΒΓ", "mixed Case 123"} {
		assert.Equal(t, strings.ToLower(s), fold(s), s)
	}
	assert.Equal(t, "abc", fold("abc"))
	// Ids made by the store are their own keys.
	for range 100 {
		id := newID()
		assert.Equal(t, id, fold(id))
	}
	assert.Equal(t, fmt.Sprint(len(newID())), "36")
}
