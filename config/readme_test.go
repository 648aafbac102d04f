package config

import (
	"os"
	"strings"
	"testing"
)

// The configuration reference (docs/configuration.md) is generated from Vars and kept between these markers.
// Regenerate it with:
//
//	UPDATE_README=1 go test ./config -run TestREADME
const (
	readmePath  = "../docs/configuration.md"
	readmeBegin = "<!-- config:begin -->"
	readmeEnd   = "<!-- config:end -->"
)

// TestREADME fails when the configuration section of docs/configuration.md differs from MarkdownTable().
func TestREADME(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("read %s: %v (the configuration reference lives there between %s and %s)", readmePath, err, readmeBegin, readmeEnd)
	}
	readme := string(data)
	before, rest, ok1 := strings.Cut(readme, readmeBegin)
	current, after, ok2 := strings.Cut(rest, readmeEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers %s … %s around the configuration reference; add them, then run UPDATE_README=1 go test ./config -run TestREADME",
			readmePath, readmeBegin, readmeEnd)
	}
	want := MarkdownTable()
	if strings.TrimSpace(current) == strings.TrimSpace(want) {
		return
	}
	if os.Getenv("UPDATE_README") == "1" {
		updated := before + readmeBegin + "\n" + strings.TrimSpace(want) + "\n" + readmeEnd + after
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the configuration reference in %s", readmePath)
		return
	}
	t.Errorf("%s's configuration reference is out of date; run UPDATE_README=1 go test ./config -run TestREADME\n--- want:\n%s",
		readmePath, want)
}
