package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/countersign/countersign/shared/bus"
)

// Replay republishes the DLQ entries sel names to their original
// subjects, each with its original headers and payload, a fresh
// Nats-Msg-Id and Cs-Replay-Of set to the entry id, and then rewrites the
// entry with ReplayedAt and ReplayResult. Entries already replayed are
// skipped unless sel.Force. A dry run only counts. A failed republish is
// counted in Result.Failed and leaves the entry as it was. It returns an
// error wrapping ErrInvalidSelection for a bad selection, or the error
// that stopped reading the DLQ.
func (s *Store) Replay(ctx context.Context, sel Selection) (Result, error) {
	if err := sel.validate(); err != nil {
		return Result{}, err
	}
	var (
		res     Result
		entries []stored
		err     error
	)
	if len(sel.IDs) > 0 {
		entries, res.NotFound, err = s.find(ctx, sel.IDs)
		entries, res.NotFound = sel.scope(entries, res.NotFound)
	} else {
		entries, res.Truncated, err = s.collect(ctx, sel.Filter, MaxReplay)
	}
	if err != nil {
		return Result{}, err
	}
	res.Matched = len(entries)
	for _, e := range entries {
		if e.ReplayedAt != nil && !sel.Force {
			res.Skipped++
			continue
		}
		if sel.DryRun {
			continue
		}
		if err := s.replayEntry(ctx, e); err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed++
			s.metrics.replayed(sourceDLQ, resultFailed)
			s.log.Warn("dlq: replay failed", "id", e.ID, "subject", e.Subject, "err", err)
			continue
		}
		res.Replayed++
		s.metrics.replayed(sourceDLQ, resultReplayed)
	}
	return res, nil
}

// replayEntry republishes e and records it in the DLQ.
func (s *Store) replayEntry(ctx context.Context, e stored) error {
	msg := &nats.Msg{
		Subject: e.Subject,
		Header:  replayHeaders(e.Header, e.ID, "replay-"+e.ID+"-"+nuid.Next()),
		Data:    e.Payload,
	}
	ack, err := s.js.PublishMsg(ctx, msg)
	if err != nil {
		return fmt.Errorf("dlq: republish %s to %s: %w", e.ID, e.Subject, err)
	}
	now := s.now().UTC()
	e.ReplayedAt = &now
	e.ReplayResult = "published to " + ack.Stream + " seq " + strconv.FormatUint(ack.Sequence, 10)
	if err := s.rewrite(ctx, e); err != nil {
		// The replay happened; only its record is missing. Say so rather
		// than count a failure that would invite a second replay.
		s.log.Error("dlq: replayed but not recorded", "id", e.ID, "result", e.ReplayResult, "err", err)
	}
	return nil
}

// rewrite publishes e's new version on its DLQ subject, then deletes the
// old copy. Publishing first means a crash in between leaves two copies
// (the later wins when read), never none.
func (s *Store) rewrite(ctx context.Context, e stored) error {
	data, err := json.Marshal(e.DeadLetter)
	if err != nil {
		return fmt.Errorf("dlq: encode entry %s: %w", e.ID, err)
	}
	msg := &nats.Msg{
		Subject: e.subject,
		Data:    data,
		Header: nats.Header{
			bus.HeaderMsgID:    {"dlq-replayed-" + e.ID + "-" + strconv.FormatUint(e.seq, 10)},
			bus.HeaderTenant:   {e.Tenant},
			bus.HeaderEnvelope: {e.EnvelopeID},
		},
	}
	if _, err := s.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("dlq: rewrite entry %s: %w", e.ID, err)
	}
	stream, err := s.js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return fmt.Errorf("dlq: stream %s: %w", bus.StreamDLQ, err)
	}
	if err := stream.DeleteMsg(ctx, e.seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("dlq: delete old copy of %s: %w", e.ID, err)
	}
	return nil
}

// ReplayRaw republishes the raw callbacks sel selects from RAW to their
// subjects (raw.<partition>.<tenant>.<provider>.<envelope>) with a fresh Nats-Msg-Id and
// Cs-Replay-Of "RAW-<seq>", so the verifier checks them again — after a
// fix to an adapter, say. Events that had already been applied are
// deduplicated downstream by their semantic ids. Callbacks that are
// themselves replays are skipped and not counted. It returns an error
// wrapping ErrInvalidSelection for a bad selection.
func (s *Store) ReplayRaw(ctx context.Context, sel RawSelection) (Result, error) {
	filter, until, err := sel.subjectFilter(s.now())
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = scan(ctx, s.js, bus.StreamRaw, filter, sel.Since, func(msg jetstream.Msg) (bool, error) {
		md, err := msg.Metadata()
		if err != nil {
			return false, fmt.Errorf("dlq: read %s: %w", bus.StreamRaw, err)
		}
		if md.Timestamp.After(until) {
			return false, nil
		}
		if msg.Headers().Get(bus.HeaderReplayOf) != "" {
			return true, nil
		}
		if res.Matched == MaxReplay {
			res.Truncated = true
			return false, nil
		}
		res.Matched++
		if sel.DryRun {
			return true, nil
		}
		replayOf := bus.StreamRaw + "-" + strconv.FormatUint(md.Sequence.Stream, 10)
		out := &nats.Msg{
			Subject: msg.Subject(),
			Header:  replayHeaders(msg.Headers(), replayOf, "replay-"+replayOf+"-"+nuid.Next()),
			Data:    msg.Data(),
		}
		if _, err := s.js.PublishMsg(ctx, out); err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			res.Failed++
			s.metrics.replayed(sourceRaw, resultFailed)
			s.log.Warn("dlq: raw replay failed", "seq", md.Sequence.Stream, "subject", msg.Subject(), "err", err)
			return true, nil
		}
		res.Replayed++
		s.metrics.replayed(sourceRaw, resultReplayed)
		return true, nil
	})
	return res, err
}
