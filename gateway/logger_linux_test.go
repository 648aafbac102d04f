package gateway

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"unsafe"

	"talkio-gateway/config"
)

// TestLoggerTextOnTerminal: with GATEWAY_LOG_FORMAT=auto, a terminal gets text lines, and an explicit
// json still wins. The terminal is a pseudo-terminal opened for the test.
func TestLoggerTextOnTerminal(t *testing.T) {
	t.Parallel()
	tty := openPTY(t)
	for _, tt := range []struct {
		format string
		text   bool
	}{
		{config.LogFormatAuto, true},
		{config.LogFormatJSON, false},
		{config.LogFormatText, true},
	} {
		log := newLogger(&config.Config{LogFormat: tt.format}, tty)
		if _, text := log.Handler().(*slog.TextHandler); text != tt.text {
			t.Errorf("format %s on a terminal: text handler %v, want %v", tt.format, text, tt.text)
		}
	}
}

// openPTY opens a pseudo-terminal and returns its terminal side (closed with the test).
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("unlock pty: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("pty number: %v", errno)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}
