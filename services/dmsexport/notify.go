package dmsexport

import (
	"context"
	"strconv"

	"github.com/countersign/countersign/shared/notify"
)

// notifyFailed sends countersign.export_failed to the tenant's channels
// that want it (config notify.channels), through the NOTIFY queue: the
// notifier delivers it with retries. The id is the envelope's and the
// run's, so a failure reported twice is one notification.
func (s *Service) notifyFailed(ctx context.Context, r Record) {
	tn := s.tenant(r.Tenant)
	if tn == nil || len(tn.channels) == 0 {
		return
	}
	n := notify.Notification{
		ID:        notify.ID(r.Tenant, r.EnvelopeID, notify.TypeExportFailed, strconv.Itoa(r.Run)),
		Type:      notify.TypeExportFailed,
		Timestamp: s.cfg.Now().UTC(),
		Data:      notify.Data{Tenant: r.Tenant, Provider: r.Provider, EnvelopeID: r.EnvelopeID, Reason: r.Error},
	}
	if _, err := notify.Enqueue(ctx, s.cfg.JS, tn.channels, n); err != nil {
		s.log.Error("export_failed notification not queued", "tenant", r.Tenant, "envelope", r.EnvelopeID, "err", err)
	}
}
