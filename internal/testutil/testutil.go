// Package testutil is the tests' shared support: a buffer that many goroutines write while a test
// reads and waits on it, a settable clock, and HTML page helpers (parse, find, attributes, text). It
// imports nothing of the gateway, so every package's internal tests may use it; the in-process gateway
// starter, which needs the gateway, is gateway/gatewaytest.
package testutil

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// WaitTimeout bounds every wait for output: a safety net against a hung process, not a timing assertion.
const WaitTimeout = 60 * time.Second

// Buffer collects output written from many goroutines (a logger, a child process's pipes) and lets a
// test wait for a piece of it, woken by each write rather than by a guessed delay. The zero value is
// ready to use.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if b.changed != nil {
		close(b.changed)
	}
	b.changed = make(chan struct{})
	return n, err
}

// Bytes is a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *Buffer) String() string { return string(b.Bytes()) }

// WaitFor returns once the output holds s. It fails the test when exited is closed first (the writer
// has ended; nil: never) or after WaitTimeout.
func (b *Buffer) WaitFor(t testing.TB, s string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		found := bytes.Contains(b.buf.Bytes(), []byte(s))
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-exited:
			if !bytes.Contains(b.Bytes(), []byte(s)) {
				t.Fatalf("the writer ended without writing %q:\n%s", s, b)
			}
		case <-deadline.C:
			t.Fatalf("no %q within %v:\n%s", s, WaitTimeout, b)
		}
	}
}

// Clock is a settable time, safe for concurrent use; pass its Now where a clock is injected.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Text is the text inside n, trimmed; "" for nil.
func Text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// ParseHTML parses an HTML page; pages are checked by parsing, not by string equality.
func ParseHTML(tb testing.TB, body string) *html.Node {
	tb.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// FindNode is the first element at or below n, in document order, that match accepts; nil if none.
func FindNode(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := FindNode(c, match); f != nil {
			return f
		}
	}
	return nil
}

// ByID is the element of the page body with the id; nil if there is none.
func ByID(tb testing.TB, body, id string) *html.Node {
	tb.Helper()
	return FindNode(ParseHTML(tb, body), func(n *html.Node) bool { return Attr(n, "id") == id })
}

// LookupAttr is the value of n's attribute name, and whether n has it.
func LookupAttr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// Attr is the value of n's attribute name; "" when n has none.
func Attr(n *html.Node, name string) string {
	v, _ := LookupAttr(n, name)
	return v
}
