package main

import (
	"slices"
	"testing"
)

// The journeys' hops and calls, without latency: counts, not times (the times are the command's).
func TestJourneys(t *testing.T) {
	sums, err := measure(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		path  []string
		calls int
	}{
		signedIn:   {[]string{"/open"}, 1},
		newSession: {[]string{"/open", "/auth/callback"}, 2}, // token and profile check, concurrently
		firstEver:  {[]string{"/open", "/auth/callback"}, 5}, // token+lookup, create, token+settings
	}
	if len(sums) != len(want) {
		t.Fatalf("%d journeys, want %d", len(sums), len(want))
	}
	for _, s := range sums {
		w := want[s.name]
		if !slices.Equal(s.path, w.path) || s.calls != w.calls {
			t.Errorf("%s: gateway path %q with %d Partner API calls, want %q with %d", s.name, s.path, s.calls, w.path, w.calls)
		}
		if s.providerHops == 0 != (s.name == signedIn) {
			t.Errorf("%s: %d provider hops", s.name, s.providerHops)
		}
	}
}
