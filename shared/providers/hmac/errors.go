package hmac

import "errors"

var (
	// ErrBadPointer is returned (wrapped) by ParsePointer for a string that
	// is not an RFC 6901 JSON pointer.
	ErrBadPointer = errors.New("not a JSON pointer")
	// ErrBadTemplate is returned (wrapped) by ParseTemplate for a signed
	// content template it cannot read.
	ErrBadTemplate = errors.New("bad signed-content template")
	// ErrBadSpec is returned (wrapped, joined per problem) by New when the
	// spec does not describe a working provider; each problem is a
	// *Problem naming the field.
	ErrBadSpec = errors.New("hmac: invalid provider spec")
)

// Problem is one invalid field of a Spec. Field is its path below the
// provider ("events.type", "secrets[1]"), as written in the config file.
type Problem struct {
	Field   string
	Message string
}

// Error returns "<field>: <message>".
func (p *Problem) Error() string { return p.Field + ": " + p.Message }

// Unwrap returns ErrBadSpec.
func (p *Problem) Unwrap() error { return ErrBadSpec }
