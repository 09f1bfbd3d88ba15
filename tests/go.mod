module github.com/countersign/countersign/tests

go 1.26.0

require github.com/countersign/countersign/shared v0.0.0

replace github.com/countersign/countersign/shared => ../shared

require (
	github.com/countersign/countersign/services/countersign v0.0.0
	github.com/countersign/countersign/services/countersignctl v0.0.0
)

replace (
	github.com/countersign/countersign/services/admin => ../services/admin
	github.com/countersign/countersign/services/countersign => ../services/countersign
	github.com/countersign/countersign/services/countersignctl => ../services/countersignctl
	github.com/countersign/countersign/services/ingress => ../services/ingress
	github.com/countersign/countersign/services/reconciler => ../services/reconciler
	github.com/countersign/countersign/services/statesync => ../services/statesync
	github.com/countersign/countersign/services/verifier => ../services/verifier
)
