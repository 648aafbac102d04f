package handlers

import (
	"container/list"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"talkio-gateway/talkio"
)

// Defaults of the per-user limit on tutor opens (/open, /embed): each mints a
// Talkio login token, and the Partner API's rate limit is shared by every
// user of the partner, so one user (or one stolen cookie in a loop) must not
// spend it for all.
const (
	DefaultOpenBurst  = 10
	DefaultOpenRefill = time.Second // one more open per second
	// openLimiterSize bounds the users remembered per replica. A user pushed
	// out by the least recently seen rule starts again with a full bucket: a
	// bucket idle for Burst × Refill is full anyway, so only someone among
	// more than this many active users in that window gains anything.
	openLimiterSize = 10_000
)

// openLimiter is a token bucket per user id, in a bounded LRU map.
type openLimiter struct {
	burst  int
	every  rate.Limit
	refill time.Duration
	max    int

	mu    sync.Mutex
	order *list.List // of *openBucket, most recently used first
	byID  map[string]*list.Element
}

type openBucket struct {
	id  string
	lim *rate.Limiter
}

func newOpenLimiter(burst int, refill time.Duration, size int) *openLimiter {
	return &openLimiter{
		burst: burst, every: rate.Every(refill), refill: refill, max: size,
		order: list.New(), byID: make(map[string]*list.Element),
	}
}

// take takes one open from userID's bucket at now, returning the reservation
// (to give the open back with CancelAt); when the bucket is empty it returns
// nil and how long until the next open is allowed.
func (l *openLimiter) take(userID string, now time.Time) (*rate.Reservation, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *openBucket
	if el, ok := l.byID[userID]; ok {
		l.order.MoveToFront(el)
		b = el.Value.(*openBucket)
	} else {
		if l.order.Len() >= l.max {
			oldest := l.order.Back()
			l.order.Remove(oldest)
			delete(l.byID, oldest.Value.(*openBucket).id)
		}
		b = &openBucket{id: userID, lim: rate.NewLimiter(l.every, l.burst)}
		l.byID[userID] = l.order.PushFront(b)
	}
	r := b.lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return nil, wait
	}
	return r, 0
}

// tooManyOpens is a refused open; errors.go shows it as a 429 page with
// Retry-After.
type tooManyOpens struct{ retryAfter time.Duration }

func (e *tooManyOpens) Error() string {
	return "handlers: too many tutor opens for this user; retry after " + e.retryAfter.String()
}

// retryAfterSeconds is the Retry-After value: whole seconds, at least 1.
func (e *tooManyOpens) retryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.retryAfter.Seconds()))))
}

// limitOpens takes one token from the signed-in user's bucket before an open
// or embed mints a login token, and gives it back when the link was refused
// before any token was asked for (a bad link costs the Partner API nothing).
// Signed-out requests pass: they mint nothing (they go to sign in, which the
// provider paces).
func (s *server) limitOpens(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := s.session(c)
		if sess == nil {
			return next(c)
		}
		now := s.now()
		r, wait := s.opens.take(sess.UserID, now)
		if r == nil {
			return &tooManyOpens{retryAfter: wait}
		}
		err := next(c)
		if isA[*InputError](err) || isA[*talkio.LinkError](err) {
			r.CancelAt(now)
		}
		return err
	}
}
