package memstore_test

import (
	"context"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/provlog/provlogtest"
	"github.com/scimkit/scim/store/memstore"
)

func TestRequestLogConformance(t *testing.T) {
	provlogtest.Run(t, func(t *testing.T) provlog.Store { return memstore.NewRequestLog(100000) })
}

func TestRequestLogRingKeepsTheNewest(t *testing.T) {
	l := memstore.NewRequestLog(3)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if err := l.Write(context.Background(), []scim.RequestRecord{{RequestID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	if l.Len() != 3 {
		t.Fatalf("Len %d, want 3", l.Len())
	}
	p, err := l.Query(context.Background(), provlog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Records {
		got = append(got, r.RequestID)
	}
	if len(got) != 3 || got[0] != "e" || got[1] != "d" || got[2] != "c" {
		t.Fatalf("got %v, want [e d c]", got)
	}
}
