package config

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseExportTarget(t *testing.T) {
	ok := []struct {
		raw  string
		want ExportTarget
	}{
		{"", ExportTarget{Scheme: SchemeNATSObject, Bucket: "exports"}},
		{"nats-object://dms_1", ExportTarget{Scheme: SchemeNATSObject, Bucket: "dms_1"}},
		{"file:///var/lib/countersign/exports/", ExportTarget{Scheme: SchemeFile, Dir: "/var/lib/countersign/exports"}},
		{"file://localhost/srv/x", ExportTarget{Scheme: SchemeFile, Dir: "/srv/x"}},
		{"s3://dms-bucket/contracts/signed?endpoint=http://127.0.0.1:9000&region=eu-west-1",
			ExportTarget{Scheme: SchemeS3, Bucket: "dms-bucket", Prefix: "contracts/signed/", Endpoint: "127.0.0.1:9000", Region: "eu-west-1"}},
		{"s3://dms-bucket?endpoint=minio.internal:9000", ExportTarget{Scheme: SchemeS3, Bucket: "dms-bucket", Endpoint: "minio.internal:9000", Secure: true}},
		{"s3://dms-bucket/p?region=eu-central-1", ExportTarget{Scheme: SchemeS3, Bucket: "dms-bucket", Prefix: "p/", Endpoint: "s3.eu-central-1.amazonaws.com", Region: "eu-central-1", Secure: true}},
	}
	for _, c := range ok {
		got, err := ParseExportTarget(c.raw)
		if err != nil {
			t.Errorf("ParseExportTarget(%q): %v", c.raw, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseExportTarget(%q) = %+v, want %+v", c.raw, got, c.want)
		}
		// String round-trips.
		again, err := ParseExportTarget(got.String())
		if err != nil || again != got {
			t.Errorf("ParseExportTarget(%q.String() = %q) = %+v, %v", c.raw, got.String(), again, err)
		}
	}
	bad := map[string]string{
		"ftp://x":                          "unknown scheme",
		"exports":                          "missing scheme",
		"nats-object://bad.bucket":         "bucket",
		"nats-object://b/path":             "no path",
		"file://relative/dir":              "host",
		"file:///dir?x=1":                  "absolute",
		"s3://UPPER/p":                     "S3 bucket",
		"s3://bucket/p?endpoint=ftp://x:1": "endpoint",
		"s3://bucket/p?token=x":            "unknown query parameter",
		"s3://bucket/a/../b":               "segments",
		"s3://key:secret@bucket/p":         "credentials",
		"%zz":                              "not a URL",
	}
	for raw, want := range bad {
		_, err := ParseExportTarget(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseExportTarget(%q) = %v, want an error containing %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "key:secret") {
			t.Errorf("ParseExportTarget(%q) error shows the credentials: %v", raw, err)
		}
	}
}

func TestExportConfigErrors(t *testing.T) {
	head := "admin:\n  tokens: [t]\ntenants:\n  - id: acme\n    providers:\n      - kind: docusign\n        hmac_keys: [k]\n"
	cases := []struct {
		yaml string
		want []string
	}{
		{head + "    export:\n      target: \"ftp://dms\"\n",
			[]string{"cfg.yaml: tenants[0].export.target: unknown scheme \"ftp\"", "(line 9)"}},
		{head + "    export:\n      target: \"s3://dms-bucket/p?endpoint=http://127.0.0.1:9\"\n",
			[]string{"tenants[0].export.access_key: required for an s3 target", "tenants[0].export.secret_key: required"}},
		{head + "    export:\n      target: \"file:///srv/dms\"\n      access_key: k\n",
			[]string{"tenants[0].export.access_key: applies only to an s3 target"}},
		{head + "    export:\n      target: nats-object://dms\n      purge: true\n",
			[]string{"tenants[0].export.purge: unknown field (line 10)"}},
	}
	for _, c := range cases {
		_, err := Parse("cfg.yaml", []byte(c.yaml))
		if err == nil {
			t.Errorf("Parse accepted:\n%s", c.yaml)
			continue
		}
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownField) {
			t.Errorf("error %v wraps neither ErrInvalid nor ErrUnknownField", err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
	f, err := Parse("cfg.yaml", []byte(head+"    export:\n      target: \"s3://dms-bucket/p?endpoint=http://127.0.0.1:9\"\n      access_key: ak\n      secret_key: sk\n      purge_at_provider: true\n  - id: other\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Tenants[0].Export; e == nil || !e.PurgeAtProvider || e.AccessKey.Value() != "ak" || e.SecretKey.Value() != "sk" {
		t.Fatalf("export = %+v", f.Tenants[0].Export)
	}
	if got := f.Tenants[0].ExportTarget(); got.Bucket != "dms-bucket" || got.Endpoint != "127.0.0.1:9" || got.Secure {
		t.Errorf("ExportTarget = %+v", got)
	}
	if got := f.Tenants[1].ExportTarget(); got.String() != DefaultExportTarget {
		t.Errorf("default ExportTarget = %v", got)
	}
}

// FuzzParseExportTarget: any string is parsed without panicking; what
// parses round-trips through String, and a refusal never repeats the
// query's values (they could be misplaced credentials).
func FuzzParseExportTarget(f *testing.F) {
	for _, s := range []string{"", "nats-object://exports", "file:///srv/dms", "s3://dms/p?endpoint=http://127.0.0.1:9000&region=x",
		"s3://dms?endpoint=minio:9000", "s3://000?endpoint=:A", "s3://a/../b", "file://host/x", "s3://k:s@b/p", "ftp://x", "%zz", "s3://dms/p?token=hunter2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseExportTarget(raw)
		if err != nil {
			if secretOnlyInQueryValue(raw, "hunter2") && strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error repeats a query value: %v", err)
			}
			return
		}
		again, err := ParseExportTarget(got.String())
		if err != nil || again != got {
			t.Fatalf("%q parsed as %+v; its String %q parses as %+v, %v", raw, got, got.String(), again, err)
		}
	})
}

// secretOnlyInQueryValue reports whether secret occurs in raw only inside
// the values of its query.
func secretOnlyInQueryValue(raw, secret string) bool {
	before, query, ok := strings.Cut(raw, "?")
	if !ok || strings.Contains(before, secret) {
		return false
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	inValue := false
	for k, vs := range q {
		if strings.Contains(k, secret) {
			return false
		}
		for _, v := range vs {
			inValue = inValue || strings.Contains(v, secret)
		}
	}
	return inValue
}
