package console

import "testing"

func TestBreakableEscapesAndBreaksBetweenParts(t *testing.T) {
	for in, want := range map[string]string{
		"grace.hopper@acme.example":           "grace<wbr>.hopper@<wbr>acme<wbr>.example",
		`"><img src=x onerror=alert(1)>@x.io`: "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;@<wbr>x<wbr>.io",
		"<script>":                            "&lt;script&gt;",
		".a..b@":                              ".a<wbr>.<wbr>.b@<wbr>",
		"":                                    "",
	} {
		if got := string(breakable(in)); got != want {
			t.Errorf("breakable(%q) = %q, want %q", in, got, want)
		}
	}
}
