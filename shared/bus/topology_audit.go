package bus

// StreamAudit is the admin audit trail (shared/audit): one record per
// operate action, on audit.<tenant> ("audit._" for actions that name no
// tenant). It keeps history as long as the DLQ does.
const StreamAudit = "AUDIT"

// StreamAuditSubjects is AUDIT's subject filter.
const StreamAuditSubjects = "audit.>"

// AuditSubject returns the AUDIT subject of an action on tenant.
func AuditSubject(tenant string) string { return "audit." + safeToken(tenant) }
