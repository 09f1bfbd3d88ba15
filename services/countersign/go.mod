module github.com/countersign/countersign/services/countersign

go 1.26.0

require github.com/countersign/countersign/shared v0.0.0

replace github.com/countersign/countersign/shared => ../../shared

require (
	github.com/countersign/countersign/services/admin v0.0.0
	github.com/countersign/countersign/services/ingress v0.0.0
	github.com/countersign/countersign/services/reconciler v0.0.0
	github.com/countersign/countersign/services/statesync v0.0.0
	github.com/countersign/countersign/services/verifier v0.0.0
)

replace (
	github.com/countersign/countersign/services/admin => ../admin
	github.com/countersign/countersign/services/ingress => ../ingress
	github.com/countersign/countersign/services/reconciler => ../reconciler
	github.com/countersign/countersign/services/statesync => ../statesync
	github.com/countersign/countersign/services/verifier => ../verifier
)
