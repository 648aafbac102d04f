package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// notifyingBuffer records what reaches the underlying writer, and signals every write.
type notifyingBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	wrote  chan struct{}
}

func newNotifyingBuffer() *notifyingBuffer { return &notifyingBuffer{wrote: make(chan struct{}, 100)} }

func (b *notifyingBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	n, err := b.buf.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *notifyingBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *notifyingBuffer) Writes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}

func TestLogWriterBuffersUntilFlush(t *testing.T) {
	out := newNotifyingBuffer()
	lw := NewLogWriter(out, time.Hour) // the timer plays no part here
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, nil))
	for i := range 100 {
		log.Info("request", "n", i)
	}
	if got := out.String(); got != "" {
		t.Fatalf("written before Flush: %q", got)
	}
	if err := lw.Flush(); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 100 || out.Writes() != 1 {
		t.Errorf("after Flush: %d lines in %d writes, want 100 in 1", lines, out.Writes())
	}
}

// SIGTERM loses nothing: Close writes what is buffered, and lines after Close go straight through.
func TestLogWriterClose(t *testing.T) {
	out := newNotifyingBuffer()
	lw := NewLogWriter(out, time.Hour)
	fmt.Fprintln(lw, "before close")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "before close\n" {
		t.Fatalf("after Close: %q", got)
	}
	fmt.Fprintln(lw, "after close")
	if got := out.String(); got != "before close\nafter close\n" {
		t.Errorf("a line after Close: %q", got)
	}
}

// A line waits at most the interval: the timer writes it without any further line or Flush.
func TestLogWriterTimerFlushes(t *testing.T) {
	out := newNotifyingBuffer()
	lw := NewLogWriter(out, time.Millisecond)
	defer lw.Close()
	fmt.Fprintln(lw, "one")
	select {
	case <-out.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("the timer never wrote the buffered line")
	}
	if got := out.String(); got != "one\n" {
		t.Errorf("got %q", got)
	}
	// It re-arms for the next line.
	fmt.Fprintln(lw, "two")
	select {
	case <-out.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("the timer did not re-arm")
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Errorf("got %q", got)
	}
}

// A full buffer is written at once, and concurrent lines never interleave.
func TestLogWriterConcurrentWholeLines(t *testing.T) {
	out := newNotifyingBuffer()
	lw := NewLogWriter(out, time.Hour)
	log := slog.New(slog.NewJSONHandler(lw, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				log.Info("request", "g", g, "i", i, "pad", strings.Repeat("x", 100))
			}
		})
	}
	wg.Wait()
	if out.Writes() == 0 {
		t.Error("4000 lines of ~150 bytes never filled the buffer")
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") || strings.Count(l, `"msg"`) != 1 {
			t.Fatalf("broken line %q", l)
		}
	}
}

// BenchmarkRequestLogLine: one /open log line, as logRequests writes it, to a file directly and through
// a LogWriter.
func BenchmarkRequestLogLine(b *testing.B) {
	for _, buffered := range []bool{false, true} {
		b.Run(map[bool]string{false: "direct", true: "LogWriter"}[buffered], func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "log"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var w io.Writer = f
			if buffered {
				lw := NewLogWriter(f, LogFlushInterval)
				defer lw.Close()
				w = lw
			}
			log := slog.New(slog.NewJSONHandler(w, nil))
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					log.LogAttrs(ctx, slog.LevelInfo, "request",
						slog.String("request_id", "TZ4IXWBJQKKN3QW7CYBYJHVO5Y"), slog.String("method", "GET"),
						slog.String("route", "/open"), slog.Int("status", 302), slog.Float64("latency_ms", 1.234),
						slog.Int64("upstream_calls", 1), slog.String("user_id", "bench-0042"))
				}
			})
		})
	}
}

// failingOnce fails its first write (a log collector's broken pipe), then takes everything.
type failingOnce struct {
	failed bool
	buf    bytes.Buffer
}

func (f *failingOnce) Write(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, io.ErrClosedPipe
	}
	return f.buf.Write(p)
}

// One failed write loses the lines it carried, not every later one (bufio.Writer keeps its first error).
func TestLogWriterRecoversFromAFailedWrite(t *testing.T) {
	out := &failingOnce{}
	lw := NewLogWriter(out, time.Hour)
	defer lw.Close()
	if _, err := lw.Write([]byte("lost\n")); err != nil {
		t.Fatal(err)
	}
	if err := lw.Flush(); err == nil {
		t.Fatal("the failed write was not reported")
	}
	if _, err := lw.Write([]byte("kept\n")); err != nil {
		t.Fatalf("a line after the failure: %v", err)
	}
	if err := lw.Flush(); err != nil {
		t.Fatalf("flush after the failure: %v", err)
	}
	if got := out.buf.String(); got != "kept\n" {
		t.Errorf("written after the failure: %q, want the later line", got)
	}
}
