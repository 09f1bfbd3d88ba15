package apiclient

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
)

func TestRetriesHonourRetryAfterThenSucceed(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("auth header %q", r.Header.Get("Authorization"))
		}
		if calls.Add(1) < 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"status":"completed"}`))
	}))
	defer srv.Close()
	c, err := New(config.API{BaseURL: srv.URL, Rate: 1000}, func(h http.Header) { h.Set("Authorization", "Bearer tok") },
		Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Status string }
	if err := c.GetJSON(t.Context(), "/x", nil, &out); err != nil {
		t.Fatal(err)
	}
	if out.Status != "completed" || calls.Load() != 3 {
		t.Fatalf("got %q after %d calls, want completed after 3", out.Status, calls.Load())
	}
}

func TestFinalErrorIsStatusError(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errorCode":"ENVELOPE_DOES_NOT_EXIST"}`))
	}))
	defer srv.Close()
	c, _ := New(config.API{BaseURL: srv.URL}, nil, Options{RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	err := c.GetJSON(t.Context(), "/x", nil, &struct{}{})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 || !errors.Is(err, ErrStatus) {
		t.Fatalf("err %v, want a 404 StatusError", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("a 404 was retried: %d calls", calls.Load())
	}
}

func TestRateLimitSpacesRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	c, _ := New(config.API{BaseURL: srv.URL, Rate: 20, Burst: 1}, nil, Options{})
	start := time.Now()
	for range 5 {
		if err := c.GetJSON(t.Context(), "/", nil, &struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	// 5 requests at 20/s with burst 1 need at least 4 intervals of 50ms.
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Fatalf("5 requests took %s; the limiter did not space them", el)
	}
}

func TestBadBaseURL(t *testing.T) {
	if _, err := New(config.API{BaseURL: "not a url"}, nil, Options{}); err == nil {
		t.Fatal("want an error for a relative base_url")
	}
}
