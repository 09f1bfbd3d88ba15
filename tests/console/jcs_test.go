package console

import (
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
)

// jcsCases are JSON documents whose canonical form is easy to get wrong:
// key order by UTF-16 code units (not bytes, not code points), escapes,
// number formatting (ES2015 Number::toString), nesting.
var jcsCases = []string{
	`{"b":1,"a":2,"A":3,"_":4,"é":5,"z":6,"€":7,"😀":8,"ﬀ":9}`,
	`{"n":[0,-0,1,-1,0.1,1e21,1e-7,123456789012345680000,5e-324,1.7976931348623157e308,100,1.5,-2.25e-10]}`,
	`{"s":"\u0000\u001f\"\\/\b\f\n\r\t<&>\u2028\u2029é😀x"}`,
	`{"nested":{"z":[{"b":true,"a":null},[],{}],"a":"x"},"arr":[3,2,1]}`,
	`{"seq":3,"prev_hash":"","hash":"x","detail":{"via":"provider","n":2},"recipient":{"id":"r<1>","email":"ünï@acme.example","state":"signed"}}`,
}

// randomJSON builds a random JSON value of the shapes ledger entries and
// their detail objects hold.
func randomJSON(r *rand.Rand, depth int) any {
	switch k := r.Intn(7); {
	case depth > 2 || k == 0:
		return randomString(r)
	case k == 1:
		return r.Intn(2) == 0
	case k == 2:
		return nil
	case k == 3:
		// Integers, fractions and extremes, kept to what float64 holds.
		switch r.Intn(3) {
		case 0:
			return float64(r.Int63n(1 << 53))
		case 1:
			return r.NormFloat64() * math.Pow(10, float64(r.Intn(40)-20))
		default:
			return float64(r.Intn(1000)) / 8
		}
	case k == 4:
		a := make([]any, r.Intn(4))
		for i := range a {
			a[i] = randomJSON(r, depth+1)
		}
		return a
	default:
		o := map[string]any{}
		for range r.Intn(6) {
			o[randomString(r)] = randomJSON(r, depth+1)
		}
		return o
	}
}

func randomString(r *rand.Rand) string {
	alphabet := []rune("aAzZ_-09 é€😀ﬀ\u0000\u001f\"\\/<&>\n\t\u2028ü")
	var b strings.Builder
	for range r.Intn(8) {
		b.WriteRune(alphabet[r.Intn(len(alphabet))])
	}
	return b.String()
}

// checkJCS compares the console's JavaScript JCS with Go's (the one the
// ledger is hashed with) on the fixed cases and on random documents: the
// page's verdict on a chain is only as good as this agreement.
func checkJCS(t *testing.T, p *page) {
	t.Helper()
	docs := append([]string(nil), jcsCases...)
	r := rand.New(rand.NewSource(7))
	for range 300 {
		b, err := json.Marshal(randomJSON(r, 0))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	in, _ := json.Marshal(docs)
	got := eval[[]string](p, "JS JCS", `JSON.parse(`+jsString(string(in))+`).map((d) => countersignVerify.jcs(JSON.parse(d)))`)
	if len(got) != len(docs) {
		t.Fatalf("JS JCS returned %d results for %d documents", len(got), len(docs))
	}
	for i, d := range docs {
		want, err := jcs.Transform([]byte(d))
		if err != nil {
			t.Fatalf("Go JCS of %s: %v", d, err)
		}
		if got[i] != string(want) {
			t.Errorf("JCS of %s:\n JS %s\n Go %s", d, got[i], want)
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
