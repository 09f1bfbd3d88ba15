module github.com/countersign/countersign/services/countersignctl

go 1.26.0

require github.com/countersign/countersign/shared v0.0.0

require github.com/gowebpki/jcs v1.0.2 // indirect
