package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
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

// TestReadinessCheckOutlivesAProbeThatGivesUp: a probe whose request ends
// (a kubelet probe timing out after 1 s) while the Partner API check runs must
// not cache its own cancellation: the check runs detached, under its own
// deadline, and the next probes are answered from a healthy cache. The cache
// period runs on the injected clock.
func TestReadinessCheckOutlivesAProbeThatGivesUp(t *testing.T) {
	t.Parallel()
	const key = "readiness-cancel-api-key"
	sim := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: key,
		Organizations: []talkiotest.Organization{{Slug: testOrg}}})
	t.Cleanup(sim.Close)

	// The probe gives up as soon as the check has started its call.
	probeCtx, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	var calls atomic.Int32
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	client, err := talkio.NewClient(sim.URL, testProvider, key, talkio.WithOrganization(testOrg),
		talkio.WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				giveUp()
			}
			return tr.RoundTrip(r)
		})}))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envConfig{options: func(o *Options) {
		o.Talkio = client
		o.ReadyCheckTalkio = true
	}})

	rec := httptest.NewRecorder()
	e.echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(probeCtx))
	if rec.Code != http.StatusOK {
		t.Errorf("the probe that gave up: got %d, want 200 (the check finished on its own)", rec.Code)
	}
	b := e.browser("probe")
	if r := b.get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("next probe: got %d %s, want 200 from the cache", r.StatusCode, r.body)
	}
	if n := sim.CallCount(talkiotest.EndpointGetUser); n != 1 {
		t.Fatalf("%d Partner API calls within the cache period, want 1", n)
	}
	// The cache period ends on the gateway's clock, not the wall clock.
	e.clock.Advance(talkioCheckTTL)
	if r := b.get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("probe after the cache period: got %d", r.StatusCode)
	}
	if n := sim.CallCount(talkiotest.EndpointGetUser); n != 2 {
		t.Errorf("%d Partner API calls after the cache period ended, want 2", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
