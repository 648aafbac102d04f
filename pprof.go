//go:build pprof

package main

// Built with -tags pprof (bench/README.md), the gateway serves net/http/pprof on 127.0.0.1:6060 for
// profiling under load. Never in a normal build: the profiler would expose internals.

import (
	"net/http"
	_ "net/http/pprof"
)

func init() { go http.ListenAndServe("127.0.0.1:6060", nil) }
