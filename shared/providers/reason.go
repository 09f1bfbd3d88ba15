package providers

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
)

// Reason describes why a body could not be decoded without quoting any of
// it: decoder errors often carry the offending value (a time string, a URL
// escape, a JSON number), and what ends up in a log line or a DLQ entry's
// error must name the field and the reason, never the content. Errors it
// does not know are described as "unreadable".
func Reason(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var esc url.EscapeError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &syntax):
		return "invalid JSON at byte " + strconv.FormatInt(syntax.Offset, 10)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return field + ": wrong JSON type (want " + typ.Type.String() + ")"
	case errors.As(err, &esc):
		return "invalid URL escape"
	default:
		return "unreadable"
	}
}
