package bus

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestGuardRefusesOversizedSubjects(t *testing.T) {
	js := Guard(nil)
	long := "state.acme." + strings.Repeat("x", MaxSubjectBytes)
	if _, err := js.PublishMsgAsync(&nats.Msg{Subject: long}); !errors.Is(err, ErrSubjectTooLong) || !IsPermanent(err) {
		t.Fatalf("PublishMsgAsync: %v, want a permanent ErrSubjectTooLong", err)
	}
	if _, err := js.PublishAsync(long, nil); !errors.Is(err, ErrSubjectTooLong) {
		t.Fatalf("PublishAsync: %v", err)
	}
	if _, err := js.Publish(t.Context(), long, nil); !errors.Is(err, ErrSubjectTooLong) {
		t.Fatalf("Publish: %v", err)
	}
	if _, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: long}); !errors.Is(err, ErrSubjectTooLong) {
		t.Fatalf("PublishMsg: %v", err)
	}
	if err := CheckSubject("state.acme.env-1"); err != nil {
		t.Fatalf("short subject: %v", err)
	}
	if strings.Contains(CheckSubject(long).Error(), "xxxx") {
		t.Fatal("error quotes the subject")
	}
}
