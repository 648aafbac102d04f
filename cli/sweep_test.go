package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

const (
	sweepExpired = 237 // three pages of 100
	sweepActive  = 5
)

// sweepCutoff is testNow minus the default grace (720h).
var sweepCutoff = testNow.Add(-720 * time.Hour)

// seedSweep adds sweepExpired expired users whose expiredAt spreads an hour
// apart around the default grace cutoff (one exactly on it, which is not
// older than the grace and must stay), one a millisecond before the cutoff,
// and sweepActive active users. Users are created in a scrambled order so the
// eligible ones are spread over every page. It returns the ids that a sweep
// with the default grace must delete, oldest first.
func seedSweep(h *harness) (eligible []string) {
	h.t.Helper()
	type seeded struct {
		id string
		at time.Time
	}
	var all []seeded
	for k := range sweepExpired {
		i := k * 7 % sweepExpired // a permutation: 7 and 237 are coprime
		at := sweepCutoff.Add(time.Duration(i-118) * time.Hour)
		all = append(all, seeded{fmt.Sprintf("e%03d", i), at})
	}
	all = append(all, seeded{"edge-before", sweepCutoff.Add(-time.Millisecond)})
	for _, s := range all {
		h.addUser(talkiotest.User{ID: s.id, AccountExpiresAt: &s.at})
	}
	for i := range sweepActive {
		h.addUser(talkiotest.User{ID: fmt.Sprintf("a%d", i)})
	}
	slices.SortFunc(all, func(a, b seeded) int { return a.at.Compare(b.at) })
	for _, s := range all {
		if s.at.Before(sweepCutoff) {
			eligible = append(eligible, s.id)
		}
	}
	if len(eligible) != 119 {
		h.t.Fatalf("seed: %d eligible, want 119", len(eligible))
	}
	return eligible
}

func ids(users []talkiotest.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	slices.Sort(out)
	return out
}

// remainingExpired returns the sorted ids of expired users still in the simulator.
func remainingExpired(h *harness) []string { return ids(h.srv.ExpiredUsers(testOrg)) }

// expectRemaining checks the simulator holds every expired user except deleted,
// and every active user.
func expectRemaining(t *testing.T, h *harness, allExpired, deleted []string) {
	t.Helper()
	want := slices.DeleteFunc(slices.Clone(allExpired), func(id string) bool { return slices.Contains(deleted, id) })
	if got := remainingExpired(h); !slices.Equal(got, want) {
		t.Errorf("remaining expired users: got %d, want %d\nmissing: %v\nextra: %v",
			len(got), len(want), diff(want, got), diff(got, want))
	}
	if got := len(h.srv.Users(testOrg)); got != sweepActive {
		t.Errorf("active users: got %d, want %d", got, sweepActive)
	}
}

// diff returns the elements of a not in b.
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func TestSweepDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	eligible := seedSweep(h)
	before := remainingExpired(h)

	h.mustRun(ExitOK, "sweep")
	out := h.stdout.String()
	if n := h.srv.CallCount(talkiotest.EndpointDeleteUser); n != 0 {
		t.Errorf("dry run made %d delete calls", n)
	}
	expectRemaining(t, h, before, nil)
	if !strings.Contains(out, "dry run: would delete 100 of 238 expired users (119 expired before 2026-02-13T12:00:00Z, grace 720h0m0s, --max-deletes 100)") {
		t.Errorf("summary missing:\n%s", out)
	}
	// The table lists the 100 oldest, oldest first.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+100+1 || !strings.HasPrefix(lines[0], "WOULD DELETE") {
		t.Fatalf("got %d lines:\n%s", len(lines), out)
	}
	for i, id := range eligible[:100] {
		if f := strings.Fields(lines[1+i]); f[0] != id {
			t.Fatalf("line %d lists %s, want %s", i+1, f[0], id)
		}
	}

	h.mustRun(ExitOK, "sweep", "--max-deletes", "1000", "--json")
	var rep sweepReport
	if err := json.Unmarshal(h.stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var would []string
	for _, u := range rep.WouldDelete {
		would = append(would, u.ID)
	}
	if !rep.DryRun || rep.Expired != 238 || rep.Eligible != 119 || !slices.Equal(would, eligible) || len(rep.Deleted) != 0 {
		t.Errorf("--json report = %+v", rep)
	}
	if !strings.Contains(h.stderr.String(), "dry run:") {
		t.Errorf("--json: summary not on stderr: %q", h.stderr.String())
	}
	if n := h.srv.CallCount(talkiotest.EndpointDeleteUser); n != 0 {
		t.Errorf("dry run made %d delete calls", n)
	}
}

func TestSweepApply(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	eligible := seedSweep(h)
	before := remainingExpired(h)

	h.mustRun(ExitOK, "sweep", "--apply", "--max-deletes", "1000")
	expectRemaining(t, h, before, eligible)
	if n := h.srv.CallCount(talkiotest.EndpointListExpiredUsers); n < 3 {
		t.Errorf("%d list calls, want every page (3)", n)
	}
	if n := h.srv.CallCount(talkiotest.EndpointDeleteUser); n != len(eligible) {
		t.Errorf("%d delete calls, want %d", n, len(eligible))
	}
	out := h.stdout.String()
	if !strings.Contains(out, "sweep: deleted 119, already gone 0, failed 0; 0 eligible not attempted") {
		t.Errorf("summary:\n%s", out)
	}
	if got := strings.Count(out, "\ndeleted ") + boolInt(strings.HasPrefix(out, "deleted ")); got != 119 {
		t.Errorf("%d 'deleted' lines, want 119", got)
	}
	if h.stderr.Len() != 0 {
		t.Errorf("stderr not empty off a terminal: %q", h.stderr.String())
	}

	// A second run finds nothing left to do.
	h.mustRun(ExitOK, "sweep", "--apply")
	if !strings.Contains(h.stdout.String(), "sweep: deleted 0, already gone 0, failed 0") {
		t.Errorf("second run:\n%s", h.stdout.String())
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSweepMaxDeletes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	eligible := seedSweep(h)
	before := remainingExpired(h)

	h.mustRun(ExitOK, "sweep", "--apply") // default cap 100
	expectRemaining(t, h, before, eligible[:100])
	if !strings.Contains(h.stdout.String(), "sweep: deleted 100, already gone 0, failed 0; 19 eligible not attempted (--max-deletes 100)") {
		t.Errorf("summary:\n%s", h.stdout.String())
	}

	h.mustRun(ExitOK, "sweep", "--apply", "--max-deletes", "7", "--concurrency", "1")
	expectRemaining(t, h, before, eligible[:107])
}

func TestSweepGrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedSweep(h)
	before := remainingExpired(h)
	// Grace 0 makes every expired user eligible.
	h.mustRun(ExitOK, "sweep", "--apply", "--grace", "0s", "--max-deletes", "1000", "--concurrency", "8")
	expectRemaining(t, h, before, before)
}

// TestSweepSurvivesRetryableFaults injects 429 and 503 answers on the list and
// delete endpoints: the client's retries absorb them and nothing is missed.
func TestSweepSurvivesRetryableFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults map[string]talkiotest.Fault
	}{
		{"429 on delete", map[string]talkiotest.Fault{
			talkiotest.EndpointDeleteUser: {Status: 429, RetryAfter: "0", FailFirst: 2},
		}},
		{"503 on delete", map[string]talkiotest.Fault{
			talkiotest.EndpointDeleteUser: {Status: 503, FailFirst: 2},
		}},
		{"429 and 503 on list and delete", map[string]talkiotest.Fault{
			talkiotest.EndpointListExpiredUsers: {Status: 503, FailFirst: 1},
			talkiotest.EndpointDeleteUser:       {Status: 429, FailFirst: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			eligible := seedSweep(h)
			before := remainingExpired(h)
			for ep, f := range tt.faults {
				h.srv.Inject(ep, f)
			}
			h.mustRun(ExitOK, "sweep", "--apply", "--max-deletes", "1000")
			expectRemaining(t, h, before, eligible)
		})
	}
}

// TestSweepFailedDelete makes one delete fail for good: the others are still
// deleted, the failure is reported, and the exit code is 1.
func TestSweepFailedDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault talkiotest.Fault
		args  []string
	}{
		// 500 is not retried: the first delete fails.
		{"500", talkiotest.Fault{Status: 500, FailFirst: 1}, nil},
		// A dropped connection is retried; three drops exhaust one user's
		// attempts (one worker, so they hit the same user).
		{"dropped connection", talkiotest.Fault{DropConnection: true, FailFirst: 3}, []string{"--concurrency", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			eligible := seedSweep(h)
			before := remainingExpired(h)
			h.srv.Inject(talkiotest.EndpointDeleteUser, tt.fault)

			h.mustRun(ExitFailure, append([]string{"sweep", "--apply", "--max-deletes", "1000"}, tt.args...)...)
			left := diff(remainingExpired(h), diff(before, eligible))
			if len(left) != 1 {
				t.Fatalf("eligible users left: %v, want exactly one", left)
			}
			expectRemaining(t, h, before, diff(eligible, left))
			if !strings.Contains(h.stdout.String(), "sweep: deleted 118, already gone 0, failed 1;") {
				t.Errorf("summary:\n%s", h.stdout.String())
			}
			if want := fmt.Sprintf("error: delete user %q: talkio: DELETE /users/{id}", left[0]); !strings.Contains(h.stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, h.stderr.String())
			}
		})
	}
}

// TestSweepAlreadyGone: a 404 on delete means someone else deleted the user,
// which is what the sweep wanted.
func TestSweepAlreadyGone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedSweep(h)
	h.srv.Inject(talkiotest.EndpointDeleteUser, talkiotest.Fault{Status: 404, FailFirst: 1})
	h.mustRun(ExitOK, "sweep", "--apply", "--max-deletes", "1000", "--json")
	var rep sweepReport
	if err := json.Unmarshal(h.stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.DryRun || len(rep.Deleted) != 118 || len(rep.AlreadyGone) != 1 || len(rep.Failed) != 0 || len(rep.NotAttempt) != 0 {
		t.Errorf("report: deleted %d, gone %d, failed %d, not attempted %d",
			len(rep.Deleted), len(rep.AlreadyGone), len(rep.Failed), len(rep.NotAttempt))
	}
	if !strings.Contains(h.stderr.String(), "already gone 1") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
}

func TestSweepListFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedSweep(h)
	h.srv.Inject(talkiotest.EndpointListExpiredUsers, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "sweep", "--apply")
	if n := h.srv.CallCount(talkiotest.EndpointDeleteUser); n != 0 {
		t.Errorf("%d deletes after a failed listing", n)
	}
	if !strings.HasPrefix(h.stderr.String(), "error: list expired users: ") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
}

func TestSweepProgressOnTerminal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedSweep(h)
	h.env.IsTerminal = true
	h.mustRun(ExitOK, "sweep", "--apply", "--max-deletes", "10")
	if !strings.Contains(h.stderr.String(), "\rsweep: 10/10 ") {
		t.Errorf("stderr = %q, want progress", h.stderr.String())
	}
}

// TestSweepInterrupted cancels the run after the first delete: the sweep stops
// handing out work, reports the rest as not attempted, and exits 1.
func TestSweepInterrupted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedSweep(h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := talkio.NewClient(h.srv.URL, testProvider, testAPIKey, talkio.WithOrganization(testOrg),
		talkio.WithCallObserver(func(_ context.Context, c talkio.Call) {
			if c.Method == "DELETE" {
				cancel()
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	h.env.Client = client
	if code := h.runCtx(ctx, "sweep", "--apply", "--max-deletes", "1000", "--concurrency", "1"); code != ExitFailure {
		t.Fatalf("exit code %d, want 1", code)
	}
	if !strings.Contains(h.stderr.String(), "sweep interrupted") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
	if n := h.srv.CallCount(talkiotest.EndpointDeleteUser); n != 1 {
		t.Errorf("%d delete calls after cancelling, want 1", n)
	}
	if !strings.Contains(h.stdout.String(), "sweep: deleted 1, already gone 0, failed 0; 118 eligible not attempted") {
		t.Errorf("summary:\n%s", h.stdout.String())
	}
}
