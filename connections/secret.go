package connections

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"hash/crc32"
	"log/slog"
	"strings"
	"unsafe"
)

// The format of a secret, such as a token:
//
//	scimkit_tok_ckv5b3ohjgm2z7qa 4nd…(48 characters)…x2q jd5ahqa
//	└prefix┘└tag┘└─── id (16) ──┘└──── random (48) ────┘└ check (7) ┘
//
// (without the spaces). The id (80 random bits) names the credential's
// record, so a secret is checked with one lookup by primary key; the random
// part carries 240 bits from crypto/rand; the check is the CRC-32 of
// everything before it, so a secret mistyped or cut short when it was
// copied is refused without a database read. Every part after the prefix
// is lower-case base32 (a-z, 2-7), so a double-click selects the whole
// secret. Secret scanners match [SecretPattern].
const (
	// SecretPrefix starts every secret this package makes.
	SecretPrefix = "scimkit_"

	// SecretPattern is a regular expression (RE2 syntax, as package regexp
	// and most secret scanners take) that matches every secret this
	// package makes: tokens (tag tok), client secrets (cs) and access
	// tokens (at). Log redaction and secret scanning can use it.
	SecretPattern = `scimkit_(?:tok|cs|at)_[a-z2-7]{71}`

	idChars     = 16 // 10 bytes
	randomChars = 48 // 30 bytes
	checkChars  = 7  // 4 bytes
	bodyChars   = idChars + randomChars + checkChars
)

var (
	tagToken        = SecretPrefix + "tok_"
	tagClientSecret = SecretPrefix + "cs_"
	tagAccessToken  = SecretPrefix + "at_"
)

const alphabet = "abcdefghijklmnopqrstuvwxyz234567"

var b32 = base32.NewEncoding(alphabet).WithPadding(base32.NoPadding)

// tagOf returns the tag that starts the secrets of kind k.
func tagOf(k Kind) string {
	switch k {
	case KindClientSecret:
		return tagClientSecret
	case KindAccessToken:
		return tagAccessToken
	}
	return tagToken
}

// newID returns a random credential id: 16 base32 characters.
func newID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return b32.EncodeToString(b[:])
}

// newSecret returns a new secret of kind k, and its credential id.
func newSecret(k Kind) (secret, id string) {
	id = newID()
	var r [30]byte
	_, _ = rand.Read(r[:])
	s := tagOf(k) + id + b32.EncodeToString(r[:])
	var c [4]byte
	sum := crc32.ChecksumIEEE([]byte(s))
	c[0], c[1], c[2], c[3] = byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum)
	return s + b32.EncodeToString(c[:]), id
}

// parseSecret checks the format and check characters of s and returns the
// kind and credential id it names. It reads nothing and allocates only the
// id it returns.
func parseSecret(s string) (k Kind, id string, ok bool) {
	var body string
	switch {
	case strings.HasPrefix(s, tagToken):
		k, body = KindToken, s[len(tagToken):]
	case strings.HasPrefix(s, tagAccessToken):
		k, body = KindAccessToken, s[len(tagAccessToken):]
	case strings.HasPrefix(s, tagClientSecret):
		k, body = KindClientSecret, s[len(tagClientSecret):]
	default:
		return "", "", false
	}
	if len(body) != bodyChars {
		return "", "", false
	}
	// The id is checked character by character, as it is looked up; the
	// random part is left to the check, which any change to it fails
	// (and then to the hash).
	for i := 0; i < idChars; i++ {
		if b32value(body[i]) < 0 {
			return "", "", false
		}
	}
	// The check is the 32-bit CRC in 7 base32 digits (35 bits, the last 3
	// zero), as EncodeToString writes 4 bytes.
	var check uint64
	for i := len(s) - checkChars; i < len(s); i++ {
		v := b32value(s[i])
		if v < 0 {
			return "", "", false
		}
		check = check<<5 | uint64(v)
	}
	if check&7 != 0 || uint32(check>>3) != crcString(s[:len(s)-checkChars]) {
		return "", "", false
	}
	return k, body[:idChars], true
}

// stringBytes returns the bytes of s without copying them, for the hash
// functions below, which only read them: converting a secret to a []byte
// on every request would allocate, as both hash packages let their input
// escape.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// crcString returns the CRC-32 (IEEE) of s.
func crcString(s string) uint32 { return crc32.ChecksumIEEE(stringBytes(s)) }

// b32value returns the value of a base32 digit of alphabet, or -1.
func b32value(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return int(c - 'a')
	case '2' <= c && c <= '7':
		return int(c-'2') + 26
	}
	return -1
}

// hashSecret returns the SHA-256 of s.
func hashSecret(s string) Hash { return sha256.Sum256(stringBytes(s)) }

// Secret is a secret this package made: a token, client secret or access
// token. It exists only in the value returned when it was made; the store
// keeps its hash. Reveal returns it; every other way of printing it
// (fmt, log/slog, encoding/json) shows only its kind, as
// "scimkit_tok_[redacted]", so that it does not reach a log by accident.
type Secret struct{ s string }

// Reveal returns the secret, to be shown once to the person who created it
// or handed to the identity provider.
func (s Secret) Reveal() string { return s.s }

// String returns the secret's tag followed by "[redacted]".
func (s Secret) String() string {
	if i := strings.Index(s.s[min(len(s.s), len(SecretPrefix)):], "_"); i >= 0 {
		return s.s[:len(SecretPrefix)+i+1] + redacted
	}
	return redacted
}

// GoString returns what String returns.
func (s Secret) GoString() string { return s.String() }

// Format writes what String returns, for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue returns what String returns.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText returns what String returns: encoding a Secret as JSON or
// XML does not reveal it. Marshal Reveal's result to send it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
