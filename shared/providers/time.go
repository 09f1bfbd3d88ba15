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
	return time.Time{}, fmt.Errorf("%w: bad timestamp %q", ErrMalformed, s)
}

// ParseUnix reads a decimal count of seconds since the epoch. It returns an
// error wrapping ErrMalformed when s is not one.
func ParseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: bad unix timestamp %q", ErrMalformed, s)
	}
	return time.Unix(n, 0).UTC(), nil
}
