module github.com/countersign/countersign/tests

go 1.26.0

require github.com/countersign/countersign/shared v0.0.0

require (
	github.com/countersign/countersign/services/countersign v0.0.0
	github.com/countersign/countersign/services/countersignctl v0.0.0
	github.com/countersign/countersign/services/dmsexport v0.0.0
)

require (
	github.com/chromedp/chromedp v0.23.1
	github.com/gowebpki/jcs v1.0.2
)

require (
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
)
