module github.com/countersign/countersign/services/statesync

go 1.26.0

require (
	github.com/countersign/countersign/shared v0.0.0
	github.com/hashicorp/golang-lru/v2 v2.0.7
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/nats-io/nats.go v1.55.0 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
