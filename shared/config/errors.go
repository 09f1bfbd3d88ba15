package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

var (
	// ErrSyntax is returned (wrapped) when the file is not valid YAML.
	ErrSyntax = errors.New("config: syntax error")
	// ErrUnknownField is returned (wrapped) for a key the config format
	// does not have: a typo must not silently drop a setting.
	ErrUnknownField = errors.New("config: unknown field")
	// ErrSecret is returned (wrapped) when a secret reference (env:NAME,
	// file:PATH) cannot be resolved.
	ErrSecret = errors.New("config: unresolved secret")
	// ErrInvalid is returned (wrapped) for a value of the wrong type or one
	// that fails validation.
	ErrInvalid = errors.New("config: invalid value")
)

// FieldError is one problem with one field of a config file. Its message
// is "<file>: <path>: <problem> (line N)" and never contains a secret.
type FieldError struct {
	// File is the config file's path as given to Load or Parse.
	File string
	// Path is the field, e.g. "tenants[0].providers[1].secrets[0]"; empty
	// for problems with the whole file.
	Path string
	// Line is the 1-based line of the field in the file, 0 when unknown.
	Line int
	// Problem says what is wrong, for people.
	Problem string
	// Err is the cause: one of ErrSyntax, ErrUnknownField, ErrSecret or
	// ErrInvalid, possibly wrapping a lower-level error (os.ErrNotExist).
	Err error
}

// Error formats the problem with its file, field and line.
func (e *FieldError) Error() string {
	msg := e.File + ": "
	if e.Path != "" {
		msg += e.Path + ": "
	}
	msg += e.Problem
	if e.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", e.Line)
	}
	return msg
}

// Unwrap returns the cause, so errors.Is(err, ErrUnknownField) works.
func (e *FieldError) Unwrap() error { return e.Err }

// problems collects FieldErrors for one file, so that a single run reports
// everything that is wrong rather than the first thing.
type problems struct {
	file string
	errs []error
}

// maxProblems caps the report: past it, more lines help nobody and a
// hostile file could make the message huge.
const maxProblems = 100

func (p *problems) add(sentinel error, path string, line int, format string, args ...any) {
	if len(p.errs) >= maxProblems {
		return
	}
	p.errs = append(p.errs, &FieldError{
		File:    p.file,
		Path:    path,
		Line:    line,
		Problem: fmt.Sprintf(format, args...),
		Err:     sentinel,
	})
}

// addErr records cause (whose message must be secret-free) as the problem,
// keeping its chain under the sentinel.
func (p *problems) addErr(sentinel error, path string, line int, cause error) {
	if len(p.errs) >= maxProblems {
		return
	}
	p.errs = append(p.errs, &FieldError{
		File:    p.file,
		Path:    path,
		Line:    line,
		Problem: cause.Error(),
		Err:     fmt.Errorf("%w: %w", sentinel, cause),
	})
}

// err joins the problems in the order of the file, which is the order a
// person fixes them in.
func (p *problems) err() error {
	slices.SortStableFunc(p.errs, func(a, b error) int {
		return cmp.Compare(a.(*FieldError).Line, b.(*FieldError).Line)
	})
	return errors.Join(p.errs...)
}
