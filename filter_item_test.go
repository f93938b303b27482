package scim

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// itemFilter compiles the value filter of a PATCH path as the PATCH engine
// gets it from filter.ParsePath.
func itemFilter(t *testing.T, path string, attr *Attribute) (func(map[string]any) bool, error) {
	t.Helper()
	p, err := filter.ParsePath([]byte(path))
	require.NoError(t, err, path)
	return compileItemFilter(p.ValueExpression, attr)
}

func TestCompileItemFilter(t *testing.T) {
	emails := userSchema.Attr("emails")
	work := map[string]any{"type": "work", "value": "Alice@Example.com", "primary": true}
	home := map[string]any{"type": "home", "value": `a"b@home.org`}
	bare := map[string]any{"value": "x@y.z"}
	tests := []struct {
		path string
		want []bool // for work, home, bare
	}{
		{`emails[type eq "work"]`, []bool{true, false, false}},
		{`emails[TYPE EQ "WORK"]`, []bool{true, false, false}},
		{`emails[type ne "work"]`, []bool{false, true, true}},
		{`emails[type pr]`, []bool{true, true, false}},
		{`emails[not (type pr)]`, []bool{false, false, true}},
		{`emails[value co "example"]`, []bool{true, false, false}},
		{`emails[value eq "a\"b@home.org"]`, []bool{false, true, false}},
		{`emails[value ew ".ORG"]`, []bool{false, true, false}},
		{`emails[primary eq true]`, []bool{true, false, false}},
		{`emails[primary eq "True"]`, []bool{true, false, false}},
		{`emails[type eq "work" or value sw "x"]`, []bool{true, false, true}},
		{`emails[type eq null]`, []bool{false, false, true}},
		{`emails[value gt "b"]`, []bool{false, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := itemFilter(t, tt.path, emails)
			require.NoError(t, err)
			assert.Equal(t, tt.want, []bool{p(work), p(home), p(bare)})
		})
	}
}

func TestCompileItemFilterMembersAndNumbers(t *testing.T) {
	members := groupSchema.Attr("members")
	p, err := itemFilter(t, `members[value eq "2819c223"]`, members)
	require.NoError(t, err)
	assert.True(t, p(map[string]any{"value": "2819c223", "type": "User"}))
	assert.False(t, p(map[string]any{"value": "other"}))
	assert.False(t, p(nil))

	// Numbers as filter.ParsePath gives them (int, float64) and as items
	// hold them (json.Number).
	scores := &Attribute{Name: "scores", Type: TypeComplex, MultiValued: true, SubAttributes: []*Attribute{
		{Name: "n", Type: TypeInteger}, {Name: "d", Type: TypeDecimal}, {Name: "at", Type: TypeDateTime},
	}}
	item := map[string]any{"n": json.Number("3"), "d": json.Number("2.5"), "at": "2020-01-01T00:00:00Z"}
	for path, want := range map[string]bool{
		`scores[n eq 3]`:   true,
		`scores[n gt 3]`:   false,
		`scores[n le 3.0]`: true,
		`scores[d gt 2]`:   true,
		`scores[d lt 2.5]`: false,
		`scores[at lt "2020-01-01T01:00:00+00:30"]`: true,
		`scores[at gt "2020-01-01T01:00:00+00:30"]`: false,
	} {
		p, err := itemFilter(t, path, scores)
		require.NoError(t, err, path)
		assert.Equal(t, want, p(item), path)
	}
}

func TestCompileItemFilterErrors(t *testing.T) {
	emails := userSchema.Attr("emails")
	scimType := func(err error) string {
		var se *Error
		require.True(t, errors.As(err, &se), "%v", err)
		assert.Equal(t, 400, se.Status)
		return se.ScimType
	}
	_, err := itemFilter(t, `emails[foo eq "x"]`, emails)
	assert.Equal(t, ScimTypeInvalidPath, scimType(err))
	_, err = itemFilter(t, `emails[primary eq "yes"]`, emails)
	assert.Equal(t, ScimTypeInvalidFilter, scimType(err))
	_, err = itemFilter(t, `emails[type gt true]`, emails)
	assert.Equal(t, ScimTypeInvalidFilter, scimType(err))
	_, err = compileItemFilter(&filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "type"}, Operator: "eq", CompareValue: `\q`}, emails)
	assert.Equal(t, ScimTypeInvalidFilter, scimType(err))
	_, err = compileItemFilter(nil, emails)
	assert.Equal(t, ScimTypeInvalidFilter, scimType(err))
	_, err = compileItemFilter((*filter.AttributeExpression)(nil), emails)
	assert.Equal(t, ScimTypeInvalidFilter, scimType(err))
	_, err = itemFilter(t, `userName[type eq "x"]`, userSchema.Attr("userName"))
	assert.Equal(t, ScimTypeInvalidPath, scimType(err))
}

// TestCompileItemFilterOnPatchPaths checks that compileItemFilter accepts
// the trees of the PATCH engine's own path parser (raw string escapes,
// json.Number numbers).
func TestCompileItemFilterOnPatchPaths(t *testing.T) {
	emails := userSchema.Attr("emails")
	items := []map[string]any{
		{"type": "work", "value": "Alice@Example.com", "primary": true},
		{"type": "home", "value": `a"b@home.org`},
		{"value": "x@y.z"},
	}
	for path, want := range map[string][]bool{
		`emails[type eq "work"]`:                                   {true, false, false},
		`emails[Type EQ "WORK"]`:                                   {true, false, false},
		`emails[type ne "work"]`:                                   {false, true, true},
		`emails[value eq "a\"b@home.org"]`:                         {false, true, false},
		`emails[value co "EXAMPLE" and primary eq true]`:           {true, false, false},
		`emails[not (type eq "home") and value ew ".com"]`:         {true, false, false},
		`emails[type eq "work" or type eq "home" or value sw "x"]`: {true, true, true},
		`emails[value gt "b"]`:                                     {false, false, true},
	} {
		p, ok := parsePatchPath(path)
		require.True(t, ok, path)
		match, err := compileItemFilter(p.ValueExpression, emails)
		require.NoError(t, err, path)
		assert.Equal(t, want, []bool{match(items[0]), match(items[1]), match(items[2])}, path)
	}
}
