// Command scim measures SCIM provisioning throughput: N user creates (POST /scim/v2/Users, the body
// Entra ID sends) at an identity provider's concurrency, against the Partner API simulator with a fixed
// latency on every API call, and checks that exactly N Talkio users exist afterwards.
//
//	go run ./bench/scim                                   # 1,000 creates, 5, 10 and 25 in parallel, 80 ms
//	go run ./bench/scim -users 2000 -concurrency 10 -latency 50ms
//
// Everything runs in this process on loopback: the simulator (talkio/talkiotest), the real Talkio client,
// provisioning core and SCIM handler, and the load generator. Results are recorded in bench/scim/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"talkio-gateway/provision"
	"talkio-gateway/scim"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

const (
	provider = "bench-partner"
	apiKey   = "bench-api-key-0123456789abcdef"
	org      = "bench-school"
	token    = "bench-scim-token-0123456789abcdef"
)

func main() {
	users := flag.Int("users", 1000, "users to create")
	concs := flag.String("concurrency", "5,10,25", "comma-separated numbers of requests in flight")
	latency := flag.Duration("latency", 80*time.Millisecond, "latency of every Partner API call")
	flag.Parse()
	fmt.Printf("%d SCIM creates per run, Partner API latency %v\n", *users, *latency)
	fmt.Printf("%-12s %10s %10s %9s %9s %9s %13s %8s %7s\n", "concurrency", "elapsed", "creates/s", "p50", "p95", "p99", "API calls/user", "users", "errors")
	failed := false
	for _, s := range strings.Split(*concs, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			fmt.Fprintf(os.Stderr, "bad concurrency %q\n", s)
			os.Exit(2)
		}
		r, err := run(*users, c, *latency)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%-12d %10s %10.1f %9s %9s %9s %13.2f %8d %7d\n", c, r.elapsed.Round(time.Millisecond), float64(*users)/r.elapsed.Seconds(),
			r.p(50), r.p(95), r.p(99), float64(r.apiCalls)/float64(*users), r.users, r.errors)
		if r.users != *users || r.errors != 0 {
			failed = true
		}
	}
	if failed {
		fmt.Fprintln(os.Stderr, "FAIL: the number of Talkio users differs from the number of creates")
		os.Exit(1)
	}
}

type result struct {
	elapsed   time.Duration
	latencies []time.Duration
	apiCalls  int
	users     int
	errors    int
}

func (r *result) p(q int) string {
	if len(r.latencies) == 0 {
		return "-"
	}
	return r.latencies[(len(r.latencies)-1)*q/100].Round(time.Millisecond).String()
}

func run(n, conc int, latency time.Duration) (*result, error) {
	sim := talkiotest.NewServer(talkiotest.Options{Provider: provider, APIKey: apiKey, Organizations: []talkiotest.Organization{{Slug: org}}})
	defer sim.Close()
	sim.Inject("*", talkiotest.Fault{Latency: latency})
	client, err := talkio.NewClient(sim.URL, provider, apiKey, talkio.WithOrganization(org))
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := provision.New(provision.Options{Talkio: client, Logger: quiet})
	if err != nil {
		return nil, err
	}
	h, err := scim.New(scim.Options{Tokens: []string{token}, Provisioner: p, Talkio: client, Issuer: "https://idp.example", Logger: quiet})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}

	var (
		next    atomic.Int64
		errs    atomic.Int64
		mu      sync.Mutex
		lat     = make([]time.Duration, 0, n)
		wg      sync.WaitGroup
		start   = time.Now()
		ctx     = context.Background()
		firstMu sync.Once
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				t0 := time.Now()
				status, err := create(ctx, hc, srv.URL, i)
				d := time.Since(t0)
				if err != nil || status != http.StatusCreated {
					errs.Add(1)
					firstMu.Do(func() { fmt.Fprintf(os.Stderr, "create %d: %d %v\n", i, status, err) })
					continue
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r := &result{elapsed: time.Since(start), latencies: lat, errors: int(errs.Load())}
	slices.Sort(r.latencies)
	r.apiCalls = sim.CallCount("*")
	r.users = len(sim.Users(org))
	return r, nil
}

// create sends the user create Entra ID sends (Microsoft's SCIM endpoint tutorial), numbered.
func create(ctx context.Context, hc *http.Client, base string, i int) (int, error) {
	body := fmt.Sprintf(`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId": "bench-%06d", "userName": "pupil%06d@school.example", "active": true,
 "emails": [{"primary": true, "type": "work", "value": "pupil%06d@school.example"}],
 "meta": {"resourceType": "User"}, "name": {"formatted": "Pupil %d", "familyName": "%d", "givenName": "Pupil"}, "roles": []}`, i, i, i, i, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/scim/v2/Users", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
