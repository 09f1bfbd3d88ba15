package telemetry

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		level   string
		wantErr bool
		// logged: which of debug, info, warn, error messages come out.
		logged []string
	}{
		{"debug", false, []string{"d", "i", "w", "e"}},
		{"info", false, []string{"i", "w", "e"}},
		{"INFO", false, []string{"i", "w", "e"}},
		{"warn", false, []string{"w", "e"}},
		{"error", false, []string{"e"}},
		{"", true, nil},
		{"warning", true, nil},
		{"trace", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := NewLogger(&buf, tt.level)
			if tt.wantErr {
				if !errors.Is(err, ErrLevel) || log != nil {
					t.Fatalf("NewLogger(%q) = %v, %v; want ErrLevel", tt.level, log, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("d")
			log.Info("i", slog.String("tenant", "acme"))
			log.Warn("w")
			log.Error("e")
			dec := json.NewDecoder(&buf)
			var got []string
			for dec.More() {
				var line map[string]any
				if err := dec.Decode(&line); err != nil {
					t.Fatalf("not a JSON line: %v", err)
				}
				got = append(got, line["msg"].(string))
				if line["msg"] == "i" && line["tenant"] != "acme" {
					t.Fatalf("attribute lost: %v", line)
				}
			}
			if len(got) != len(tt.logged) {
				t.Fatalf("logged %v, want %v", got, tt.logged)
			}
			for i := range got {
				if got[i] != tt.logged[i] {
					t.Fatalf("logged %v, want %v", got, tt.logged)
				}
			}
		})
	}
}
