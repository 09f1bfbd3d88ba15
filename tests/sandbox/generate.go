package sandbox

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// Outcome shares of generated lifecycles; the rest stay unfinished.
const (
	shareCompleted = 0.50
	shareDeclined  = 0.10
	shareVoided    = 0.08
	shareExpired   = 0.08
	shareBounce    = 0.12
)

var firstNames = []string{"ada", "grace", "alan", "edsger", "barbara", "ken", "radia", "donald", "frances", "tony"}

// Generate returns n envelopes spread round-robin over kinds (all Kinds
// when kinds is empty) for tenant, each with a realistic lifecycle: sent,
// viewed, signed recipient by recipient and completed; or declined by one
// recipient, voided or expired part-way; or still unfinished (sent,
// delivered or partially signed). Some recipients bounce first. Ids follow
// each provider's format; a few Standard Webhooks ids carry ':' and '/' to
// exercise countersign's subject encoding. The same rng state yields the
// same envelopes and scripts; step times are placed in the three hours
// before now so that providers' "changed since" APIs find them.
func Generate(rng *rand.Rand, n int, kinds []string, tenant string) []*Envelope {
	if len(kinds) == 0 {
		kinds = Kinds
	}
	base := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	envs := make([]*Envelope, 0, n)
	for i := 0; i < n; i++ {
		kind := kinds[i%len(kinds)]
		e := &Envelope{Provider: kind, Tenant: tenant, ID: envelopeID(rng, kind)}
		nr := 1 + rng.Intn(3)
		for j := 0; j < nr; j++ {
			e.Recipients = append(e.Recipients, Recipient{
				ID:    recipientID(rng, kind, j),
				Email: fmt.Sprintf("%s.%d.%d@example.com", firstNames[rng.Intn(len(firstNames))], rng.Intn(10000), j),
			})
		}
		e.Script = lifecycle(rng, kind, nr, base.Add(time.Duration(rng.Intn(3600))*time.Second))
		e.Truth, _ = e.Fold(len(e.Script))
		envs = append(envs, e)
	}
	return envs
}

// lifecycle returns the script of one envelope with nr recipients who sign
// in order, starting at start.
func lifecycle(rng *rand.Rand, kind string, nr int, start time.Time) []Step {
	var steps []Step
	sec := start
	add := func(t envelope.Type, r int) {
		sec = sec.Add(time.Duration(1+rng.Intn(120)) * time.Second)
		// 100 ns resolution: DocuSign's seven fractional digits.
		frac := time.Duration(rng.Intn(10_000_000)) * 100 * time.Nanosecond
		steps = append(steps, Step{Type: t, Recipient: r, At: sec.Add(frac)})
	}
	sign := func(r int) {
		add(envelope.TypeDelivered, r)
		add(envelope.TypeRecipientSigned, r)
	}
	// progress signs some (never all) recipients, then maybe one more views.
	progress := func() {
		k := rng.Intn(nr)
		for r := 0; r < k; r++ {
			sign(r)
		}
		if rng.Intn(2) == 0 {
			add(envelope.TypeDelivered, k)
		}
	}
	add(envelope.TypeSent, -1)
	if hasBounce(kind) && rng.Float64() < shareBounce {
		add(envelope.TypeRecipientDeliveryFailed, rng.Intn(nr))
	}
	switch p := rng.Float64(); {
	case p < shareCompleted:
		for r := 0; r < nr; r++ {
			sign(r)
		}
		add(envelope.TypeCompleted, -1)
	case p < shareCompleted+shareDeclined:
		d := rng.Intn(nr)
		for r := 0; r < d; r++ {
			sign(r)
		}
		add(envelope.TypeDelivered, d)
		switch kind {
		case KindDocuSign:
			// Connect reports the decliner and the envelope separately.
			add(envelope.TypeRecipientDeclined, d)
			add(envelope.TypeDeclined, -1)
		case KindStandardWebhooks, KindPandaDoc:
			// document.declined has no recipient-level meaning in
			// countersign's mapping: the decliner is not reported.
			add(envelope.TypeDeclined, -1)
		default:
			// The decline callback names the decliner.
			add(envelope.TypeDeclined, d)
		}
	case p < shareCompleted+shareDeclined+shareVoided:
		progress()
		add(envelope.TypeVoided, -1)
	case p < shareCompleted+shareDeclined+shareVoided+shareExpired:
		progress()
		if kind == KindPandaDoc {
			// PandaDoc has no expired status: an expired document is voided.
			add(envelope.TypeVoided, -1)
		} else {
			add(envelope.TypeExpired, -1)
		}
	default:
		progress()
	}
	return steps
}

// hasBounce reports whether kind sends a callback when a recipient's email
// bounces (eSignAnyWhere and PandaDoc do not, so bounces are not generated
// for them).
func hasBounce(kind string) bool { return kind != KindESignAnyWhere && kind != KindPandaDoc }

const (
	hexDigits = "0123456789abcdef"
	alnum     = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b64url    = alnum + "-_"
)

func randString(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.Intn(len(alphabet))]
	}
	return string(b)
}

func guid(rng *rand.Rand) string {
	h := randString(rng, hexDigits, 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// envelopeID returns an envelope id in kind's format.
func envelopeID(rng *rand.Rand, kind string) string {
	switch kind {
	case KindDocuSign, KindESignAnyWhere:
		return guid(rng)
	case KindDropboxSign:
		return randString(rng, hexDigits, 40)
	case KindAdobeSign:
		return "CBJCHBCAABAA" + randString(rng, b64url, 32)
	case KindPandaDoc:
		return randString(rng, alnum, 22)
	default:
		switch rng.Intn(8) {
		case 0:
			return "contracts/2026:" + randString(rng, alnum, 10)
		case 1:
			return "urn:doc:" + randString(rng, alnum, 12) + "/v1"
		default:
			return "doc_" + randString(rng, alnum, 20)
		}
	}
}

// recipientID returns the provider's id of the j-th recipient, or "" when
// the provider names recipients by email only.
func recipientID(rng *rand.Rand, kind string, j int) string {
	switch kind {
	case KindDocuSign:
		return fmt.Sprint(j + 1)
	case KindDropboxSign:
		return randString(rng, hexDigits, 32)
	case KindStandardWebhooks:
		return "rcp_" + randString(rng, alnum, 16)
	default:
		return ""
	}
}
