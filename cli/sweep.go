package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"sync"
	"time"

	"talkio-gateway/talkio"
)

// maxConcurrency bounds --concurrency (sweep and usage report): Talkio rate
// limits per partner, and a few parallel calls already finish large orgs fast.
const maxConcurrency = 32

type sweepOpts struct {
	jsonFlag
	grace       time.Duration
	apply       bool
	maxDeletes  int
	concurrency int
}

var sweepCommand = &command{
	name:     "sweep",
	synopsis: "sweep [--grace 720h] [--apply] [--max-deletes 100] [--concurrency 4] [--json]",
	help: "Delete expired users whose expiredAt is older than the grace period, because\n" +
		"Talkio bills by usage and the partner must delete people who left. Without\n" +
		"--apply it only prints what it would delete. With --apply it deletes at most\n" +
		"--max-deletes users per run (oldest first), continues past a failed delete and\n" +
		"exits 1 if any failed. A user already gone (404) counts as deleted, so reruns\n" +
		"are safe (cron, Kubernetes CronJob).",
	maxArgs: 0,
	flags: func(fs *flag.FlagSet) any {
		o := &sweepOpts{}
		addJSON(fs, &o.jsonFlag)
		fs.DurationVar(&o.grace, "grace", 720*time.Hour, "delete only users expired longer than this `duration` ago")
		fs.BoolVar(&o.apply, "apply", false, "really delete (default: dry run)")
		fs.IntVar(&o.maxDeletes, "max-deletes", 100, "delete at most `n` users in this run")
		fs.IntVar(&o.concurrency, "concurrency", 4, "parallel delete calls (1-32)")
		return o
	},
	run: runSweep,
}

// clearLine returns the cursor to the start of the line and erases it (ANSI),
// to redraw a progress line on a terminal.
const clearLine = "\r\x1b[K"

// sweepReport is the --json output of sweep.
type sweepReport struct {
	DryRun      bool        `json:"dryRun"`
	Grace       string      `json:"grace"`
	Cutoff      time.Time   `json:"cutoff"`
	Expired     int         `json:"expired"`
	Eligible    int         `json:"eligible"`
	MaxDeletes  int         `json:"maxDeletes"`
	WouldDelete []userView  `json:"wouldDelete,omitempty"`
	Deleted     []string    `json:"deleted"`
	AlreadyGone []string    `json:"alreadyGone"`
	Failed      []failedOne `json:"failed"`
	NotAttempt  []string    `json:"notAttempted"` // over --max-deletes, or cancelled
}

type failedOne struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

func runSweep(ctx context.Context, r *runner, opts any, _ []string) error {
	o := opts.(*sweepOpts)
	switch {
	case o.grace < 0:
		return usagef("--grace: %v is negative", o.grace)
	case o.maxDeletes < 1:
		return usagef("--max-deletes: %d must be at least 1", o.maxDeletes)
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return usagef("--concurrency: %d is not between 1 and %d", o.concurrency, maxConcurrency)
	}
	now := r.now()
	cutoff := now.Add(-o.grace)

	// Read every page before deleting anything: deleting while paging would
	// shift the pages under the reader and skip users.
	expired, err := listExpired(ctx, r.client)
	if err != nil {
		return err
	}
	var eligible []talkio.ExpiredUser
	for _, u := range expired {
		// A missing expiredAt is never taken as "long ago".
		if !u.ExpiredAt.IsZero() && u.ExpiredAt.Before(cutoff) {
			eligible = append(eligible, u)
		}
	}
	// Oldest first, so the cap defers the most recent expiries.
	slices.SortStableFunc(eligible, func(a, b talkio.ExpiredUser) int {
		return cmp.Or(a.ExpiredAt.Compare(b.ExpiredAt), cmp.Compare(a.ID, b.ID))
	})
	batch := eligible[:min(len(eligible), o.maxDeletes)]

	rep := &sweepReport{
		DryRun: !o.apply, Grace: o.grace.String(), Cutoff: cutoff.UTC(),
		Expired: len(expired), Eligible: len(eligible), MaxDeletes: o.maxDeletes,
		Deleted: []string{}, AlreadyGone: []string{}, Failed: []failedOne{}, NotAttempt: []string{},
	}
	for _, u := range eligible[len(batch):] {
		rep.NotAttempt = append(rep.NotAttempt, u.ID)
	}

	if !o.apply {
		return r.sweepDryRun(o, rep, batch, now)
	}
	r.sweepApply(ctx, o, rep, batch)

	summary := fmt.Sprintf("sweep: deleted %d, already gone %d, failed %d; %d eligible not attempted (--max-deletes %d); %d expired, %d expired before %s (grace %s)",
		len(rep.Deleted), len(rep.AlreadyGone), len(rep.Failed), len(rep.NotAttempt), o.maxDeletes,
		rep.Expired, rep.Eligible, rep.Cutoff.Format(time.RFC3339), rep.Grace)
	if o.json {
		if err := writeJSON(r.env.Stdout, rep); err != nil {
			return err
		}
		fmt.Fprintln(r.env.Stderr, summary)
	} else {
		fmt.Fprintln(r.env.Stdout, summary)
	}
	if len(rep.Failed) > 0 || ctx.Err() != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(r.env.Stderr, "error: sweep interrupted: %v\n", ctx.Err())
		}
		return errReported
	}
	return nil
}

func (r *runner) sweepDryRun(o *sweepOpts, rep *sweepReport, batch []talkio.ExpiredUser, now time.Time) error {
	rep.WouldDelete = make([]userView, len(batch))
	for i := range batch {
		rep.WouldDelete[i] = expiredView(&batch[i])
	}
	summary := fmt.Sprintf("dry run: would delete %d of %d expired users (%d expired before %s, grace %s, --max-deletes %d); nothing deleted, run with --apply to delete",
		len(batch), rep.Expired, rep.Eligible, rep.Cutoff.Format(time.RFC3339), rep.Grace, o.maxDeletes)
	if o.json {
		if err := writeJSON(r.env.Stdout, rep); err != nil {
			return err
		}
		fmt.Fprintln(r.env.Stderr, summary)
		return nil
	}
	if len(batch) > 0 {
		t := newTable(r.env.Stdout, "WOULD DELETE", "NAME", "EMAIL", "EXPIRED AT", "EXPIRED FOR")
		for _, u := range batch {
			t.row(u.ID, u.UserName, u.Email, fmtTime(&u.ExpiredAt), now.Sub(u.ExpiredAt).Truncate(time.Minute).String())
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(r.env.Stdout, summary)
	return nil
}

// sweepApply deletes batch with at most o.concurrency calls in flight. A
// failed delete is recorded and the others go on; a 404 means the user is
// already gone (an earlier run, another operator), which is the goal.
// Retries on 429 and 5xx are the client's (its RetryPolicy).
func (r *runner) sweepApply(ctx context.Context, o *sweepOpts, rep *sweepReport, batch []talkio.ExpiredUser) {
	type result struct {
		status string // "deleted", "gone", "failed", or "skipped" after cancellation
		err    error
	}
	results := make([]result, len(batch))
	var (
		mu   sync.Mutex // guards output and done
		done int
	)
	sent := inParallel(ctx, len(batch), o.concurrency, func(i int) {
		if ctx.Err() != nil {
			results[i] = result{status: "skipped"}
			return
		}
		id := batch[i].ID
		err := r.client.DeleteUser(ctx, id)
		res := result{status: "deleted"}
		switch {
		case err == nil:
		case errors.Is(err, talkio.ErrNotFound):
			res.status = "gone"
		default:
			res = result{status: "failed", err: err}
		}
		results[i] = res
		mu.Lock()
		done++
		if r.env.IsTerminal {
			// Clear the progress line so result lines stay whole.
			fmt.Fprint(r.env.Stderr, clearLine)
		}
		if !o.json {
			switch res.status {
			case "deleted":
				fmt.Fprintf(r.env.Stdout, "deleted %s\n", termSafe(id))
			case "gone":
				fmt.Fprintf(r.env.Stdout, "already gone %s\n", termSafe(id))
			}
		}
		if res.err != nil {
			fmt.Fprintf(r.env.Stderr, "error: delete user %q: %s\n", id, termSafe(describe(res.err)))
		}
		if r.env.IsTerminal {
			fmt.Fprintf(r.env.Stderr, "\rsweep: %d/%d ", done, len(batch))
		}
		mu.Unlock()
	})
	if r.env.IsTerminal && len(batch) > 0 {
		fmt.Fprint(r.env.Stderr, clearLine)
	}
	for i, res := range results {
		id := batch[i].ID
		switch {
		case i >= sent || res.status == "skipped":
			rep.NotAttempt = append(rep.NotAttempt, id)
		case res.status == "deleted":
			rep.Deleted = append(rep.Deleted, id)
		case res.status == "gone":
			rep.AlreadyGone = append(rep.AlreadyGone, id)
		default:
			rep.Failed = append(rep.Failed, failedOne{ID: id, Error: describe(res.err)})
		}
	}
}
