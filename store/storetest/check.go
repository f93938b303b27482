package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The suite checks with the small part of testify's require and assert it
// needs, written here, so that an application that runs it in its tests
// does not get testify in its go.mod. require stops the test at the first
// failed check, assert records it and goes on; both take an optional
// message, a format and its arguments, as testify's do.
var (
	require = checker{stop: true}
	assert  = checker{}
)

type checker struct{ stop bool }

func (c checker) fail(t testing.TB, what string, msgAndArgs []any) bool {
	t.Helper()
	if msg := message(msgAndArgs); msg != "" {
		what = msg + ":\n" + what
	}
	if c.stop {
		t.Fatal(what)
	}
	t.Error(what)
	return false
}

func message(msgAndArgs []any) string {
	switch {
	case len(msgAndArgs) == 0:
		return ""
	case len(msgAndArgs) == 1:
		return fmt.Sprint(msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}

// show renders a value for a failure message: as indented JSON when it has
// pointers or structs (which %v would print as addresses), else with %#v.
func show(v any) string {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Map:
		if b, err := json.MarshalIndent(v, "", "  "); err == nil {
			return fmt.Sprintf("%T %s", v, b)
		}
	}
	return fmt.Sprintf("%#v", v)
}

func equal(want, got any) bool {
	if w, ok := want.([]byte); ok {
		g, ok := got.([]byte)
		return ok && string(w) == string(g)
	}
	return reflect.DeepEqual(want, got)
}

func (c checker) Equal(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if equal(want, got) {
		return true
	}
	return c.fail(t, "want: "+show(want)+"\n got: "+show(got), msgAndArgs)
}

func (c checker) NotEqual(t testing.TB, notWant, got any, msgAndArgs ...any) bool {
	t.Helper()
	if !equal(notWant, got) {
		return true
	}
	return c.fail(t, "should not be: "+show(got), msgAndArgs)
}

func (c checker) True(t testing.TB, v bool, msgAndArgs ...any) bool {
	t.Helper()
	if v {
		return true
	}
	return c.fail(t, "should be true", msgAndArgs)
}

func (c checker) False(t testing.TB, v bool, msgAndArgs ...any) bool {
	t.Helper()
	if !v {
		return true
	}
	return c.fail(t, "should be false", msgAndArgs)
}

func (c checker) NoError(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return true
	}
	return c.fail(t, "unexpected error: "+err.Error(), msgAndArgs)
}

func (c checker) ErrorIs(t testing.TB, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	if errors.Is(err, target) {
		return true
	}
	return c.fail(t, fmt.Sprintf("error %v does not wrap %v", err, target), msgAndArgs)
}

func (c checker) ErrorAs(t testing.TB, err error, target any, msgAndArgs ...any) bool {
	t.Helper()
	if errors.As(err, target) {
		return true
	}
	return c.fail(t, fmt.Sprintf("error %v has no %s in its chain", err, reflect.TypeOf(target).Elem()), msgAndArgs)
}

// empty reports what testify calls empty: nil, a zero value, an empty
// slice, map, string or channel, or a pointer to an empty value.
func empty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Chan, reflect.String, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer:
		return rv.IsNil() || empty(rv.Elem().Interface())
	}
	return rv.IsZero()
}

func (c checker) Empty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if empty(v) {
		return true
	}
	return c.fail(t, "should be empty: "+show(v), msgAndArgs)
}

func (c checker) NotEmpty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if !empty(v) {
		return true
	}
	return c.fail(t, fmt.Sprintf("should not be empty: %#v", v), msgAndArgs)
}

func (c checker) Zero(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v == nil || reflect.ValueOf(v).IsZero() {
		return true
	}
	return c.fail(t, "should be zero: "+show(v), msgAndArgs)
}

func (c checker) NotNil(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v != nil {
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
			if !rv.IsNil() {
				return true
			}
		default:
			return true
		}
	}
	return c.fail(t, "should not be nil", msgAndArgs)
}

func (c checker) Len(t testing.TB, v any, n int, msgAndArgs ...any) bool {
	t.Helper()
	if got := reflect.ValueOf(v).Len(); got != n {
		return c.fail(t, fmt.Sprintf("has %d elements, want %d: %s", got, n, show(v)), msgAndArgs)
	}
	return true
}

// ElementsMatch reports whether two lists hold the same elements, each as
// many times, in any order.
func (c checker) ElementsMatch(t testing.TB, a, b any, msgAndArgs ...any) bool {
	t.Helper()
	if empty(a) && empty(b) {
		return true
	}
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	if av.Kind() == reflect.Slice && bv.Kind() == reflect.Slice && av.Len() == bv.Len() {
		used := make([]bool, bv.Len())
		matched := 0
		for i := range av.Len() {
			for j := range bv.Len() {
				if !used[j] && equal(av.Index(i).Interface(), bv.Index(j).Interface()) {
					used[j] = true
					matched++
					break
				}
			}
		}
		if matched == av.Len() {
			return true
		}
	}
	return c.fail(t, "the lists differ, in any order:\nwant: "+show(a)+"\n got: "+show(b), msgAndArgs)
}

// contains reports whether list (a string or a slice) holds elem.
func contains(list, elem any) bool {
	if s, ok := list.(string); ok {
		e, ok := elem.(string)
		return ok && strings.Contains(s, e)
	}
	lv := reflect.ValueOf(list)
	for i := range lv.Len() {
		if equal(lv.Index(i).Interface(), elem) {
			return true
		}
	}
	return false
}

func (c checker) Contains(t testing.TB, list, elem any, msgAndArgs ...any) bool {
	t.Helper()
	if contains(list, elem) {
		return true
	}
	return c.fail(t, fmt.Sprintf("%s does not contain %#v", show(list), elem), msgAndArgs)
}

func (c checker) NotContains(t testing.TB, list, elem any, msgAndArgs ...any) bool {
	t.Helper()
	if !contains(list, elem) {
		return true
	}
	return c.fail(t, fmt.Sprintf("%s contains %#v", show(list), elem), msgAndArgs)
}

func (c checker) WithinRange(t testing.TB, v, start, end time.Time, msgAndArgs ...any) bool {
	t.Helper()
	if !v.Before(start) && !v.After(end) {
		return true
	}
	return c.fail(t, fmt.Sprintf("%v is not within %v and %v", v, start, end), msgAndArgs)
}
