package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
	// The report validates --timezone with time.LoadLocation; the embedded
	// database makes that work in minimal containers without /usr/share/zoneinfo.
	_ "time/tzdata"

	"talkio-gateway/talkio"
)

var usageCommand = &command{
	name: "usage",
	help: "Usage reports from the Partner API's monthly stats.",
	sub:  []*command{usageReportCommand},
}

type usageReportOpts struct {
	month, timezone, language string
	concurrency               int
}

var usageReportCommand = &command{
	name:     "report",
	synopsis: "report --month YYYY-MM [--timezone TZ] [--language TAG] [--concurrency 4]",
	help: "Print a CSV of monthly stats with one row per active and expired user, for\n" +
		"reconciling Talkio invoices. Minutes are decimal minutes. If the stats of any\n" +
		"user cannot be read the command prints no CSV and exits 1, because a partial\n" +
		"report would under-count.",
	maxArgs: 0,
	flags: func(fs *flag.FlagSet) any {
		o := &usageReportOpts{}
		fs.StringVar(&o.month, "month", "", "the `month` to report, YYYY-MM (required)")
		fs.StringVar(&o.timezone, "timezone", "", "IANA time `zone` that month boundaries follow, e.g. America/New_York (default: Talkio's)")
		fs.StringVar(&o.language, "language", "", "count only this practice `language`, e.g. en-US (default: all)")
		fs.IntVar(&o.concurrency, "concurrency", 4, "parallel stats calls (1-32)")
		return o
	},
	run: runUsageReport,
}

// usageHeader is the CSV header of "usage report".
var usageHeader = []string{
	"user_id", "user_name", "user_type", "status", "email", "product_id", "expired_at", "month",
	"conversations", "conversation_minutes", "video_conversations", "video_minutes",
	"words_per_minute", "video_words_per_minute",
}

func runUsageReport(ctx context.Context, r *runner, opts any, _ []string) error {
	o := opts.(*usageReportOpts)
	if o.month == "" {
		return usagef("--month is required (YYYY-MM)")
	}
	if _, err := time.Parse("2006-01", o.month); err != nil || len(o.month) != len("2006-01") {
		return usagef("--month: %q is not a month, want YYYY-MM", o.month)
	}
	if o.timezone != "" {
		if _, err := time.LoadLocation(o.timezone); err != nil || o.timezone == "Local" {
			return usagef("--timezone: %q is not an IANA time zone (e.g. America/New_York)", o.timezone)
		}
	}
	if o.concurrency < 1 || o.concurrency > maxConcurrency {
		return usagef("--concurrency: %d is not between 1 and %d", o.concurrency, maxConcurrency)
	}

	users, err := r.reportUsers(ctx)
	if err != nil {
		return err
	}
	stats := make([]*talkio.Stats, len(users))
	errs := make([]error, len(users))
	var (
		mu   sync.Mutex
		done int
	)
	inParallel(ctx, len(users), o.concurrency, func(i int) {
		stats[i], errs[i] = r.client.GetMonthlyStats(ctx, users[i].ID, &talkio.MonthlyStatsOptions{
			Month: o.month, Timezone: o.timezone, Language: o.language,
		})
		if r.env.IsTerminal {
			mu.Lock()
			done++
			fmt.Fprintf(r.env.Stderr, "\rusage report: %d/%d ", done, len(users))
			mu.Unlock()
		}
	})
	if r.env.IsTerminal && len(users) > 0 {
		fmt.Fprint(r.env.Stderr, clearLine)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("usage report interrupted: %w", err)
	}

	failed := 0
	gone := make([]bool, len(users))
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, talkio.ErrNotFound):
			// Deleted between listing and reading its stats: it is no
			// longer an active or expired user, so it has no row.
			gone[i] = true
			fmt.Fprintf(r.env.Stderr, "warning: user %q was deleted while the report ran; left out\n", users[i].ID)
		default:
			failed++
			fmt.Fprintf(r.env.Stderr, "error: monthly stats of %q: %s\n", users[i].ID, termSafe(describe(err)))
		}
	}
	if failed > 0 {
		fmt.Fprintf(r.env.Stderr, "error: usage report: stats of %d of %d users could not be read; no report written\n", failed, len(users))
		return errReported
	}

	w := newCSV(r.env.Stdout)
	w.row(usageHeader...)
	for i, u := range users {
		if !gone[i] {
			w.row(usageRow(u, o.month, stats[i])...)
		}
	}
	return w.flush()
}

// reportUsers lists every active user, then every expired user not already
// listed (a user expiring while the report runs appears once).
func (r *runner) reportUsers(ctx context.Context) ([]userView, error) {
	var users []userView
	seen := map[string]bool{}
	for u, err := range r.client.ListUsersIter(ctx, &talkio.ListUsersOptions{ListOptions: talkio.ListOptions{Limit: listPageSize}}) {
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			users = append(users, activeView(&u))
		}
	}
	expired, err := listExpired(ctx, r.client)
	if err != nil {
		return nil, err
	}
	for i := range expired {
		if !seen[expired[i].ID] {
			seen[expired[i].ID] = true
			users = append(users, expiredView(&expired[i]))
		}
	}
	return users, nil
}

func usageRow(u userView, month string, s *talkio.Stats) []string {
	if s == nil {
		s = &talkio.Stats{}
	}
	conv, video := conversationStats(s)
	return []string{
		u.ID, u.UserName, u.UserType, u.Status, u.Email, u.ProductID, fmtTime(u.ExpiredAt), month,
		strconv.Itoa(conv.count), minutes(conv.seconds), strconv.Itoa(video.count), minutes(video.seconds),
		decimal(conv.wpm), decimal(video.wpm),
	}
}

type convStats struct {
	count   int
	seconds float64
	wpm     float64
}

func minutes(seconds float64) string { return strconv.FormatFloat(seconds/60, 'f', 2, 64) }

func decimal(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// conversationStats reads count and durationSeconds, which the docs leave
// undocumented (the client keeps them in Extra; their names are the project's
// contract with the simulator), and the documented wordsPerMinute. Missing or
// non-numeric values count as zero, so a schema change shows up as zeros in
// the report rather than as a failed month-end run.
func conversationStats(s *talkio.Stats) (conv, video convStats) {
	read := func(cs talkio.ConversationStats) convStats {
		var out convStats
		out.count = int(number(cs.Extra["count"]))
		out.seconds = number(cs.Extra["durationSeconds"])
		if cs.User.WordsPerMinute != nil {
			out.wpm = *cs.User.WordsPerMinute
		}
		return out
	}
	return read(s.Conversations), read(s.VideoConversations)
}

func number(raw json.RawMessage) float64 {
	var f float64
	if json.Unmarshal(raw, &f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
