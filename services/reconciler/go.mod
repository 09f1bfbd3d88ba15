module github.com/countersign/countersign/services/reconciler

go 1.26.0

require github.com/countersign/countersign/shared v0.0.0

replace github.com/countersign/countersign/shared => ../../shared
