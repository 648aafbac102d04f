package handlers

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// TestReadinessTalkioCheckIsBoundedAndShared: the Partner API check runs
// under its own short deadline (whatever the probe's own), and many probes at
// once cost one call.
func TestReadinessTalkioCheckIsBoundedAndShared(t *testing.T) {
	t.Parallel()
	const key = "readiness-test-api-key"
	sim := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: key,
		Organizations: []talkiotest.Organization{{Slug: testOrg}}})
	t.Cleanup(sim.Close)

	var (
		mu        sync.Mutex
		deadlines []time.Time
	)
	client, err := talkio.NewClient(sim.URL, testProvider, key, talkio.WithOrganization(testOrg),
		talkio.WithCallObserver(func(ctx context.Context, c talkio.Call) {
			d, ok := ctx.Deadline()
			if !ok {
				t.Errorf("%s: readiness call without a deadline", c.Endpoint)
			}
			mu.Lock()
			deadlines = append(deadlines, d)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envConfig{options: func(o *Options) {
		o.Talkio = client
		o.ReadyCheckTalkio = true
	}})

	const probes = 20
	var wg sync.WaitGroup
	for range probes {
		wg.Go(func() {
			r, err := e.browser("probe").do(http.MethodGet, "/readyz", nil, nil)
			if err != nil || r.StatusCode != http.StatusOK {
				t.Errorf("readyz: %v %v", r, err)
			}
		})
	}
	wg.Wait()
	after := time.Now()

	if n := sim.CallCount(talkiotest.EndpointGetUser); n != 1 {
		t.Errorf("%d concurrent probes made %d Partner API calls, want 1", probes, n)
	}
	mu.Lock()
	defer mu.Unlock()
	// The check started before `after`, so its deadline is at most
	// talkioCheckTimeout past it: the probe cannot wait on the API for longer.
	for _, d := range deadlines {
		if d.After(after.Add(talkioCheckTimeout)) {
			t.Errorf("deadline %v is more than %v after the probes ended (%v)", d, talkioCheckTimeout, after)
		}
	}
	if talkioCheckTimeout > 5*time.Second || talkioCheckTTL < time.Second {
		t.Errorf("check timeout %v, cache %v: want a short timeout and a cache of seconds", talkioCheckTimeout, talkioCheckTTL)
	}
}
