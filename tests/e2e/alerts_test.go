package e2e

// The deploy/ artifacts, tested: the Prometheus alert rules are complete
// and use only metrics the mesh exports (so is the Grafana dashboard), the
// NATS configs start servers that carry countersign's topology, and the
// k8s config is one countersign accepts.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/sandbox"
)

// deployDir is the repository's deploy/ seen from this package.
const deployDir = "../../deploy"

type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadAlertRules(t *testing.T) []alertRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	var rules []alertRule
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("alerts.yaml: group %q has no name or no rules", g.Name)
		}
		rules = append(rules, g.Rules...)
	}
	return rules
}

// dashboardExprs returns the PromQL of every panel of the Grafana dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "grafana", "countersign.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("countersign.json: %v", err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	return out
}

var (
	metricName  = regexp.MustCompile(`countersign_[a-z0-9_]+`)
	histoSuffix = regexp.MustCompile(`_(bucket|sum|count)$`)
)

// metricNames returns the metric families exprs use (a histogram's
// _bucket, _sum and _count series name their family).
func metricNames(exprs []string) map[string]bool {
	names := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(e, -1) {
			names[histoSuffix.ReplaceAllString(n, "")] = true
		}
	}
	return names
}

func TestAlertRulesAreComplete(t *testing.T) {
	rules := loadAlertRules(t)
	if len(rules) == 0 {
		t.Fatal("alerts.yaml has no rules")
	}
	seen := map[string]bool{}
	for _, r := range rules {
		t.Run(r.Alert, func(t *testing.T) {
			if r.Alert == "" || r.Expr == "" {
				t.Fatalf("rule %+v: alert and expr are required", r)
			}
			if seen[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			seen[r.Alert] = true
			if d, err := time.ParseDuration(r.For); err != nil || d <= 0 {
				t.Errorf("for %q: want a positive duration", r.For)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("labels.severity %q: want critical, warning or info", r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Error("annotations.summary is empty")
			}
			if len(metricNames([]string{r.Expr})) == 0 {
				t.Errorf("expr %q uses no countersign metric", r.Expr)
			}
		})
	}
}

// alertsConfig has a Standard Webhooks provider for traffic and a Dropbox
// Sign with an API, so the reconciler runs and exports its series.
func alertsConfig(apiURL string) string {
	return fmt.Sprintf(`
admin:
  tokens: [%q]
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: [%q]
        tolerance: 5m
      - kind: dropboxsign
        api_key: %q
        api: {base_url: %q, rate: 100, burst: 100}
        reconcile: {interval: 1h, incident_interval: 30m}
`, mesh.AdminToken, specSecret, dropboxAPIKey, apiURL)
}

// scrapeFamilies returns the metric families of GET /metrics on the admin
// listener, from its # TYPE lines.
func scrapeFamilies(base string) (map[string]bool, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	got := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			got[f[2]] = true
		}
	}
	return got, sc.Err()
}

// Every countersign metric an alert or the dashboard uses is exported by
// the all-in-one once it has seen accepted, forged and poison callbacks
// and a reconcile round: an alert on a metric nobody exports never fires.
func TestAlertMetricsAreExported(t *testing.T) {
	exprs := dashboardExprs(t)
	for _, r := range loadAlertRules(t) {
		exprs = append(exprs, r.Expr)
	}
	want := metricNames(exprs)

	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, alertsConfig(apiSrv.URL))
	sb := newSandbox(t, m.IngressURL, sandbox.APIConfig{}, nil)
	apiSrv.Config.Handler = sb.APIHandler()

	client := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	forger := "whsec_" + "Zm9yZ2VkLXNlY3JldC1mb3ItdGVzdHMtb25seQ=="
	for _, c := range []struct {
		name   string
		secret string
		d      swDelivery
		code   int
	}{
		{"accepted", specSecret, swDelivery{ID: "msg_alerts_1", TS: now, Body: swEvent("document.sent", "env-alerts-1", "", now)}, http.StatusOK},
		{"forged", forger, swDelivery{ID: "msg_alerts_2", TS: now, Body: swEvent("document.completed", "env-alerts-1", "", now)}, http.StatusUnauthorized},
		{"poison", specSecret, swDelivery{ID: "msg_alerts_3", TS: now, Body: []byte(`{"type":"document.sent","data":`)}, http.StatusOK},
	} {
		if resp := post(t, client, m.IngressURL, "acme", c.secret, c.d); resp.StatusCode != c.code {
			t.Fatalf("%s callback: %s, want %d", c.name, resp.Status, c.code)
		}
	}
	if code, _ := trigger(t, m, mesh.AdminToken, sandbox.KindDropboxSign, now.Add(-time.Hour)); code != http.StatusOK {
		t.Fatalf("reconcile dropboxsign: %d", code)
	}

	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		got, err := scrapeFamilies(m.AdminURL)
		if err != nil {
			return err
		}
		var missing []string
		for n := range want {
			if !got[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("metrics used by alerts or the dashboard but not exported: %v", missing)
		}
		return nil
	})
}

// confPort matches the loopback listen addresses of the NATS configs.
var (
	confPort     = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)
	confStoreDir = regexp.MustCompile(`store_dir: "[^"]*"`)
)

// startConf starts a nats-server from deploy/nats/name, its fixed ports
// moved to free ones (ports maps a config port to its stand-in, shared by
// the nodes of a cluster so their routes still meet) and its store moved
// to a temp dir.
func startConf(t *testing.T, name string, ports map[string]string) *server.Server {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "nats", name))
	if err != nil {
		t.Fatal(err)
	}
	conf := confPort.ReplaceAllStringFunc(string(b), func(addr string) string {
		if _, ok := ports[addr]; !ok {
			ports[addr] = meshtest.FreeAddr(t)
		}
		return ports[addr]
	})
	conf = confStoreDir.ReplaceAllString(conf, fmt.Sprintf("store_dir: %q", t.TempDir()))
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if opts.MaxPayload < 10<<20+64<<10 {
		t.Errorf("%s: max_payload %d cannot carry a 10 MiB callback with its headers", name, opts.MaxPayload)
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatalf("%s: not ready", name)
	}
	return s
}

// setUpOn connects to s and declares countersign's topology with replicas,
// retrying while a cluster elects its JetStream leaders.
func setUpOn(t *testing.T, s *server.Server, replicas int) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	meshtest.CheckFor(t, 30*time.Second, 250*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return bus.Setup(ctx, js, bus.Topology{Replicas: replicas})
	})
	return js
}

func TestNATSConfigsCarryTheTopology(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Run("single", func(t *testing.T) {
		js := setUpOn(t, startConf(t, "single.conf", map[string]string{}), 1)
		// The largest callback ingress accepts, with headers, is one message.
		msg := &nats.Msg{Subject: bus.RawSubject("acme", "docusign", "env-1"), Data: make([]byte, 10<<20), Header: nats.Header{}}
		msg.Header.Set(bus.HeaderTenant, "acme")
		msg.Header.Set("X-Docusign-Signature-1", strings.Repeat("s", 4096))
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatalf("publish a 10 MiB callback: %v", err)
		}
	})
	t.Run("cluster", func(t *testing.T) {
		ports := map[string]string{}
		var nodes []*server.Server
		for _, n := range []string{"cluster-n1.conf", "cluster-n2.conf", "cluster-n3.conf"} {
			nodes = append(nodes, startConf(t, n, ports))
		}
		js := setUpOn(t, nodes[0], 3)
		if _, err := js.Publish(ctx, bus.RawSubject("acme", "docusign", "env-1"), []byte("{}")); err != nil {
			t.Fatalf("publish to RAW: %v", err)
		}
		s, err := js.Stream(ctx, bus.StreamRaw)
		if err != nil {
			t.Fatal(err)
		}
		info := s.CachedInfo()
		if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Fatalf("RAW: replicas %d, cluster %+v: want a leader and 2 replicas", info.Config.Replicas, info.Cluster)
		}
	})
}

// The k8s ConfigMap's countersign.yaml is accepted once its secrets are in
// the environment, and every standalone binary the manifests and systemd
// units start is one the repository builds.
func TestDeployManifestsMatchTheBinaries(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "k8s", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type configMap struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	var cfgYAML string
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	for {
		var cm configMap
		if err := dec.Decode(&cm); err != nil {
			break
		}
		if cm.Metadata.Name == "countersign-config" {
			cfgYAML = cm.Data["countersign.yaml"]
		}
	}
	if cfgYAML == "" {
		t.Fatal("configmap.yaml: no countersign-config with countersign.yaml")
	}
	t.Setenv("COUNTERSIGN_ADMIN_TOKEN", "k8s-test-token")
	t.Setenv("ACME_STANDARDWEBHOOKS_SECRET", specSecret)
	t.Setenv("ACME_DOCUSIGN_HMAC_KEY", "docusign-test-key")
	f, err := config.Parse("configmap.yaml:countersign.yaml", []byte(cfgYAML))
	if err != nil {
		t.Fatalf("k8s config: %v", err)
	}
	if f.Streams.Replicas != 3 {
		t.Errorf("k8s config: streams.replicas %d, want 3 (the NATS cluster)", f.Streams.Replicas)
	}

	binary := regexp.MustCompile(`/usr/local/bin/countersign-([a-z]+)`)
	for _, glob := range []string{"k8s/*.yaml", "systemd/*.service"} {
		files, _ := filepath.Glob(filepath.Join(deployDir, glob))
		if len(files) == 0 {
			t.Fatalf("no %s", glob)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range binary.FindAllStringSubmatch(string(b), -1) {
				main := filepath.Join(deployDir, "..", "services", m[1], "cmd", m[1], "main.go")
				if _, err := os.Stat(main); err != nil {
					t.Errorf("%s starts countersign-%s, which nothing builds: %v", file, m[1], err)
				}
			}
		}
	}
}
