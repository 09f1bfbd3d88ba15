package bus_test

import (
	"errors"
	"testing"

	"github.com/countersign/countersign/shared/bus"
)

func TestProviderAuthIsPermanentWithItsClass(t *testing.T) {
	cause := errors.New("HTTP 401")
	err := bus.ProviderAuth(cause)
	if !bus.IsPermanent(err) || bus.ErrorClass(err) != bus.ClassProviderAuth || !errors.Is(err, cause) {
		t.Fatalf("ProviderAuth: permanent %v, class %q, wraps %v", bus.IsPermanent(err), bus.ErrorClass(err), errors.Is(err, cause))
	}
	if bus.ProviderAuth(nil) != nil {
		t.Fatal("ProviderAuth(nil) != nil")
	}
}
