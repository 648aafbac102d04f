// Package gatewaytest starts whole gateways in process for tests: the one starter every test uses.
package gatewaytest

import (
	"context"
	"maps"
	"testing"

	"talkio-gateway/gateway"
	"talkio-gateway/internal/testutil"
)

// Started is a gateway started for one test, with its captured output.
type Started struct {
	*gateway.Gateway
	Logs   *testutil.Buffer // the log, JSON lines at debug level unless vars say otherwise
	Stdout *testutil.Buffer // what the gateway printed for a person (demo mode's start message)
}

// Start runs gateway.Start (demo mode unless vars configure it) on loopback ports, waits until sign-in
// can start (the provider's discovery has loaded), and stops the gateway when the test ends, failing the
// test if the shutdown fails. Metrics get a port of their own (GATEWAY_METRICS_LISTEN=127.0.0.1:0), so
// parallel tests never collide on the default one; vars override every default. limits, when not nil,
// replaces the servers' limits.
func Start(t testing.TB, vars map[string]string, limits *gateway.Limits) *Started {
	t.Helper()
	all := map[string]string{
		"GATEWAY_LISTEN":         "127.0.0.1:0",
		"GATEWAY_METRICS_LISTEN": "127.0.0.1:0",
		"GATEWAY_LOG_FORMAT":     "json",
		"GATEWAY_LOG_LEVEL":      "debug",
	}
	maps.Copy(all, vars)
	s := &Started{Logs: &testutil.Buffer{}, Stdout: &testutil.Buffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	gw, err := gateway.Start(ctx, gateway.Options{
		Getenv: func(k string) string { return all[k] }, Stdout: s.Stdout, Stderr: s.Logs, Limits: limits,
	})
	if err != nil {
		cancel()
		t.Fatalf("start: %v\n%s", err, s.Logs)
	}
	s.Gateway = gw
	done := make(chan error, 1)
	go func() { done <- gw.Wait(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", s.Logs)
		}
	})
	rctx, rcancel := context.WithTimeout(ctx, testutil.WaitTimeout)
	defer rcancel()
	if err := gw.WaitReady(rctx); err != nil {
		t.Fatalf("provider discovery: %v\n%s", err, s.Logs)
	}
	return s
}
