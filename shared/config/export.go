package config

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// DefaultExportTarget is where a tenant's exports go when its config says
// nothing: the JetStream object store of the NATS countersign already
// runs on, so an export needs nothing else installed.
const DefaultExportTarget = "nats-object://exports"

// Export is a tenant's DMS export: where completed envelopes' documents,
// audit trail and ledger are stored, and whether they are then deleted at
// the provider.
type Export struct {
	// Target is a URL: nats-object://bucket, file:///dir or
	// s3://bucket/prefix?endpoint=…&region=… (default DefaultExportTarget).
	Target string `yaml:"target"`
	// AccessKey and SecretKey are the S3 credentials (s3 targets only).
	AccessKey Secret `yaml:"access_key"`
	SecretKey Secret `yaml:"secret_key"`
	// PurgeAtProvider deletes the documents at the provider once every
	// artefact is stored and verified.
	PurgeAtProvider bool `yaml:"purge_at_provider"`
}

// Export target schemes.
const (
	SchemeNATSObject = "nats-object"
	SchemeFile       = "file"
	SchemeS3         = "s3"
)

// ExportTarget is a parsed export target URL.
type ExportTarget struct {
	// Scheme is SchemeNATSObject, SchemeFile or SchemeS3.
	Scheme string
	// Bucket is the object store bucket (nats-object) or S3 bucket (s3).
	Bucket string
	// Prefix is prepended to every S3 key ("" or ending in "/").
	Prefix string
	// Dir is the file target's absolute directory.
	Dir string
	// Endpoint is the S3 server's host:port; Secure says whether it is
	// reached over TLS (an endpoint written http://… is not).
	Endpoint string
	Secure   bool
	// Region is the S3 region ("" lets the client ask the server).
	Region string
}

// String is the target as a URL, without credentials (it never holds any).
func (t ExportTarget) String() string {
	switch t.Scheme {
	case SchemeFile:
		return (&url.URL{Scheme: SchemeFile, Path: t.Dir}).String()
	case SchemeS3:
		u := url.URL{Scheme: SchemeS3, Host: t.Bucket, Path: "/" + t.Prefix}
		q := url.Values{}
		if t.Endpoint != "" {
			scheme := "https://"
			if !t.Secure {
				scheme = "http://"
			}
			q.Set("endpoint", scheme+t.Endpoint)
		}
		if t.Region != "" {
			q.Set("region", t.Region)
		}
		u.RawQuery = q.Encode()
		return u.String()
	default:
		return t.Scheme + "://" + t.Bucket
	}
}

var (
	// objectBucket is what JetStream accepts as an object store name.
	objectBucket = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// s3Bucket is S3's bucket naming rule (lower case, digits, dots,
	// hyphens; 3 to 63, starting and ending with a letter or digit).
	s3Bucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ParseExportTarget parses an export target URL. Its errors say what is
// wrong with the URL (the caller names the field); they never contain
// query values, which could be mistaken credentials.
func ParseExportTarget(raw string) (ExportTarget, error) {
	if raw == "" {
		raw = DefaultExportTarget
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ExportTarget{}, fmt.Errorf("not a URL (want nats-object://bucket, file:///dir or s3://bucket/prefix?endpoint=…)")
	}
	if u.User != nil {
		return ExportTarget{}, fmt.Errorf("credentials do not belong in the URL (use access_key and secret_key)")
	}
	switch u.Scheme {
	case SchemeNATSObject:
		if !objectBucket.MatchString(u.Host) {
			return ExportTarget{}, fmt.Errorf("nats-object: bucket %q must be 1 to 64 of A-Z a-z 0-9 _ -", u.Host)
		}
		if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			return ExportTarget{}, fmt.Errorf("nats-object: want nats-object://bucket with no path or query")
		}
		return ExportTarget{Scheme: SchemeNATSObject, Bucket: u.Host}, nil
	case SchemeFile:
		if u.Host != "" && u.Host != "localhost" {
			return ExportTarget{}, fmt.Errorf("file: want file:///absolute/dir (host %q is not allowed)", u.Host)
		}
		if !path.IsAbs(u.Path) || u.RawQuery != "" {
			return ExportTarget{}, fmt.Errorf("file: want file:///absolute/dir")
		}
		return ExportTarget{Scheme: SchemeFile, Dir: path.Clean(u.Path)}, nil
	case SchemeS3:
		return parseS3Target(u)
	case "":
		return ExportTarget{}, fmt.Errorf("missing scheme (want nats-object://, file:// or s3://)")
	default:
		return ExportTarget{}, fmt.Errorf("unknown scheme %q (want nats-object, file or s3)", u.Scheme)
	}
}

func parseS3Target(u *url.URL) (ExportTarget, error) {
	t := ExportTarget{Scheme: SchemeS3, Bucket: u.Host, Secure: true}
	if !s3Bucket.MatchString(t.Bucket) {
		return t, fmt.Errorf("s3: bucket %q is not a valid S3 bucket name", t.Bucket)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if strings.Contains("/"+p+"/", "/../") || strings.Contains("/"+p+"/", "/./") || strings.Contains(p, "//") {
			return t, fmt.Errorf("s3: prefix must not contain empty, . or .. segments")
		}
		t.Prefix = p + "/"
	}
	q := u.Query()
	for k := range q {
		if k != "endpoint" && k != "region" {
			return t, fmt.Errorf("s3: unknown query parameter %q (want endpoint, region)", k)
		}
	}
	t.Region = q.Get("region")
	ep := q.Get("endpoint")
	if ep == "" {
		t.Endpoint = "s3.amazonaws.com"
		if t.Region != "" {
			t.Endpoint = "s3." + t.Region + ".amazonaws.com"
		}
		return t, nil
	}
	if strings.Contains(ep, "://") {
		eu, err := url.Parse(ep)
		if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || !validHostPort(eu.Host) || strings.Trim(eu.Path, "/") != "" || eu.RawQuery != "" || eu.User != nil {
			return t, fmt.Errorf("s3: endpoint must be host[:port] or http(s)://host[:port]")
		}
		t.Secure = eu.Scheme == "https"
		t.Endpoint = eu.Host
		return t, nil
	}
	if !validHostPort(ep) {
		return t, fmt.Errorf("s3: endpoint must be host[:port] or http(s)://host[:port]")
	}
	t.Endpoint = ep
	return t, nil
}

// ExportTarget returns the tenant's parsed export target (the default when
// the config has no export section). Validate has checked it.
func (t *Tenant) ExportTarget() ExportTarget {
	raw := ""
	if t.Export != nil {
		raw = t.Export.Target
	}
	et, err := ParseExportTarget(raw)
	if err != nil {
		// Unreachable after Validate; the default keeps callers simple.
		et, _ = ParseExportTarget(DefaultExportTarget)
	}
	return et
}

// export checks a tenant's export section: the target parses, and S3
// credentials are given for s3 and only for s3.
func (v *validator) export(e *Export, path string) {
	if e == nil {
		return
	}
	t, err := ParseExportTarget(e.Target)
	if err != nil {
		v.add(path+".target", "%s", err.Error())
		return
	}
	if t.Scheme == SchemeS3 {
		if e.AccessKey.Value() == "" {
			v.add(path+".access_key", "required for an s3 target")
		}
		if e.SecretKey.Value() == "" {
			v.add(path+".secret_key", "required for an s3 target")
		}
		return
	}
	if !e.AccessKey.IsZero() {
		v.add(path+".access_key", "applies only to an s3 target")
	}
	if !e.SecretKey.IsZero() {
		v.add(path+".secret_key", "applies only to an s3 target")
	}
}

// validHostPort reports whether s is host or host:port with a port in
// 1..65535.
func validHostPort(s string) bool {
	if s == "" || strings.ContainsAny(s, "/?#@ \\") || strings.HasSuffix(s, ":") {
		return false
	}
	u, err := url.Parse("http://" + s)
	if err != nil || u.Host != s || u.Hostname() == "" {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return err == nil && n > 0 && n < 65536
	}
	return true
}
