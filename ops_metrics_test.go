package main

// Metrics through the whole gateway, on their own listener or the main one.

import (
	"net"
	"net/http"
	"strings"
	"talkio-gateway/gateway/gatewaytest"
	"testing"
)

func TestMetricsThroughTheGateway(t *testing.T) {
	t.Parallel()
	// Asked for: GATEWAY_METRICS_LISTEN equal to GATEWAY_LISTEN, which then needs a fixed port (two port-0
	// addresses are two listeners).
	same := freeAddr(t)
	tests := []struct {
		name     string
		vars     map[string]string
		separate bool
	}{
		{"main listener", map[string]string{"GATEWAY_LISTEN": same, "GATEWAY_METRICS_LISTEN": same}, false},
		// The default: a listener of its own (the starter's port 0 stands in for :9090).
		{"own listener", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gw := gatewaytest.Start(t, tt.vars, nil)
			b := newOpsBrowser(t)
			b.signIn(t, gw.URL(), "jonas")
			if r := b.get(t, gw.URL()+"/open?template=books-literature"); r.StatusCode != http.StatusFound {
				t.Fatalf("/open: %d", r.StatusCode)
			}

			metricsURL := gw.URL() + "/metrics"
			if !tt.separate && gw.MetricsAddr() != "" {
				t.Fatalf("metrics on %s, want the main listener", gw.MetricsAddr())
			}
			if tt.separate {
				if r := b.get(t, gw.URL()+"/metrics"); r.StatusCode != http.StatusNotFound {
					t.Errorf("/metrics on the public listener: %d, want 404", r.StatusCode)
				}
				if gw.MetricsAddr() == "" || gw.MetricsAddr() == gw.Addr() {
					t.Fatalf("metrics address %q, main %q", gw.MetricsAddr(), gw.Addr())
				}
				metricsURL = "http://" + gw.MetricsAddr() + "/metrics"
				if r := b.get(t, "http://"+gw.MetricsAddr()+"/open"); r.StatusCode != http.StatusNotFound {
					t.Errorf("the metrics listener serves /open: %d", r.StatusCode)
				}
			}
			r := b.get(t, metricsURL)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", metricsURL, r.StatusCode)
			}
			got := metricSamples(t, r.body)
			for series, want := range map[string]float64{
				`gateway_logins_total{outcome="success"}`:                                        1,
				`gateway_talkio_users_created_total`:                                             1,
				`gateway_talkio_tokens_issued_total`:                                             1,
				`gateway_talkio_api_calls_total{endpoint="POST /users",outcome="ok"}`:            1,
				`gateway_talkio_api_calls_total{endpoint="GET /users/{id}",outcome="not_found"}`: 1,
				`gateway_talkio_api_calls_total{endpoint="GET /users/{id}/token",outcome="ok"}`:  1,
				`gateway_http_requests_total{method="GET",route="/open",status="302"}`:           1,
				`gateway_http_requests_total{method="GET",route="/auth/callback",status="303"}`:  1,
			} {
				if g, ok := got[series]; !ok || g != want {
					t.Errorf("%s = %v (present %v), want %v", series, g, ok, want)
				}
			}
			for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "process_start_time_seconds"} {
				if _, ok := got[name]; !ok {
					t.Errorf("no %s", name)
				}
			}
			if strings.Contains(r.body, "demo-jonas") || strings.Contains(r.body, "books-literature") {
				t.Error("metrics hold a user id or a query value")
			}
		})
	}
}

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
