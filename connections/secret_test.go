package connections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestCRCString(t *testing.T) {
	for _, s := range []string{"", "a", "scimkit_tok_abcdefghijklmnop", string(make([]byte, 300))} {
		if got, want := crcString(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Errorf("crcString(%q) = %x, want %x", s, got, want)
		}
	}
}

func TestSecretFormat(t *testing.T) {
	pattern := regexp.MustCompile(`^` + SecretPattern + `$`)
	for _, k := range []Kind{KindToken, KindClientSecret, KindAccessToken} {
		seen := map[string]bool{}
		for range 50 {
			s, id := newSecret(k)
			if !pattern.MatchString(s) {
				t.Fatalf("%s does not match SecretPattern", s)
			}
			gotKind, gotID, ok := parseSecret(s)
			if !ok || gotKind != k || gotID != id {
				t.Fatalf("parseSecret(%s) = %q, %q, %v; want %q, %q", s, gotKind, gotID, ok, k, id)
			}
			if seen[s] || seen[id] {
				t.Fatalf("a secret or id came twice")
			}
			seen[s], seen[id] = true, true
		}
	}
}

// Every single-character typo and every swap of two neighbouring
// characters is refused by the check alone, as is any change of length.
func TestParseSecretRefusesTypos(t *testing.T) {
	s, _ := newSecret(KindToken)
	for i := range len(s) {
		for _, c := range []byte("abcdefghijklmnopqrstuvwxyz234567_AZ0189-") {
			if c == s[i] {
				continue
			}
			typo := s[:i] + string(c) + s[i+1:]
			if _, _, ok := parseSecret(typo); ok {
				t.Fatalf("typo at %d (%q) accepted: %s", i, c, typo)
			}
		}
		if i+1 < len(s) && s[i] != s[i+1] {
			swapped := s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]
			if _, _, ok := parseSecret(swapped); ok {
				t.Fatalf("swap at %d accepted", i)
			}
		}
	}
	for _, bad := range []string{"", s[:len(s)-1], s + "a", " " + s, strings.ToUpper(s), "scimkit_xx_" + s[len(tagToken):],
		tagToken + strings.Repeat("a", bodyChars)} {
		if _, _, ok := parseSecret(bad); ok {
			t.Errorf("parseSecret(%q) accepted", bad)
		}
	}
}

// A Secret or Hash printed, logged or marshalled by accident shows nothing
// of the secret.
func TestSecretAndHashRedacted(t *testing.T) {
	raw, _ := newSecret(KindClientSecret)
	sec := Secret{raw}
	h := hashSecret(raw)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("issued", "secret", sec, "hash", h)
	logger.Info("issued", "cred", &Credential{ID: "x", Hash: h})
	logger.Info("issued", "issued", Issued{Credential: &Credential{Hash: h}, Secret: sec})
	jsonOut, err := json.Marshal(map[string]any{"s": sec, "h": h, "c": Credential{Hash: h}, "i": Issued{Credential: &Credential{Hash: h}, Secret: sec}})
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join([]string{
		fmt.Sprint(sec), fmt.Sprintf("%v %+v %#v %s %q %x %X", sec, sec, sec, sec, sec, sec, sec),
		fmt.Sprint(h), fmt.Sprintf("%v %+v %#v %s %q %x %X", h, h, h, h, h, h, h),
		fmt.Sprintf("%v %+v", Credential{Hash: h}, &Credential{Hash: h}),
		fmt.Sprintf("%v %+v %#v", Issued{Secret: sec}, &Issued{Secret: sec}, Issued{Secret: sec}),
		logs.String(), string(jsonOut),
	}, "\n")
	hexHash := fmt.Sprintf("%x", [32]byte(h))
	for _, leak := range []string{raw, raw[len(tagClientSecret):], raw[len(tagClientSecret)+idChars:], hexHash, hexHash[:16], string(h[:8])} {
		if strings.Contains(out, leak) {
			t.Fatalf("%q leaked in:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "scimkit_cs_[redacted]") {
		t.Errorf("the redacted form names the kind:\n%s", out)
	}
	if sec.Reveal() != raw {
		t.Error("Reveal returns the secret")
	}
}
