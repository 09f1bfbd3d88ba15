package countersignctl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseWhen reads a time flag: RFC 3339, or a duration back from now
// ("90m", "6h", "7d"). The result is RFC 3339 in UTC, as the API wants.
func parseWhen(flagName, s string, now time.Time) (string, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	d, err := parseAgo(s)
	if err != nil || d < 0 {
		return "", fmt.Errorf("%w: --%s %q: want RFC 3339 (2026-11-22T07:00:00Z) or a duration back from now (90m, 6h, 7d)",
			ErrUsage, flagName, s)
	}
	return now.Add(-d).UTC().Format(time.RFC3339Nano), nil
}

// parseAgo is time.ParseDuration plus whole days ("7d").
func parseAgo(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
