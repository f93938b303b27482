package scim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func requireInvalidFilter(t *testing.T, err error, input string) *Error {
	t.Helper()
	require.Error(t, err, input)
	var se *Error
	require.True(t, errors.As(err, &se), "%q: %T is not *Error", input, err)
	assert.Equal(t, 400, se.Status, input)
	assert.Equal(t, ScimTypeInvalidFilter, se.ScimType, "%q: %v", input, err)
	assert.NotEmpty(t, se.Detail, input)
	assert.NotContains(t, se.Detail, "parse conflict", input)
	assert.NotContains(t, se.Detail, "internal error", input)
	return se
}

func TestFilterNormalization(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct{ in, want string }{
		{`USERNAME Eq "x"`, `userName eq "x"`},
		{`  userName   eq   "x"  `, `userName eq "x"`},
		{"userName\teq\n\"x\"", `userName eq "x"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.FAMILYNAME eq "x"`, `name.familyName eq "x"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:ID eq "x"`, `id eq "x"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber eq "1"`, ent + `:employeeNumber eq "1"`},
		{ent + `:MANAGER eq "m"`, ent + `:manager.value eq "m"`},
		{ent + `:manager[DisplayName eq "m"]`, ent + `:manager[displayName eq "m"]`},
		{`emails co "@x"`, `emails.value co "@x"`},
		{`Emails.Value co "@x"`, `emails.value co "@x"`},
		{`emails[TYPE eq "work"].VALUE eq "x"`, `emails[type eq "work" and value eq "x"]`},
		{`emails[type eq "work" or type eq "home"].value eq "x"`, `emails[(type eq "work" or type eq "home") and value eq "x"]`},
		{`emails[not (primary eq true)]`, `emails[not (primary eq true)]`},
		{`title eq null`, `not (title pr)`},
		{`title ne NULL`, `title pr`},
		{`title PR`, `title pr`},
		{`userName eq "a\"b"`, `userName eq "a\"b"`},
		{`userName eq "tab\there"`, `userName eq "tab\there"`},
		{`userName eq "\u0041\u00e9"`, `userName eq "Aé"`},
		{`userName eq "a\/b"`, `userName eq "a/b"`},
		{`userName eq bare`, `userName eq "bare"`},
		{`meta.created gt 2015-10-10T14:38:21.8617979-07:00`, `meta.created gt "2015-10-10T14:38:21.8617979-07:00"`},
		{`meta.LASTMODIFIED lt "2015-10-10T14:38:21Z"`, `meta.lastModified lt "2015-10-10T14:38:21Z"`},
		{`active eq "True"`, `active eq true`},
		{`active Eq TRUE`, `active eq true`},
		{filterAcmeURN + `:level eq 1E2`, filterAcmeURN + `:level eq 100`},
		{filterAcmeURN + `:score gt 1.50`, filterAcmeURN + `:score gt 1.5`},
		{filterAcmeURN + `:score gt 1e21`, filterAcmeURN + `:score gt 1e+21`},
		{filterAcmeURN + `:COSTCENTER sw "a"`, filterAcmeURN + `:costCenter sw "a"`},
		{`userName eq "a" or userName eq "b" and userName eq "c"`, `userName eq "a" or userName eq "b" and userName eq "c"`},
		{`(userName eq "a" or userName eq "b") and userName eq "c"`, `(userName eq "a" or userName eq "b") and userName eq "c"`},
		{`userName eq "a" and (userName eq "b" or userName eq "c")`, `userName eq "a" and (userName eq "b" or userName eq "c")`},
		{`not(userName eq "a" or userName pr)`, `not (userName eq "a" or userName pr)`},
		{`userName pr and(title pr)`, `userName pr and title pr`},
		{`userName eq "x"or title pr`, `userName eq "x" or title pr`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := filterUserType.parseFilter(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.String())
			// The output parses back to the same filter.
			again, err := filterUserType.parseFilter(f.String())
			require.NoError(t, err)
			assert.Equal(t, f.String(), again.String())
			assert.Equal(t, f.Expr, again.Expr)
		})
	}
}

func TestFilterExprShape(t *testing.T) {
	attr := func(e filter.Expression) *filter.AttributeExpression {
		t.Helper()
		a, ok := e.(*filter.AttributeExpression)
		require.True(t, ok, "%T", e)
		return a
	}
	parse := func(s string) filter.Expression {
		t.Helper()
		f, err := filterUserType.parseFilter(s)
		require.NoError(t, err)
		return f.Expr
	}

	// Implicit value: an AttributeExpression on the sub-attribute "value".
	a := attr(parse(`Emails co "@x"`))
	assert.Nil(t, a.AttributePath.URIPrefix)
	assert.Equal(t, "emails", a.AttributePath.AttributeName)
	require.NotNil(t, a.AttributePath.SubAttribute)
	assert.Equal(t, "value", *a.AttributePath.SubAttribute)
	assert.Equal(t, filter.CO, a.Operator)
	assert.Equal(t, "@x", a.CompareValue)

	// Entra ID's form: a ValuePath with an and of the filter and the comparison.
	vp, ok := parse(`emails[type eq "work"].value eq "x@y"`).(*filter.ValuePath)
	require.True(t, ok)
	assert.Equal(t, "emails", vp.AttributePath.AttributeName)
	assert.Nil(t, vp.AttributePath.SubAttribute)
	and, ok := vp.ValueFilter.(*filter.LogicalExpression)
	require.True(t, ok)
	assert.Equal(t, filter.AND, and.Operator)
	assert.Equal(t, "type", attr(and.Left).AttributePath.AttributeName)
	right := attr(and.Right)
	assert.Equal(t, "value", right.AttributePath.AttributeName)
	assert.Nil(t, right.AttributePath.SubAttribute)
	assert.Equal(t, "x@y", right.CompareValue)

	// Extension URN in canonical case; core URN removed.
	a = attr(parse(`urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User:employeeNumber eq "1"`))
	require.NotNil(t, a.AttributePath.URIPrefix)
	assert.Equal(t, EnterpriseUserSchema, *a.AttributePath.URIPrefix)
	a = attr(parse(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "1"`))
	assert.Nil(t, a.AttributePath.URIPrefix)

	// Typed compare values.
	assert.Equal(t, `a"b`, attr(parse(`userName eq "a\"b"`)).CompareValue)
	assert.Equal(t, true, attr(parse(`active eq "true"`)).CompareValue)
	assert.Equal(t, int64(5), attr(parse(filterAcmeURN+`:level ge 5`)).CompareValue)
	assert.Equal(t, 2.5, attr(parse(filterAcmeURN+`:score ge 2.5`)).CompareValue)
	assert.Equal(t, 3.0, attr(parse(filterAcmeURN+`:score ge 3`)).CompareValue)
	tm, ok := attr(parse(`meta.created gt "2015-10-10T14:38:21.8617979-07:00"`)).CompareValue.(time.Time)
	require.True(t, ok)
	assert.True(t, tm.Equal(time.Date(2015, 10, 10, 21, 38, 21, 861797900, time.UTC)))
	pr := attr(parse(`title pr`))
	assert.Equal(t, filter.PR, pr.Operator)
	assert.Nil(t, pr.CompareValue)
	not, ok := parse(`title eq null`).(*filter.NotExpression)
	require.True(t, ok)
	assert.Equal(t, filter.PR, attr(not.Expression).Operator)

	// and binds tighter than or; chains are left-associative.
	or, ok := parse(`id pr or id pr and title pr`).(*filter.LogicalExpression)
	require.True(t, ok)
	assert.Equal(t, filter.OR, or.Operator)
	assert.Equal(t, filter.AND, or.Right.(*filter.LogicalExpression).Operator)
	chain := parse(`id pr and title pr and userName pr`).(*filter.LogicalExpression)
	assert.Equal(t, "userName", attr(chain.Right).AttributePath.AttributeName)
	assert.IsType(t, &filter.LogicalExpression{}, chain.Left)
}

func TestFilterAttribute(t *testing.T) {
	f, err := filterUserType.parseFilter(`userName pr`)
	require.NoError(t, err)
	sub := func(s string) *string { return &s }
	urn := EnterpriseUserSchema

	assert.Same(t, userSchema.Attr("userName"), f.Attribute(filter.AttributePath{AttributeName: "userName"}))
	assert.False(t, f.Attribute(filter.AttributePath{AttributeName: "userName"}).CaseExact)
	assert.True(t, f.Attribute(filter.AttributePath{AttributeName: "id"}).CaseExact)
	assert.Equal(t, "value", f.Attribute(filter.AttributePath{AttributeName: "emails", SubAttribute: sub("value")}).Name)
	assert.Equal(t, "employeeNumber", f.Attribute(filter.AttributePath{URIPrefix: &urn, AttributeName: "employeeNumber"}).Name)
	assert.True(t, f.Attribute(filter.AttributePath{URIPrefix: sub(filterAcmeURN), AttributeName: "badgeId"}).CaseExact)
	assert.Nil(t, f.Attribute(filter.AttributePath{AttributeName: "nope"}))
	assert.Nil(t, (*Filter)(nil).Attribute(filter.AttributePath{AttributeName: "userName"}))
	assert.Equal(t, "", (*Filter)(nil).String())
}

func TestInvalidFilters(t *testing.T) {
	acme := filterAcmeURN + ":"
	deep := strings.Repeat("(", 40) + `userName pr` + strings.Repeat(")", 40)
	long := strings.Repeat(`userName pr or `, maxFilterTerms) + `userName pr`
	tests := []string{
		// Syntax.
		``, `   `, `userName`, `userName eq`, `userName eq "x`, `userName xx "x"`, `userName eq "x" and`,
		`(userName eq "x"`, `userName eq "x")`, `userName eq "x" "y"`, `userName pr pr`, `and`, `or userName pr`,
		`userName eq 'x'`, "userName eq `x`", `userName eq "\q"`, `userName eq "\u12"`, "userName eq \"a\tb\"",
		`userName eq and`, `userName eq {x}`, `userName eq x\y`, `userNameeq "x"`, `userName eq"x"`,
		`not userName eq "x"`, `not (userName eq "x"`, `a.b.c eq "x"`, `1abc eq "x"`, `user$name eq "x"`,
		`urn::userName eq "x"`, `:userName eq "x"`, `userName. eq "x"`, `.userName eq "x"`,
		`emails[type eq "x"`, `emails[type eq "x"]]`, `emails[]`, `emails[type eq "x"].`, `emails[type eq "x"].value`,
		`emails[type eq "x"] .value eq "y"`, `emails[type eq "x"][value eq "y"]`, "\xff", "userName eq \"\xff\"",
		deep, long,
		// Schema.
		`usrName eq "x"`, `name.foo eq "x"`, `userName.foo eq "x"`, `urn:foo:bar:userName eq "x"`,
		`urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"`, `emails[foo eq "x"]`,
		`emails.value[type eq "x"]`, `userName[type eq "x"]`, `emails[emails[type eq "x"]]`,
		`emails[emails.type eq "x"]`, `emails[urn:x:type eq "x"]`, `emails[type eq "x"].foo eq "y"`,
		`password eq "x"`, `password pr`, `PASSWORD ne null`, acme + `secret eq "x"`, acme + `nope eq 1`,
		// Types.
		`active eq "yes"`, `active eq 1`, `active gt true`, `active co "t"`, `active eq yes`,
		`meta.created gt 5`, `meta.created co "2020"`, `meta.created eq "yesterday"`, `meta.created eq "2015-10-10"`,
		`meta.created gt true`, `userName eq 5`, `userName eq true`, `userName gt 1.5`,
		`name gt "x"`, `name eq "x"`, `addresses eq "x"`, `meta eq "x"`, `name co "x"`,
		`userName gt null`, `userName co null`, `userName sw null`,
		acme + `level co 5`, acme + `level eq 1.5`, acme + `level eq "5"`, acme + `level eq 99999999999999999999`,
		acme + `level eq five`, acme + `remote eq 1`, acme + `remote lt false`, acme + `score eq "x"`,
		acme + `score sw 1`, acme + `hired ew "Z"`, `x509Certificates.value co "MII"`, `x509Certificates.value gt "MII"`,
		`emails[primary eq "yes"]`, `emails[primary gt true]`,
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			var f *Filter
			var err error
			require.NotPanics(t, func() { f, err = filterUserType.parseFilter(s) })
			assert.Nil(t, f)
			requireInvalidFilter(t, err, s)
		})
	}
}

func TestInvalidFilterDetails(t *testing.T) {
	tests := []struct{ in, detail string }{
		{`userName eq "x`, "position 13"},
		{`userName xx "x"`, `found "xx \"x\""`},
		{`userName eq "x" and`, "found the end of the filter"},
		{`(userName pr`, "parenthesis opened here is never closed at position 1"},
		{`usrName eq "x"`, `unknown attribute "usrName"`},
		{`name.foo eq "x"`, `"name" has no sub-attribute "foo"`},
		{`active eq "yes"`, `"active" is a boolean attribute`},
		{`meta.created gt 5`, `RFC 3339`},
		{`userName eq 5`, `"userName" is a string attribute`},
		{`password eq "x"`, `never returned`},
		{`name eq "x"`, `such as name.formatted`},
		{`active gt true`, `only eq, ne and pr apply`},
		{`emails[foo eq "x"]`, `"emails" has no sub-attribute "foo"`},
		{`urn:x:y:z eq "x"`, `unknown schema URN "urn:x:y"`},
		{`meta.created co "2020"`, `co, sw and ew apply to strings`},
		{`userName eq "é" and x`, `position 22`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := filterUserType.parseFilter(tt.in)
			se := requireInvalidFilter(t, err, tt.in)
			assert.Contains(t, se.Detail, tt.detail)
		})
	}
}

func TestStrictBooleans(t *testing.T) {
	rt := newResourceType("User", nil)
	rt.strictBooleans = true
	_, err := rt.parseFilter(`active eq "True"`)
	requireInvalidFilter(t, err, `active eq "True"`)
	f, err := rt.parseFilter(`active eq true`)
	require.NoError(t, err)
	assert.True(t, Match(f, &User{Active: fptr(true)}))
}

func TestGroupFilterNormalization(t *testing.T) {
	for in, want := range map[string]string{
		`members eq "42"`:                       `members.value eq "42"`,
		`MEMBERS[VALUE eq "42"].Display co "x"`: `members[value eq "42" and display co "x"]`,
		`DisplayName eq "x"`:                    `displayName eq "x"`,
	} {
		f, err := ParseGroupFilter(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, f.String())
	}
}

// TestOddExtensionSchemas covers schemas that applications may register:
// a complex attribute without sub-attributes, a singular complex one, and
// a multi-valued one of strings.
func TestOddExtensionSchemas(t *testing.T) {
	ext := &Schema{ID: "urn:example:odd:2.0:User", Attributes: []*Attribute{
		{Name: "empty", Type: TypeComplex},
		{Name: "badge", Type: TypeComplex, SubAttributes: []*Attribute{{Name: "id", CaseExact: true}, {Name: "issued", Type: TypeDateTime}}},
		{Name: "codes", MultiValued: true, Type: TypeInteger},
	}}
	rt := newResourceType("User", []*Schema{ext})
	const p = "urn:example:odd:2.0:User:"
	for _, s := range []string{p + `empty eq "x"`, p + `empty[x eq "y"]`, p + `empty[urn:a:b eq "y"]`, p + `badge eq "x"`,
		p + `badge gt "x"`, p + `codes co 1`} {
		_, err := rt.parseFilter(s)
		requireInvalidFilter(t, err, s)
	}
	_, err := rt.parseSortBy(p + "empty")
	require.Error(t, err)

	u := &User{Extensions: Extensions{ext.ID: {
		"badge": map[string]any{"id": "B1", "issued": "2020-05-01T00:00:00Z"},
		"codes": []any{json.Number("3"), json.Number("7")},
	}}}
	for s, want := range map[string]bool{
		p + `badge pr`:         true,
		p + `empty pr`:         false,
		p + `badge.id eq "B1"`: true,
		p + `badge.id eq "b1"`: false,
		p + `badge[id eq "B1" and issued lt "2021-01-01T00:00:00Z"]`: true,
		p + `badge[id eq "B1" and issued gt "2021-01-01T00:00:00Z"]`: false,
		p + `codes eq 7`: true,
		p + `codes gt 7`: false,
		p + `codes ne 3`: false,
		p + `codes pr`:   true,
	} {
		f, err := rt.parseFilter(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, Match(f, u), s)
	}
	us := []*User{{ID: "2", Extensions: Extensions{ext.ID: {"codes": []any{json.Number("9")}}}}, {ID: "1"}, u}
	sortDefault(us, p+"codes", false)
	assert.Equal(t, []string{"", "2", "1"}, userIDs(us), "unknown to the default schemas: sorted by first value (3 < 9), missing last")
}
