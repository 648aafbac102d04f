// Package attacklist is the one copy of the open-redirect attack list the tests feed to every rule that
// guards a redirect: the tutor-link rule (talkio/spec) and the return-to rule and routes (handlers).
package attacklist

import (
	_ "embed"
	"strings"
)

// The list is embedded, so each test finds it whatever its working directory.
//
//go:embed testdata/openredirects.txt
var list string

// Len is how many lines the list has, the first one empty.
const Len = 559

// Lines returns every line of the list, empty ones included, in order.
func Lines() []string {
	return strings.Split(strings.TrimSuffix(list, "\n"), "\n")
}
