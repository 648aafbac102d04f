package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMETestCommand keeps the README's promise that its test command is exactly what CI runs: the
// first "go test" line of README.md's first shell block must be a line of .ci/run.
func TestREADMETestCommand(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no ```sh block")
	}
	var cmd string
	for line := range strings.SplitSeq(string(block[1]), "\n") {
		if strings.HasPrefix(line, "go test") {
			cmd, _, _ = strings.Cut(line, "#")
			cmd = strings.TrimSpace(cmd)
			break
		}
	}
	if cmd == "" {
		t.Fatalf("README.md's first shell block has no go test line:\n%s", block[1])
	}
	lines := strings.Split(string(ci), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if !slices.Contains(lines, cmd) {
		t.Errorf("README.md says the tests run with %q, but .ci/run has no such line", cmd)
	}
}
