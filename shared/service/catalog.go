package service

// The services and request endpoints of countersign. A caller names them
// from here and never imports the service's package, so the same call
// works whether the service runs in its process or in another one.
const (
	Ingress    = "ingress"
	Verifier   = "verifier"
	Statesync  = "statesync"
	Reconciler = "reconciler"
	Admin      = "admin"
	DMSExport  = "dmsexport"
	Notifier   = "notifier"

	// EndpointReconcile (reconciler) runs a reconciliation window now:
	// {"tenant","provider","since"} → {"tenant","provider","checked","drift","published"}.
	EndpointReconcile = "reconcile"

	// EndpointExportStatus (dmsexport) answers an envelope's export:
	// {"tenant","envelope_id"} → exportapi.Status; 404 when there is none.
	EndpointExportStatus = "export_status"
	// EndpointExport (dmsexport) exports an envelope (again): same
	// request, answers the Status of the queued export.
	EndpointExport = "export"

	// EndpointNotifyResume (notifier) lifts a tenant's reminder pause:
	// {"tenant"} → {"tenant","resumed","was_paused"}.
	EndpointNotifyResume = "resume"
	// EndpointNotifyStatus (notifier) reports a tenant's playbook: pause,
	// bounce and expiry rates, pending timers: {"tenant"} → {…}.
	EndpointNotifyStatus = "status"
)
