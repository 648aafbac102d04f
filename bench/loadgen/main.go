// Command loadgen measures what the gateway adds to the one Partner API call that /open must make.
//
//	go run ./bench/loadgen                      # 64 workers, 10 s per run, 200 users
//	go run ./bench/loadgen -duration 30s -users 500
//
// It builds the gateway binary (or takes a prebuilt one, -bin, to compare two builds back to back) and
// runs it as a child process configured against a real OpenID provider (demo/idp) and the Partner API
// simulator (talkio/talkiotest), both served by this process on loopback. It signs the users in through
// the provider, then drives GET /open with their session cookies at a fixed concurrency for a fixed time,
// once with no injected upstream latency and once with 20 ms. In the same run it drives a floor: a
// minimal net/http server (this binary, re-executed with -floor) that makes the same single token call
// with a plain http.Client and answers 302. Floor and gateway take turns in -slices alternating slices,
// so that the other load of a shared machine weighs on both alike. It prints req/s, latency
// percentiles, the gateway's added p99, Partner API calls per open, TCP connections opened to the API and
// the gateway's peak RSS. Results and targets are recorded in bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"talkio-gateway/demo/idp"
	"talkio-gateway/talkio/talkiotest"
)

const (
	provider = "bench-partner"
	apiKey   = "bench-api-key-0123456789abcdef"
	org      = "bench-school"
	clientID = "talkio-gateway-bench"
	secret   = "bench-client-secret-0123456789abcdef"
	tokenEP  = "GET /users/{id}/token"
)

func main() {
	floor := flag.Bool("floor", false, "internal: run the floor server (used by loadgen itself)")
	users := flag.Int("users", 200, "users to sign in")
	conc := flag.Int("concurrency", 64, "concurrent workers")
	dur := flag.Duration("duration", 10*time.Second, "length of each measured run")
	warm := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up before each run")
	latencies := flag.String("latency", "0ms,20ms", "comma-separated upstream latencies to inject")
	tags := flag.String("tags", "", "build tags for the gateway binary (e.g. pprof)")
	rate := flag.Int("rate", 0, "open loop: send this many requests per second in all (at most -concurrency in flight); 0 = closed loop, each worker back to back")
	pin := flag.String("pin", "", "run the gateway and the floor under taskset -c LIST (run loadgen itself under taskset on other CPUs)")
	nSlices := flag.Int("slices", 5, "alternate floor and gateway this many times within each run (the machine's other load then hits both alike)")
	bin := flag.String("bin", "", "run this prebuilt gateway binary instead of building one (to compare two builds back to back)")
	flag.Parse()
	if *floor {
		if err := runFloor(); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	var lats []time.Duration
	for _, s := range strings.Split(*latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: -latency:", err)
			os.Exit(2)
		}
		lats = append(lats, d)
	}
	if err := bench(*users, *conc, *rate, max(1, *nSlices), *dur, *warm, lats, *tags, *pin, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func bench(nUsers, conc, rate, nSlices int, dur, warm time.Duration, lats []time.Duration, tags, pin, prebuilt string) error {
	tmp, err := os.MkdirTemp("", "talkio-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// The simulator, counting the TCP connections opened to it.
	sim := talkiotest.NewHandler(talkiotest.Options{
		Provider: provider, APIKey: apiKey, TokenTTL: 5 * time.Minute,
		Organizations: []talkiotest.Organization{{Slug: org}},
	})
	var apiConns atomic.Int64
	api := httptest.NewUnstartedServer(sim)
	api.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			apiConns.Add(1)
		}
	}
	api.Start()
	defer api.Close()

	// The gateway's address must be known before the provider registers its redirect URI.
	gwAddr, err := freeAddr()
	if err != nil {
		return err
	}
	gwURL := "http://" + gwAddr

	opLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	issuer := "http://" + opLn.Addr().String()
	var idpUsers []idp.User
	for i := range nUsers {
		name := fmt.Sprintf("bench-%04d", i)
		idpUsers = append(idpUsers, idp.User{ID: name, Username: name, Name: "Bench User " + strconv.Itoa(i), Groups: []string{"pupils"}})
	}
	op, err := idp.New(idp.Options{
		Issuer: issuer, AllowInsecure: true, Users: idpUsers,
		Clients: []idp.Client{{ID: clientID, Secret: secret, RedirectURIs: []string{gwURL + "/auth/callback"}}},
	})
	if err != nil {
		return err
	}
	opSrv := &httptest.Server{Listener: opLn, Config: &http.Server{Handler: op.Handler()}}
	opSrv.Start()
	defer opSrv.Close()

	bin := prebuilt
	if bin == "" {
		bin = filepath.Join(tmp, "talkio-gateway")
		fmt.Printf("building the gateway … ")
		build := exec.Command("go", "build", "-tags", tags, "-o", bin, "talkio-gateway")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
		fmt.Println("ok")
	}

	gw := command(pin, bin)
	gw.Env = append(os.Environ(),
		"GATEWAY_LISTEN="+gwAddr, "GATEWAY_PUBLIC_URL="+gwURL,
		"GATEWAY_METRICS_LISTEN=127.0.0.1:0", // not the default :9090, which another gateway may hold
		"GATEWAY_SESSION_SECRET=bench-session-secret-0123456789abcdef-0123456789",
		"OIDC_ISSUER="+issuer, "OIDC_CLIENT_ID="+clientID, "OIDC_CLIENT_SECRET="+secret,
		"TALKIO_API_URL="+api.URL, "TALKIO_APP_URL=http://talkio.bench.example",
		"TALKIO_PROVIDER="+provider, "TALKIO_API_KEY="+apiKey, "TALKIO_ORGANIZATION="+org,
		"GATEWAY_LOG_FORMAT=json", "GATEWAY_LOG_LEVEL=info",
		// The per-user open limit (default 10, one more a second) would answer most of this load 429:
		// the largest values the configuration accepts, far above 64 workers spread over 200 users.
		"GATEWAY_OPEN_BURST=10000", "GATEWAY_OPEN_PER_SECOND=1000")
	gwLog, err := os.Create(filepath.Join(tmp, "gateway.log"))
	if err != nil {
		return err
	}
	defer gwLog.Close()
	gw.Stdout, gw.Stderr = gwLog, gwLog // one JSON line per request, as in production
	if err := gw.Start(); err != nil {
		return err
	}
	defer stop(gw)
	if err := waitReady(gwURL + "/readyz"); err != nil {
		return fmt.Errorf("gateway: %w (log in %s)", err, gwLog.Name())
	}

	floorAddr, err := freeAddr()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fl := command(pin, self, "-floor")
	fl.Env = append(os.Environ(), "FLOOR_LISTEN="+floorAddr, "FLOOR_API="+api.URL)
	fl.Stderr = os.Stderr
	if err := fl.Start(); err != nil {
		return err
	}
	defer stop(fl)
	if err := waitReady("http://" + floorAddr + "/healthz"); err != nil {
		return fmt.Errorf("floor: %w", err)
	}

	fmt.Printf("signing in %d users through the provider … ", nUsers)
	t0 := time.Now()
	cookies := make([]string, nUsers)
	for i := range nUsers {
		c, err := signIn(gwURL, idpUsers[i].Username)
		if err != nil {
			return fmt.Errorf("sign in %s: %w", idpUsers[i].Username, err)
		}
		cookies[i] = c
	}
	fmt.Printf("ok (%s)\n", time.Since(t0).Round(time.Millisecond))
	// The floor needs the same users' ids; its "cookie" is the user id in a header.
	ids := make([]string, nUsers)
	for i, u := range idpUsers {
		ids[i] = u.ID
	}

	mode := "closed loop"
	if rate > 0 {
		mode = fmt.Sprintf("open loop at %d req/s", rate)
	}
	fmt.Printf("\nmachine: %s/%s, %d CPUs, %s; %d workers, %s, %s per run in %d alternating slices after %s warm-up\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), conc, mode, dur, nSlices, warm)
	fmt.Printf("%-8s %-8s %9s %9s %9s %9s %11s %10s %10s\n", "upstream", "target", "req/s", "p50", "p95", "p99", "calls/open", "api conns", "CPU/req")
	client := loadClient(conc)
	openedBy := map[string]int64{}
	for _, lat := range lats {
		sim.ClearFaults()
		if lat > 0 {
			sim.Inject(tokenEP, talkiotest.Fault{Latency: lat})
		}
		targets := []string{"floor", "gateway"}
		req := func(target string) func(i int) (*http.Request, error) {
			return func(i int) (*http.Request, error) {
				if target == "floor" {
					r, err := http.NewRequest("GET", "http://"+floorAddr+"/open?template=books-literature", nil)
					r.Header.Set("X-User", ids[i%nUsers])
					return r, err
				}
				r, err := http.NewRequest("GET", gwURL+"/open?template=books-literature", nil)
				r.Header.Set("Cookie", cookies[i%nUsers])
				return r, err
			}
		}
		pidOf := map[string]int{"floor": fl.Process.Pid, "gateway": gw.Process.Pid}
		for _, target := range targets {
			connsBefore := apiConns.Load()
			drive(client, conc, rate, warm, req(target)) // warm-up: connections, caches, GC-sized heaps
			openedBy[target] += apiConns.Load() - connsBefore
		}
		// With -slices n the run alternates floor and gateway n times (dur/n each), so that a change in
		// what else the machine runs hits both targets alike; the slices are summed.
		var res [2]result
		for range nSlices {
			for k, target := range targets {
				sim.ResetCalls()
				conns0 := apiConns.Load()
				cpu0 := cpuTime(pidOf[target])
				r := drive(client, conc, rate, dur/time.Duration(nSlices), req(target))
				r.cpu = cpuTime(pidOf[target]) - cpu0
				r.calls = sim.CallCount(tokenEP)
				r.conns = apiConns.Load() - conns0
				openedBy[target] += r.conns
				res[k].add(r)
			}
		}
		for k, target := range targets {
			r := res[k]
			slices.Sort(r.lat)
			fmt.Printf("%-8s %-8s %9.0f %9s %9s %9s %11.2f %10d %8.0fµs\n", lat, target, r.rps(), ms(r.pct(50)), ms(r.pct(95)), ms(r.pct(99)),
				float64(r.calls)/float64(r.ok), r.conns, float64(r.cpu.Microseconds())/float64(r.ok))
			if r.failed > 0 {
				fmt.Printf("         %d requests failed (first: %v)\n", r.failed, r.firstErr)
			}
		}
		fmt.Printf("%-8s gateway/floor req/s = %.2f×, added p99 = %s\n\n", lat, res[1].rps()/res[0].rps(), ms(res[1].pct(99)-res[0].pct(99)))
	}
	fmt.Printf("API connections opened, warm-ups included: gateway %d, floor %d (concurrency %d)\n", openedBy["gateway"], openedBy["floor"], conc)
	fmt.Printf("gateway peak RSS (VmHWM): %s; floor: %s\n", peakRSS(gw.Process.Pid), peakRSS(fl.Process.Pid))
	return nil
}

type result struct {
	lat      []time.Duration
	ok       int
	failed   int
	firstErr error
	elapsed  time.Duration
	calls    int
	conns    int64
	cpu      time.Duration // CPU time (user + system) the server under test spent during the run
}

// add sums another slice of the same target into r.
func (r *result) add(o result) {
	r.lat = append(r.lat, o.lat...)
	r.ok += o.ok
	r.failed += o.failed
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	r.elapsed += o.elapsed
	r.calls += o.calls
	r.conns += o.conns
	r.cpu += o.cpu
}

func (r result) rps() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p/100))]
}

// drive runs conc workers for d, each sending requests back to back, and collects every latency.
//
// With rate > 0 it is an open loop: requests are released at that many per second in all, so latency is
// measured below saturation; a request waits for a free worker only when conc are already in flight.
func drive(client *http.Client, conc, rate int, d time.Duration, newReq func(i int) (*http.Request, error)) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		all result
		wg  sync.WaitGroup
		seq atomic.Int64
	)
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine result
			mine.lat = make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				if tick != nil {
					select {
					case <-tick:
					case <-ctx.Done():
						continue
					}
				}
				req, err := newReq(int(seq.Add(1)))
				if err != nil {
					mine.failed++
					mine.firstErr = err
					continue
				}
				t := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "token=") {
						err = fmt.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
					}
				}
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					mine.failed++
					if mine.firstErr == nil {
						mine.firstErr = err
					}
					continue
				}
				mine.lat = append(mine.lat, time.Since(t))
				mine.ok++
			}
			mu.Lock()
			all.lat = append(all.lat, mine.lat...)
			all.ok += mine.ok
			all.failed += mine.failed
			if all.firstErr == nil {
				all.firstErr = mine.firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	slices.Sort(all.lat)
	return all
}

func loadClient(conc int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxConnsPerHost: conc * 2, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 10 * time.Second,
	}
}

// signIn walks the whole code flow for one user and returns the session cookie as a Cookie header value.
func signIn(gwURL, username string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		// The provider's login page: pick the user without parsing HTML (demo/idp's ?user=).
		if strings.HasSuffix(req.URL.Path, "/login") && req.URL.Query().Get("authRequestID") != "" && req.URL.Query().Get("user") == "" {
			q := req.URL.Query()
			q.Set("user", username)
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err := c.Get(gwURL + "/login?return_to=/")
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("landed with status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	u, _ := url.Parse(gwURL)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	if len(parts) == 0 {
		return "", errors.New("no session cookie")
	}
	return strings.Join(parts, "; "), nil
}

// runFloor serves the floor: GET /open makes the same single token call with a plain, well-tuned
// http.Client and answers 302 to the same kind of URL — the least any gateway must do.
func runFloor() error {
	api := os.Getenv("FLOOR_API")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second}, Timeout: 10 * time.Second}
	base := api + "/api/partner/v3/organizations/" + org + "/users/"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /open", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", base+url.PathEscape(r.Header.Get("X-User"))+"/token", nil)
		req.Header.Set("x-provider", provider)
		req.Header.Set("x-api-key", apiKey)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var tok struct {
			Token string `json:"token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		q := url.Values{"token": {tok.Token}, "path": {r.URL.Query().Get("template")}}
		http.Redirect(w, r, "http://talkio.bench.example/authentication/partner/?"+q.Encode(), http.StatusFound)
	})
	return http.ListenAndServe(os.Getenv("FLOOR_LISTEN"), mux)
}

// command runs name with args, under taskset -c pin when pin is set.
func command(pin, name string, args ...string) *exec.Cmd {
	if pin == "" {
		return exec.Command(name, args...)
	}
	return exec.Command("taskset", append([]string{"-c", pin, name}, args...)...)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls url until it answers 200, for at most 20 s.
func waitReady(url string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 20s", url)
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}

// cpuTime reads the user + system CPU time of a process from /proc (clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed: utime is the 14th field.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return time.Duration(u+s) * 10 * time.Millisecond
}

// peakRSS reads the peak resident set size (VmHWM) of a process from /proc.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	return "unknown"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
