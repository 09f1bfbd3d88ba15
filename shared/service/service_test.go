package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/service"
)

type echoReq struct {
	Say string `json:"say"`
}

// startEcho registers a service "echo" whose endpoint "say" answers
// {"said": say}, or the error its request names.
func startEcho(t *testing.T, n *meshtest.NATS) {
	t.Helper()
	r, err := service.Serve(n.Conn, service.Info{Name: "echo", Endpoints: []service.Endpoint{{
		Name: "say",
		Handle: func(ctx context.Context, data []byte) (any, error) {
			var req echoReq
			if err := service.DecodeJSON(data, &req); err != nil {
				return nil, err
			}
			switch req.Say {
			case "busy":
				return nil, service.Unavailable("busy", 7*time.Second)
			case "boom":
				return nil, errors.New("boom")
			case "":
				return nil, service.BadRequest("say is required")
			}
			return map[string]string{"said": req.Say}, nil
		},
	}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestCallAndForward(t *testing.T) {
	n := meshtest.StartNATS(t)
	startEcho(t, n)
	fwd := httptest.NewServer(service.Forward(n.Conn, "echo", "say", 5*time.Second))
	t.Cleanup(fwd.Close)
	for _, c := range []struct {
		body       string
		status     int
		want       string
		retryAfter string
	}{
		{`{"say":"hi"}`, 200, `{"said":"hi"}`, ""},
		{`{"say":"busy"}`, 503, `{"error":"busy"}`, "7"},
		{`{"say":"boom"}`, 500, `{"error":"boom"}`, ""},
		{`{}`, 400, `{"error":"say is required"}`, ""},
		{`{"shout":"x"}`, 400, "", ""},
	} {
		t.Run(c.body, func(t *testing.T) {
			resp, err := http.Post(fwd.URL, "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got json.RawMessage
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status || (c.want != "" && string(got) != c.want) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, got, c.status, c.want)
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Retry-After") != c.retryAfter {
				t.Fatalf("headers %v", resp.Header)
			}
		})
	}
	t.Run("no service running", func(t *testing.T) {
		err := service.Call(context.Background(), n.Conn, "nobody", "say", []byte(`{}`), nil)
		var e *service.Error
		if !errors.As(err, &e) || e.Status != 503 {
			t.Fatalf("error %v, want a 503", err)
		}
	})
}

func TestPing(t *testing.T) {
	n := meshtest.StartNATS(t)
	startEcho(t, n)
	startEcho(t, n) // a second replica: same name, its own id
	meshtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		got, err := service.Ping(context.Background(), n.Conn, 300*time.Millisecond)
		if err != nil {
			return err
		}
		ids := map[string]bool{}
		for _, in := range got {
			if in.Name != service.MicroName("echo") || in.Version != service.Version {
				return fmt.Errorf("unexpected instance %+v", in)
			}
			ids[in.ID] = true
		}
		if len(ids) != 2 {
			return fmt.Errorf("%d instances answered, want 2", len(ids))
		}
		return nil
	})
}
