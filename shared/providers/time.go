package providers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the shapes provider timestamps come in: RFC 3339 with any
// number of fractional digits (DocuSign sends seven), numeric offsets
// without a colon (seen from Adobe Sign), and no zone at all (read as UTC).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
}

// ParseTime reads a provider timestamp. It returns an error wrapping
// ErrMalformed when s fits none of the accepted layouts.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: timestamp fits no accepted layout", ErrMalformed)
}

// ParseUnix reads a decimal count of seconds since the epoch: 1 to 19
// ASCII digits and nothing else — no sign, no spaces, no leading "+"
// (strconv would take "+1796180636", and a signed text must mean one
// thing). It returns an error wrapping ErrMalformed otherwise, naming the
// reason but never the value.
func ParseUnix(s string) (time.Time, error) {
	n, ok := UnixSeconds(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: timestamp is not unix seconds (digits only)", ErrMalformed)
	}
	return time.Unix(n, 0).UTC(), nil
}

// UnixSeconds parses s when it is 1 to 19 ASCII digits and fits an int64.
func UnixSeconds(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
