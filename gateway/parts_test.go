package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"talkio-gateway/config"
	"testing"
)

// TestLoggerFormat: JSON unless asked for text, or auto on a terminal (see logger_linux_test.go); the level
// is the configured one.
func TestLoggerFormat(t *testing.T) {
	t.Parallel()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tt := range []struct {
		format string
		w      io.Writer
		text   bool
	}{
		{config.LogFormatAuto, &bytes.Buffer{}, false},
		{config.LogFormatAuto, file, false}, // a file, not a terminal
		{config.LogFormatJSON, &bytes.Buffer{}, false},
		{config.LogFormatText, &bytes.Buffer{}, true},
		{config.LogFormatText, file, true},
	} {
		log := newLogger(&config.Config{LogFormat: tt.format, LogLevel: slog.LevelWarn}, tt.w)
		if _, text := log.Handler().(*slog.TextHandler); text != tt.text {
			t.Errorf("format %s on %T: text handler %v, want %v", tt.format, tt.w, text, tt.text)
		}
		if log.Enabled(context.Background(), slog.LevelInfo) || !log.Enabled(context.Background(), slog.LevelWarn) {
			t.Errorf("format %s: the level is not the configured warn", tt.format)
		}
	}
	var buf bytes.Buffer
	newLogger(&config.Config{LogFormat: config.LogFormatJSON, LogLevel: slog.LevelDebug}, &buf).Debug("hello", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" || line["level"] != "DEBUG" {
		t.Errorf("JSON line %q: %v", buf.String(), err)
	}
}

func TestSameSite(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://tutor.school.example", "https://talkio.school.example", true},
		{"https://my-company.com", "https://app.my-company.com", true},
		{"https://tutor.school.example", "https://school.talkio.ai", false},
		{"https://a.github.io", "https://b.github.io", false}, // github.io is a public suffix
		{"http://localhost:8080", "http://localhost:8080", true},
		{"http://127.0.0.1:8080", "http://127.0.0.2:8080", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := sameSite(a, b); got != tc.want {
			t.Errorf("sameSite(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// A busy port stops the start naming the variable that changes it, for either listener.
func TestBusyPortNamesTheVariable(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tt := range []struct{ name, variable string }{{"main", "GATEWAY_LISTEN"}, {"metrics", "GATEWAY_METRICS_LISTEN"}} {
		vars := map[string]string{"GATEWAY_LISTEN": "127.0.0.1:0", "GATEWAY_METRICS_LISTEN": "127.0.0.1:0"}
		vars[tt.variable] = busy.Addr().String()
		gw, err := Start(t.Context(), Options{Getenv: func(k string) string { return vars[k] }})
		if err == nil {
			gw.Wait(canceled())
			t.Fatalf("%s: started on a busy port", tt.name)
		}
		if msg := err.Error(); !strings.Contains(msg, tt.variable+"=") || !strings.Contains(msg, "in use") {
			t.Errorf("%s: %q, want the port in use and how to set %s", tt.name, msg, tt.variable)
		}
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
