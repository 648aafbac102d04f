package config

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
)

// The prefixes of the gateway's variables: a variable that carries one but is not known is a typo.
var prefixes = []string{"GATEWAY_", "OIDC_", "TALKIO_", "CLAIM_", "SCIM_", "LTI_"}

// maxNearMiss is the edit distance within which a variable without a prefix counts as a misspelling of
// a known one (ALLOWED_GROUP, FACILITATOR_GROUP). All known names are at least 10 characters long, so
// two edits never reach an unrelated short name like PATH or HOME.
const maxNearMiss = 2

// unknownNames checks the environment's names: one that carries a gateway prefix, or is within
// maxNearMiss edits of a known name, but is not a known name stops the start, naming the nearest known
// variable. A typo must never widen access: ALLOWED_GROUP=teachers silently ignored lets everyone in.
func unknownNames(environ []string) []string {
	var known []string
	for _, v := range Vars {
		known = append(known, v.Name)
		if v.fileable() {
			known = append(known, v.Name+"_FILE")
		}
	}
	var problems []string
	seen := map[string]bool{}
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if name == "" || seen[name] || Known(name) {
			continue
		}
		seen[name] = true
		if base, ok := strings.CutSuffix(name, "_FILE"); ok && isVar(base) {
			continue // NAME_FILE of a variable that cannot be read from a file: lookup explains that
		}
		upper := strings.ToUpper(name)
		if serviceLink(upper, value) {
			continue
		}
		if !hasPrefix(upper) && !nearMiss(upper, known) {
			continue
		}
		nearest, _ := nearestName(upper, known)
		label := name
		if q := quote(name); q != `"`+name+`"` {
			label = q // control characters or a very long name
		}
		problems = append(problems, fmt.Sprintf("%s: not a variable of the gateway; did you mean %s? (talkio-gateway -h lists them all)",
			label, nearest))
	}
	sort.Strings(problems)
	return problems
}

func isVar(name string) bool {
	for _, v := range Vars {
		if v.Name == name {
			return true
		}
	}
	return false
}

func hasPrefix(name string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Kubernetes adds service links to every pod: for a Service "talkio-gateway", TALKIO_GATEWAY_SERVICE_HOST,
// TALKIO_GATEWAY_PORT=tcp://…, TALKIO_GATEWAY_PORT_80_TCP_ADDR and so on. They carry a prefix but are
// no typo (the manifests also turn them off with enableServiceLinks: false).
var (
	serviceLinkName = regexp.MustCompile(`^[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)$`)
	serviceLinkPort = regexp.MustCompile(`^(tcp|udp|sctp)://[^/]+:[0-9]+$`)
)

func serviceLink(name, value string) bool {
	switch {
	case serviceLinkName.MatchString(name):
		return true
	case strings.HasSuffix(name, "_SERVICE_HOST"):
		return net.ParseIP(value) != nil
	case strings.HasSuffix(name, "_PORT"):
		return serviceLinkPort.MatchString(value)
	}
	return false
}

// nearMiss reports whether name is within maxNearMiss edits of a known name; most of an environment
// (PATH, HOME, …) differs in length by more than that from every known name, which is cheap to see.
func nearMiss(name string, known []string) bool {
	for _, k := range known {
		if d := len(name) - len(k); d >= -maxNearMiss && d <= maxNearMiss && editDistance(name, k) <= maxNearMiss {
			return true
		}
	}
	return false
}

// nearestName returns the known name closest to name, and its distance.
func nearestName(name string, known []string) (string, int) {
	best, bestD := "", -1
	for _, k := range known {
		if d := editDistance(name, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best, bestD
}

// editDistance is the optimal string alignment distance: insertions, deletions, substitutions and
// transpositions of neighbours each count 1 (GATEWAY_LSITEN is one edit from GATEWAY_LISTEN).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
