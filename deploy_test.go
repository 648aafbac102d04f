package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"talkio-gateway/config"
)

// Every environment variable the Kubernetes manifests set must be one the config package knows (or the
// _FILE twin of one of its secrets), so a typo in a manifest cannot silently leave a default in force.
func TestManifestsSetOnlyKnownVariables(t *testing.T) {
	files, err := filepath.Glob("deploy/kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests found: %v", err)
	}
	// Env entries ("- name: X"), ConfigMap data keys ("  X: value") and configMapKeyRef keys ("key: X").
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\s*-\s+name:\s+([A-Z][A-Z0-9_]*)\s*$`),
		regexp.MustCompile(`(?m)^\s{2}([A-Z][A-Z0-9_]*):`),
		regexp.MustCompile(`key:\s+([A-Z][A-Z0-9_]*)`),
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range patterns {
			for _, m := range p.FindAllStringSubmatch(string(b), -1) {
				seen++
				if !config.Known(m[1]) {
					t.Errorf("%s sets %s, which the gateway does not know", f, m[1])
				}
			}
		}
		// A secret must come from a file, never as a plain value in a manifest.
		for _, v := range config.Vars {
			if v.Secret && regexp.MustCompile(`(?m)(name:|^ ) *`+v.Name+`(:|\s*$)`).Match(b) && !strings.Contains(f, "example") {
				t.Errorf("%s sets the secret %s directly; use %s_FILE", f, v.Name, v.Name)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d variables in the manifests; the patterns no longer match", seen)
	}
}

// The metrics port of the manifests and the Dockerfile is GATEWAY_METRICS_LISTEN's default, so that
// scraping works without setting it and the public port never serves /metrics.
func TestManifestsExposeTheMetricsListener(t *testing.T) {
	var port string
	for _, v := range config.Vars {
		if v.Name == "GATEWAY_METRICS_LISTEN" {
			_, port, _ = strings.Cut(v.Default, ":")
		}
	}
	if port == "" {
		t.Fatal("GATEWAY_METRICS_LISTEN has no default port")
	}
	for file, want := range map[string][]string{
		"deploy/kubernetes/deployment.yaml": {"{name: metrics, containerPort: " + port + "}", `prometheus.io/port: "` + port + `"`, "enableServiceLinks: false"},
		"deploy/kubernetes/service.yaml":    {"{name: metrics, port: " + port + ", targetPort: metrics}"},
		"deploy/Dockerfile":                 {"EXPOSE 8080 " + port},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
}
