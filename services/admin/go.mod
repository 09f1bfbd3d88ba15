module github.com/countersign/countersign/services/admin

go 1.26.0

require (
	github.com/countersign/countersign/shared v0.0.0
	github.com/nats-io/nats.go v1.55.0
	github.com/prometheus/client_golang v1.25.0
)

replace github.com/countersign/countersign/shared => ../../shared
