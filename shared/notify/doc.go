// Package notify sends countersign's notifications (countersign.reminder_due,
// countersign.escalation, countersign.expiry_warning,
// countersign.export_failed, countersign.playbook_paused) to a tenant's
// channels: a Standard Webhooks–signed POST or an email over SMTP.
//
// A notification is never sent inline. Enqueue writes one job per channel
// that wants it to the NOTIFY work queue, with a Nats-Msg-Id derived from
// the notification's stable id; the notifier's worker runs Deliver on each,
// so a failing channel is retried with backoff and dead-lettered on its own
// while the others are done. The notification id is the webhook-id and the
// email Message-ID, so a redelivered job is recognisable by its receiver.
package notify
