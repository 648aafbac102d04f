package main

// The gateway binary as a child process.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"talkio-gateway/internal/testutil"
	"testing"
	"time"
)

// gatewayBin is the binary the process tests run, built once per test run (with -race when the tests
// are) and removed by TestMain.
var gatewayBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if gatewayBin.dir != "" {
		os.RemoveAll(gatewayBin.dir)
	}
	os.Exit(code)
}

func gatewayBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the gateway binary")
	}
	gatewayBin.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			gatewayBin.err = fmt.Errorf("the go command is needed to build the gateway: %w", err)
			return
		}
		gatewayBin.dir, gatewayBin.err = os.MkdirTemp("", "talkio-gateway-test-")
		if gatewayBin.err != nil {
			return
		}
		gatewayBin.path = filepath.Join(gatewayBin.dir, "talkio-gateway")
		args := []string{"build", "-o", gatewayBin.path}
		if raceEnabled() {
			args = append(args, "-race") // reuses the test build's cache, and checks the child too
		}
		out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
		if err != nil {
			gatewayBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if gatewayBin.err != nil {
		t.Fatal(gatewayBin.err)
	}
	return gatewayBin.path
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// proc is a gateway running as a child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port it listens on
	url  string // http://addr
	logs *testutil.Buffer
	done chan struct{} // closed once it has exited and its output is read
	err  error         // Wait's result, once done
}

// startProcess runs the gateway binary with exactly vars as its environment, waits until it listens and
// has discovered its provider, and stops it with SIGTERM when the test ends, expecting exit status 0.
func startProcess(t *testing.T, name string, vars map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(gatewayBinary(t))
	// A race-enabled child would sleep a second before exiting, to let reports finish.
	cmd.Env = []string{"GORACE=atexit_sleep_ms=0"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, logs: &testutil.Buffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(p.logs, stderr)
		p.err = cmd.Wait() // after the last read, as os/exec requires
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, p.logs)
		}
	})
	p.logs.WaitFor(t, `"msg":"listening"`, p.done)
	for _, l := range jsonLines(t, p.logs.Bytes()) {
		if l.str("msg") == "listening" {
			p.addr = l.str("addr")
		}
	}
	if p.addr == "" {
		t.Fatalf("%s: no address in its listening line", name)
	}
	p.url = "http://" + p.addr
	p.logs.WaitFor(t, `"msg":"auth: provider discovered"`, p.done)
	return p
}

// stop sends SIGTERM (once) and waits for the exit, which must be status 0.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	p.wait(t)
}

// wait waits for the process to exit and checks that it exited 0.
func (p *proc) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(opsTimeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not exit within %v of SIGTERM", p.name, opsTimeout)
	}
	if p.err != nil {
		t.Errorf("%s: %v, want exit status 0", p.name, p.err)
	}
}
