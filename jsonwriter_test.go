package scim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireLikeJSON checks appendString(s) against encoding/json (without
// HTML escaping): the same bytes, except that appendString has always
// written \b and \f as \u0008 and \u000c, so for those only the decoded
// values are compared.
func requireLikeJSON(t *testing.T, s string, msgAndArgs ...any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(s))
	want := strings.TrimSuffix(buf.String(), "\n")
	got := string(appendString(nil, s))
	if !strings.ContainsAny(s, "\b\f") {
		require.Equal(t, want, got, msgAndArgs...)
		return
	}
	var w, g string
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g), msgAndArgs...)
	require.Equal(t, w, g, msgAndArgs...)
}

// TestAppendStringEveryByteEveryPosition puts every byte value at every
// offset of strings long enough for the word-at-a-time scan, so that a byte
// it failed to flag would show up as unescaped output.
func TestAppendStringEveryByteEveryPosition(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 16, 23} {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				s := string(b)
				requireLikeJSON(t, s, "byte %#x at %d of %d", c, pos, n)
			}
		}
	}
}

func TestMayNeedEscapeFlagsEveryByteThatNeedsIt(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			needs := c < 0x20 || c == '"' || c == '\\' || c >= 0x80
			if needs {
				require.True(t, mayNeedEscape(load64(string(b))), "byte %#x at %d", c, pos)
			}
		}
	}
	require.False(t, mayNeedEscape(load64("plain-id")))
	require.False(t, mayNeedEscape(load64("~~~~ !#[")))
}

func TestAppendStringMultiByte(t *testing.T) {
	for _, s := range []string{
		"Zoë Ångström <zoe@example.com>", "日本語のユーザー名です", "line\u2028sep\u2029x", "😀 emoji after eight bytes",
		"eight888\xffbad", "\"quoted\" and \\back\\", "tab\tnew\nline\rcr\x7fdel\bbs\fff",
	} {
		requireLikeJSON(t, s, s)
	}
}

func TestAppendTimeMatchesAppendFormat(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 29, 0, 14, 36, 530_000_000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("x", 3600)),
		time.Date(2026, 6, 1, 12, 0, 0, 100_000_000, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 1_000_000, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 999_999, time.UTC),
		time.Date(12345, 6, 1, 12, 0, 0, 0, time.UTC),
	} {
		want := `"` + tm.UTC().Format("2006-01-02T15:04:05.999Z07:00") + `"`
		if got := string(appendTime(nil, tm)); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestAppendStringEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          `"plain"`,
		`a"b\c`:          `"a\"b\\c"`,
		"tab\there\n":    `"tab\there\n"`,
		"\x01":           `"\u0001"`,
		"é and \u2028":   `"é and \u2028"`,
		"bad \xff utf-8": `"bad \ufffd utf-8"`,
	} {
		if got := string(appendString(nil, in)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
	}
}
