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

	// EndpointReconcile (reconciler) runs a reconciliation window now:
	// {"tenant","provider","since"} → {"tenant","provider","checked","drift","published"}.
	EndpointReconcile = "reconcile"
)
