// Command talkio-gateway signs a partner's users in through their OpenID Connect provider and sends them
// into the Talkio app with a fresh login token. Run it without configuration for demo mode; see README.md.
//
// main.go holds the command line only: configuration is in config/, the server wiring in gateway/, the
// Partner API client in talkio/, sign-in in auth/, the routes in handlers/, the admin commands in cli/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"talkio-gateway/cli"
	"talkio-gateway/config"
	"talkio-gateway/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts the graceful shutdown, a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var exit exitCode
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(int(exit))
	default:
		fmt.Fprintln(os.Stderr, "talkio-gateway:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only carries the process's exit status; whatever needed saying was said.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// run is the whole program, callable from tests: the first argument picks the subcommand, the
// environment comes through getenv, and the gateway serves until ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch {
	case cmd == "serve":
		if len(args) > 0 {
			if isHelp(args[0]) {
				usage(stdout)
				return nil
			}
			return unknown(stderr, args[0])
		}
		return serve(ctx, getenv, stdout, stderr)
	case isHelp(cmd) || cmd == "help":
		usage(stdout)
		return nil
	case cli.IsCommand(cmd):
		return admin(ctx, cmd, args, getenv, stdout, stderr)
	default:
		return unknown(stderr, cmd)
	}
}

// unknown says, in one line, which word was not understood and where the help is: the whole help would
// bury the mistake.
func unknown(stderr io.Writer, what string) error {
	fmt.Fprintf(stderr, "talkio-gateway: unknown command or flag %q; see talkio-gateway -h\n", what)
	return exitCode(2)
}

// serve runs the gateway until ctx is cancelled. A configuration problem is a usage error (status 2).
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	err := gateway.Run(ctx, gateway.Options{Getenv: getenv, Stdout: stdout, Stderr: stderr})
	if cerr := (*config.Error)(nil); errors.As(err, &cerr) {
		fmt.Fprintln(stderr, err)
		return exitCode(2)
	}
	return err
}

func isHelp(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// usage prints the subcommands and every environment variable with its default.
func usage(w io.Writer) {
	fmt.Fprint(w, `talkio-gateway — sign partner users in with OpenID Connect and open the Talkio tutor.

Usage:
  talkio-gateway [serve]          run the gateway (demo mode when nothing is configured)
  talkio-gateway COMMAND [flags]  an admin command against the Partner API (same configuration)
  talkio-gateway -h | --help      this help

`)
	cli.Usage(w)
	fmt.Fprintln(w, "\nConfiguration comes from the environment.")
	config.Usage(w)
}

// admin runs one admin subcommand with a client built from the Partner API part of the configuration.
func admin(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if isHelp(a) {
			if code := cli.Run(ctx, cli.Env{Stdout: stdout, Stderr: stderr}, append([]string{cmd}, args...)); code != 0 {
				return exitCode(code)
			}
			return nil
		}
	}
	// An unknown word is named before the configuration is read, so it is named even without one.
	if code := cli.CheckCommand(stderr, append([]string{cmd}, args...)); code != cli.ExitOK {
		return exitCode(code)
	}
	cfg, err := config.LoadTalkio(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitCode(2)
	}
	client, err := gateway.NewTalkioClient(cfg, nil)
	if err != nil {
		return err
	}
	var orgs []string // the default (when there is one), then the map's, each once
	for _, slug := range append([]string{cfg.TalkioOrganization}, slices.Sorted(maps.Values(cfg.OrganizationMap))...) {
		if slug != "" && !slices.Contains(orgs, slug) {
			orgs = append(orgs, slug)
		}
	}
	var appURL string
	if cfg.TalkioAppURL != nil {
		appURL = cfg.TalkioAppURL.String()
	}
	env := cli.Env{
		Client:        client,
		Organizations: orgs,
		AppURL:        appURL,
		Stdout:        stdout,
		Stderr:        stderr,
		// A person at a terminal sees progress and may confirm "users delete" instead of passing --yes.
		IsTerminal: gateway.IsTerminal(stderr) && gateway.IsTerminal(os.Stdin),
		Stdin:      os.Stdin,
		IDRule:     gateway.IDRule(cfg),
	}
	if cfg.OIDCIssuer != nil {
		env.Issuer = cfg.OIDCIssuer.String()
	}
	if code := cli.Run(ctx, env, append([]string{cmd}, args...)); code != 0 {
		return exitCode(code)
	}
	return nil
}
