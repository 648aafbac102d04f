package handlers

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// LogFlushInterval is how long a log line may wait in a LogWriter's buffer: what a crash (not a
// SIGTERM) may lose of the log.
const LogFlushInterval = 200 * time.Millisecond

// logBufferSize is the buffer of a LogWriter: under load it fills, and is written, well before the
// timer fires (one write of ~250 lines instead of ~250 writes).
const logBufferSize = 64 << 10

// LogWriter buffers log lines for an io.Writer: one write system call per request was the log line's
// main cost on /open (bench/README.md). A line is written at the latest LogFlushInterval after it
// arrived, or when the buffer is full; Close writes what is left, and lines after Close go straight
// through, so a graceful shutdown loses nothing. The gateway's logger hands each line over in one
// Write, so lines never interleave. Safe for concurrent use.
type LogWriter struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	out    io.Writer
	every  time.Duration
	timer  *time.Timer
	armed  bool // the timer will flush what is buffered
	closed bool
}

// NewLogWriter returns a LogWriter for w that flushes at most every after a line arrives (every ≤ 0
// means LogFlushInterval). Close it at shutdown.
func NewLogWriter(w io.Writer, every time.Duration) *LogWriter {
	if every <= 0 {
		every = LogFlushInterval
	}
	l := &LogWriter{buf: bufio.NewWriterSize(w, logBufferSize), out: w, every: every}
	// Armed only when a line waits: an idle gateway is never woken by its log.
	l.timer = time.AfterFunc(time.Hour, func() { _ = l.Flush() })
	l.timer.Stop()
	return l
}

// Write buffers p (one or more whole lines).
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.out.Write(p)
	}
	n, err := l.buf.Write(p)
	l.keepGoing(err)
	if !l.armed && l.buf.Buffered() > 0 {
		l.armed = true
		l.timer.Reset(l.every)
	}
	return n, err
}

// Flush writes what is buffered.
func (l *LogWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = false
	err := l.buf.Flush()
	l.keepGoing(err)
	return err
}

// keepGoing drops a failed write's lines: bufio.Writer keeps its first error and would refuse every
// later line, so one failed write (a log collector's broken pipe) would silence the log until restart.
func (l *LogWriter) keepGoing(err error) {
	if err != nil {
		l.buf.Reset(l.out)
	}
}

// Close writes what is buffered and stops buffering: later lines are written at once.
func (l *LogWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.armed = false
	l.timer.Stop()
	return l.buf.Flush()
}
