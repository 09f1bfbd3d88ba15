package main

import (
	"slices"
	"testing"
	"time"

	"github.com/countersign/countersign/tests/sandbox"
)

func TestParseWindows(t *testing.T) {
	tests := []struct {
		in   string
		want []sandbox.Window
		ok   bool
	}{
		{"", nil, true},
		{"5s-10s", []sandbox.Window{{Start: 5 * time.Second, End: 10 * time.Second}}, true},
		{"0s-1m, 2m-2m30s", []sandbox.Window{{End: time.Minute}, {Start: 2 * time.Minute, End: 150 * time.Second}}, true},
		{"5s", nil, false},
		{"5-10", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseWindows(tt.in)
			if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
				t.Fatalf("parseWindows(%q) = %v, %v; want %v ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}
