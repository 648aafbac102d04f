// Command journeys measures the three journeys from "Open tutor" to Talkio (issue 12): how many hops
// the browser makes through the gateway and the provider, how many Partner API calls are made, and how
// long the gateway keeps the browser waiting, with every Partner API call taking a configurable time.
//
//	go run ./bench/journeys                 # 80 ms per Partner API call, 9 runs of each journey
//	go run ./bench/journeys -latency 20ms -runs 25
//
// Everything runs in this process over loopback: the demo OpenID provider (demo/idp), the Partner API
// simulator (talkio/talkiotest, with the latency injected on every endpoint) and the gateway's handler
// (handlers.New, with the real auth package). A client with its own cookie jar follows every redirect
// by hand, counting the requests to the gateway (its hops) and to the provider, and stops at the
// redirect into Talkio. The journeys, each run with fresh people:
//
//   - first sign-in ever: /open for someone Talkio does not know, in a fresh browser;
//   - same person, new session (every morning): /open for the same person, in another fresh browser;
//   - signed in, open: /open again, in that browser.
//
// "gateway wait" is the sum of the gateway's response times along the journey: the part a faster
// network does not remove. "≈ calls" divides it by the latency: the Partner API calls on the waiting
// path. Results and targets are in bench/README.md.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/demo/idp"
	"talkio-gateway/handlers"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

const (
	provider = "bench-partner"
	apiKey   = "bench-api-key-0123456789abcdef"
	org      = "bench-school"
	clientID = "talkio-gateway-bench"
	secret   = "bench-client-secret-0123456789abcdef"
	link     = "/open?template=books-literature"
)

func main() {
	latency := flag.Duration("latency", 80*time.Millisecond, "time each Partner API call takes (injected in the simulator)")
	runs := flag.Int("runs", 9, "runs of each journey (fresh people each run); the median is reported")
	flag.Parse()
	if err := run(*latency, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "journeys:", err)
		os.Exit(1)
	}
}

// bench is one gateway with its provider and simulator.
type bench struct {
	gwURL, idpURL string
	sim           *talkiotest.Server
}

func run(latency time.Duration, runs int) error {
	sums, err := measure(latency, runs)
	if err != nil {
		return err
	}
	fmt.Printf("Partner API latency %s, %d runs of each journey (medians)\n\n", latency, runs)
	fmt.Printf("%-26s %12s %13s %9s %13s %8s %10s  %s\n", "journey", "gateway hops", "provider hops", "API calls", "gateway wait", "≈ calls", "wall", "gateway path")
	for _, s := range sums {
		calls := "-"
		if latency > 0 {
			calls = fmt.Sprintf("%.2f", float64(s.gatewayWait)/float64(latency))
		}
		fmt.Printf("%-26s %12d %13d %9d %13s %8s %10s  %s\n", s.name, len(s.path), s.providerHops, s.calls,
			s.gatewayWait.Round(100*time.Microsecond), calls, s.wall.Round(100*time.Microsecond), strings.Join(s.path, " → "))
	}
	return nil
}

// Journey names, in the order measure reports them.
const (
	signedIn   = "signed in, open"
	newSession = "same person, new session"
	firstEver  = "first sign-in ever"
)

// measure runs each journey runs times and returns, per journey, its hops and calls (the same in
// every run, or an error) with the median times.
func measure(latency time.Duration, runs int) ([]result, error) {
	if runs < 1 {
		return nil, errors.New("-runs must be at least 1")
	}
	b, stop, err := start(runs)
	if err != nil {
		return nil, err
	}
	defer stop()
	b.sim.Inject("*", talkiotest.Fault{Latency: latency})

	results := make(map[string][]result)
	for i := range runs {
		user := "pupil-" + strconv.Itoa(i)
		first, err := b.journey(newBrowser(user))
		if err != nil {
			return nil, fmt.Errorf("first sign-in of %s: %w", user, err)
		}
		morning := newBrowser(user)
		again, err := b.journey(morning)
		if err != nil {
			return nil, fmt.Errorf("new session of %s: %w", user, err)
		}
		open, err := b.journey(morning)
		if err != nil {
			return nil, fmt.Errorf("open of %s: %w", user, err)
		}
		results[signedIn] = append(results[signedIn], open)
		results[newSession] = append(results[newSession], again)
		results[firstEver] = append(results[firstEver], first)
	}

	var out []result
	for _, name := range []string{signedIn, newSession, firstEver} {
		rs := results[name]
		r := rs[0]
		for _, o := range rs[1:] {
			if !slices.Equal(o.path, r.path) || o.calls != r.calls || o.providerHops != r.providerHops {
				return nil, fmt.Errorf("%s: runs differ: %+v and %+v", name, r, o)
			}
		}
		r.name = name
		r.gatewayWait = median(rs, func(r result) time.Duration { return r.gatewayWait })
		r.wall = median(rs, func(r result) time.Duration { return r.wall })
		out = append(out, r)
	}
	return out, nil
}

// result is one journey's count and times.
type result struct {
	name         string
	path         []string // the gateway paths requested, in order
	providerHops int
	calls        int           // Partner API calls recorded by the simulator
	gatewayWait  time.Duration // the gateway's response times, summed
	wall         time.Duration // the whole journey, provider included
}

type browser struct {
	user   string
	client *http.Client
}

func newBrowser(user string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{user: user, client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// journey opens link in br and follows the redirects through the gateway and the provider up to the
// redirect into Talkio.
func (b *bench) journey(br *browser) (result, error) {
	var res result
	b.sim.ResetCalls()
	target := b.gwURL + link
	start := time.Now()
	for range 20 {
		t0 := time.Now()
		resp, err := br.client.Get(target)
		if err != nil {
			return res, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(t0)
		u := resp.Request.URL
		switch u.Scheme + "://" + u.Host {
		case b.gwURL:
			res.path = append(res.path, u.Path)
			res.gatewayWait += took
		case b.idpURL:
			res.providerHops++
		}
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			return res, fmt.Errorf("%s answered %d", u.Path, resp.StatusCode)
		}
		next, err := u.Parse(resp.Header.Get("Location"))
		if err != nil {
			return res, err
		}
		switch next.Scheme + "://" + next.Host {
		case b.gwURL:
		case b.idpURL:
			// The provider's login page: pick the user (demo/idp's ?user=).
			if strings.HasSuffix(next.Path, "/login") && next.Query().Get("user") == "" {
				q := next.Query()
				q.Set("user", br.user)
				next.RawQuery = q.Encode()
			}
		default:
			if next.Query().Get("token") == "" {
				return res, fmt.Errorf("left for %s without a token", next.Host)
			}
			res.wall = time.Since(start)
			res.calls = len(b.sim.Calls())
			return res, nil
		}
		target = next.String()
	}
	return res, errors.New("more than 20 redirects")
}

// start runs the provider (with users pupil-0 … pupil-N), the simulator and the gateway on loopback.
func start(users int) (*bench, func(), error) {
	var closers []func()
	stop := func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	gw := httptest.NewUnstartedServer(nil)
	closers = append(closers, gw.Close)
	gwURL := "http://" + gw.Listener.Addr().String()
	idpSrv := httptest.NewUnstartedServer(nil)
	closers = append(closers, idpSrv.Close)
	idpURL := "http://" + idpSrv.Listener.Addr().String()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, stop, err
	}
	var people []idp.User
	for i := range users {
		name := "pupil-" + strconv.Itoa(i)
		people = append(people, idp.User{ID: name, Username: name, Name: "Pupil " + strconv.Itoa(i),
			Locale: "en-GB", Groups: []string{"pupils"}})
	}
	op, err := idp.New(idp.Options{
		Issuer: idpURL + "/idp", AllowInsecure: true, Key: key, Users: people,
		Clients: []idp.Client{{ID: clientID, Secret: secret, RedirectURIs: []string{gwURL + "/auth/callback"}}},
	})
	if err != nil {
		return nil, stop, err
	}
	idpSrv.Config.Handler = op.Handler()
	idpSrv.Start()

	sim := talkiotest.NewServer(talkiotest.Options{Provider: provider, APIKey: apiKey, Organizations: []talkiotest.Organization{{Slug: org}}})
	closers = append(closers, sim.Close)

	client, err := talkio.NewClient(sim.URL, provider, apiKey, talkio.WithOrganization(org),
		talkio.WithCallObserver(handlers.ObserveTalkioCall))
	if err != nil {
		return nil, stop, err
	}
	logger := slog.New(slog.DiscardHandler)
	a, err := auth.New(context.Background(), auth.Config{
		IssuerURL: op.Issuer(), ClientID: clientID, ClientSecret: secret, RedirectURL: gwURL + "/auth/callback",
		Claims:      auth.ClaimNames{UserID: "sub", Name: "name", Email: "email", Groups: "groups", Locale: "locale"},
		SessionKeys: [][]byte{[]byte("bench-session-key-0123456789abcdef")},
		Logger:      logger,
	})
	if err != nil {
		return nil, stop, err
	}
	closers = append(closers, func() { a.Close() })
	appURL, _ := url.Parse(sim.URL)
	publicURL, _ := url.Parse(gwURL)
	prov, err := provision.New(provision.Options{Talkio: client, SignInCreates: true, Logger: logger})
	if err != nil {
		return nil, stop, err
	}
	h, err := handlers.New(handlers.Options{
		Auth: a, Provisioner: prov, Talkio: client, PublicURL: publicURL, TalkioAppURL: appURL,
		SupportContact: "the school office", Logger: logger,
	})
	if err != nil {
		return nil, stop, err
	}
	gw.Config.Handler = h
	gw.Start()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		return nil, stop, fmt.Errorf("provider discovery: %w", err)
	}
	return &bench{gwURL: gwURL, idpURL: idpURL, sim: sim}, stop, nil
}

func median(rs []result, f func(result) time.Duration) time.Duration {
	ds := make([]time.Duration, len(rs))
	for i, r := range rs {
		ds[i] = f(r)
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}
