package bus

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Message schedule headers (nats-server ≥ 2.12).
const (
	// HeaderSchedule holds "@at <RFC 3339 time>" for a one-shot schedule.
	HeaderSchedule = "Nats-Schedule"
	// HeaderScheduleTarget is the subject the server stores the fired
	// message on; it must belong to the same stream.
	HeaderScheduleTarget = "Nats-Schedule-Target"
	// HeaderScheduler is set by the server on a fired message: the
	// subject of the schedule that fired it.
	HeaderScheduler = "Nats-Scheduler"
)

// TimerSubject returns the subject of one durable timer:
// timer.<tenant>.<envelope token>.<recipient token>.<kind>.<n>. Each
// subject holds at most one schedule, so every timer has its own.
func TimerSubject(tenant, envelopeToken, recipientToken, kind string, n int) string {
	return "timer." + safeToken(tenant) + "." + safeToken(envelopeToken) + "." +
		safeToken(recipientToken) + "." + safeToken(kind) + "." + strconv.Itoa(n)
}

// TimerFilter returns the subject filter of every timer of an envelope
// (recipientToken "") or of one recipient in it.
func TimerFilter(tenant, envelopeToken, recipientToken string) string {
	f := "timer." + safeToken(tenant) + "." + safeToken(envelopeToken) + "."
	if recipientToken == "" {
		return f + ">"
	}
	return f + safeToken(recipientToken) + ".>"
}

// FiredSubject is the NOTIFY work subject a timer's schedule fires onto:
// notify.<timer subject>.
func FiredSubject(timerSubject string) string { return "notify." + timerSubject }

// ScheduleTimer stores a one-shot schedule on subject (a TimerSubject) in
// NOTIFY: at at, the server stores body and hdr on FiredSubject(subject)
// and purges the schedule in the same write. A later schedule on the same
// subject replaces it (roll-up). msgID dedupes a repeated publish within
// the stream's duplicate window; the fired message carries no msg id.
func ScheduleTimer(ctx context.Context, js jetstream.JetStream, subject string, at time.Time, body []byte, hdr nats.Header, msgID string) error {
	msg := nats.NewMsg(subject)
	msg.Data = body
	for k, vs := range hdr {
		for _, v := range vs {
			msg.Header.Add(k, v)
		}
	}
	msg.Header.Set(HeaderSchedule, "@at "+at.UTC().Format(time.RFC3339Nano))
	msg.Header.Set(HeaderScheduleTarget, FiredSubject(subject))
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	if _, err := js.PublishMsg(ctx, msg, opts...); err != nil {
		return fmt.Errorf("bus: schedule timer %s: %w", subject, err)
	}
	return nil
}

// CancelTimers purges every pending schedule matching filter (a
// TimerSubject or a TimerFilter). A timer that already fired is a job on
// its fired subject, untouched: its handler checks whether it still applies.
func CancelTimers(ctx context.Context, js jetstream.JetStream, filter string) error {
	s, err := js.Stream(ctx, StreamNotify)
	if err != nil {
		return fmt.Errorf("bus: cancel timers %s: %w", filter, err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject(filter)); err != nil {
		return fmt.Errorf("bus: cancel timers %s: %w", filter, err)
	}
	return nil
}
