// Package cli implements the admin subcommands of the talkio-gateway binary:
// users, expired, sweep, usage and conversations. They talk to the Talkio
// Partner API through a ready *talkio.Client that main builds from the same
// configuration as the gateway (package cli never reads configuration).
//
// Decision on the command-line library: the standard flag package with a small
// subcommand table, not cobra. The command set is small and fixed, the binary
// already has one entry point (main's run), and flag keeps the dependency list
// unchanged. The two things flag lacks are added here in a few lines: flags may
// follow positional arguments ("users get ID --json"), and repeatable flags
// ("--set k=v --set k=v").
//
// Conventions:
//   - Run returns the process exit code: 0 success, 1 failure (an API or
//     network error, a failed delete in sweep), 2 usage error (bad flag or
//     argument; the subcommand's usage goes to stderr).
//   - Human output is an aligned table on stdout; --json prints exactly one
//     JSON document on stdout for scripts.
//   - Errors go to stderr as "error: …", with the Talkio request id when the
//     API sent one. The API key never appears: talkio errors do not carry it
//     and this package never prints configuration.
//   - Progress (sweep, usage report) goes to stderr and only when
//     Env.IsTerminal is set, so cron and CI logs stay clean.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/spec"
)

// Env is everything a subcommand needs from the outside world.
type Env struct {
	// Client is the Partner API client for the default organization.
	Client *talkio.Client
	// Organizations lists the organization slugs that --org may name (the
	// default organization and those of TALKIO_ORGANIZATION_MAP). Empty means
	// any well-formed slug is accepted.
	Organizations []string
	// AppURL is the Talkio app origin (TALKIO_APP_URL) "users link" builds
	// its links on; when empty, the token response's loginLink lends its origin.
	AppURL string
	// IDRule and Issuer turn a provider subject into the Talkio id ("users id", --subject), the way
	// sign-in does (TALKIO_USER_ID_MODE, TALKIO_USER_ID_KEY, OIDC_ISSUER).
	IDRule provision.IDRule
	Issuer string

	Stdin          io.Reader // read for the "users delete" confirmation; may be nil
	Stdout, Stderr io.Writer
	// IsTerminal reports that a person is at a terminal (stdin and stderr are
	// terminals): progress is shown and "users delete" may ask for
	// confirmation instead of requiring --yes.
	IsTerminal bool
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Exit codes returned by Run.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// command is one entry of the subcommand table. A command either runs itself
// (run) or dispatches to its own subcommands (sub), like "users list".
type command struct {
	name     string
	synopsis string // one line for the top-level usage
	args     string // positional argument syntax, e.g. "ID|EMAIL"
	help     string // a few sentences shown under the usage line
	flags    func(fs *flag.FlagSet) any
	run      func(ctx context.Context, r *runner, opts any, args []string) error
	sub      []*command
	// minArgs and maxArgs bound the positional arguments (maxArgs -1: any).
	minArgs, maxArgs int
}

// commands is the table of top-level commands.
var commands = []*command{usersCommand, expiredCommand, sweepCommand, usageCommand, conversationsCommand}

// program is the binary's name as usage shows it.
const program = "talkio-gateway"

// IsCommand reports whether name is one of the admin commands, so main can
// tell "talkio-gateway users …" from serving.
func IsCommand(name string) bool {
	return findCommand(commands, name) != nil
}

// Usage writes the list of admin commands.
func Usage(w io.Writer) {
	usageList(w, program, commands)
}

func usageList(w io.Writer, prefix string, cmds []*command) {
	fmt.Fprintf(w, "Admin commands (run \"%s COMMAND -h\" for details):\n", prefix)
	for _, c := range cmds {
		for _, line := range commandLines(c) {
			fmt.Fprintf(w, "  %s %s\n", prefix, line)
		}
	}
}

// commandLines lists the synopsis of c, or of each of its subcommands.
func commandLines(c *command) []string {
	if c.sub == nil {
		return []string{c.synopsis}
	}
	var lines []string
	for _, s := range c.sub {
		lines = append(lines, c.name+" "+s.synopsis)
	}
	return lines
}

func findCommand(cmds []*command, name string) *command {
	i := slices.IndexFunc(cmds, func(c *command) bool { return c.name == name })
	if i < 0 {
		return nil
	}
	return cmds[i]
}

// Run runs the admin command in args, where args[0] is the command name
// ("users", "sweep", …) and the rest are its arguments. It returns the exit
// code (ExitOK, ExitFailure or ExitUsage).
func Run(ctx context.Context, env Env, args []string) int {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	return (&runner{env: env}).start(ctx, args)
}

// CheckCommand checks the command words of args (the command and its
// subcommand) without running anything or needing a client, so that main can
// refuse an unknown word, or a missing subcommand, before it loads the
// configuration: "users frobnicate" names frobnicate even where nothing is
// configured. It writes what Run would write and returns ExitUsage, or ExitOK
// when the words are known (then main loads the configuration and calls Run).
func CheckCommand(stderr io.Writer, args []string) int {
	if stderr == nil {
		stderr = io.Discard
	}
	return (&runner{env: Env{Stdout: io.Discard, Stderr: stderr, Now: time.Now}, check: true}).start(context.Background(), args)
}

func (r *runner) start(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(r.env.Stderr, "error: no command given")
		usageList(r.env.Stderr, program, commands)
		return ExitUsage
	}
	c := findCommand(commands, args[0])
	if c == nil {
		unknownWord(r.env.Stderr, program, args[0])
		return ExitUsage
	}
	return r.dispatch(ctx, program+" "+c.name, c, args[1:])
}

// unknownWord writes the one line an unknown command or subcommand gets: the
// word and where to find the list, not the whole help.
func unknownWord(w io.Writer, path, word string) {
	fmt.Fprintf(w, "error: unknown command %q in %q; run \"%s -h\" for the list\n", word, path, path)
}

// runner carries the environment and the client chosen by --org through one
// command run.
type runner struct {
	env    Env
	client *talkio.Client
	check  bool // CheckCommand: stop once the command words are known
}

func (r *runner) now() time.Time { return r.env.Now() }

func (r *runner) dispatch(ctx context.Context, path string, c *command, args []string) int {
	if c.sub != nil {
		if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
			if r.check && len(args) > 0 {
				return ExitOK
			}
			if len(args) == 0 {
				fmt.Fprintf(r.env.Stderr, "error: %s needs a subcommand\n", path)
				printSubUsage(r.env.Stderr, path, c)
				return ExitUsage
			}
			printSubUsage(r.env.Stdout, path, c)
			return ExitOK
		}
		s := findCommand(c.sub, args[0])
		if s == nil {
			unknownWord(r.env.Stderr, path, args[0])
			return ExitUsage
		}
		return r.dispatch(ctx, path+" "+s.name, s, args[1:])
	}
	if r.check {
		return ExitOK
	}

	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed below, with the usage
	var org string
	fs.StringVar(&org, "org", "", "organization `slug` (default: the configured organization)")
	var opts any
	if c.flags != nil {
		opts = c.flags(fs)
	}
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(r.env.Stdout, path, c, fs)
		return ExitOK
	}
	if err != nil {
		err = &usageError{msg: err.Error()}
	} else {
		err = checkArgCount(c, pos)
	}
	if err == nil {
		r.client, err = r.pickClient(org)
	}
	if err == nil {
		err = c.run(ctx, r, opts, pos)
	}
	return r.report(err, path, c, fs)
}

// report prints err and maps it to an exit code.
func (r *runner) report(err error, path string, c *command, fs *flag.FlagSet) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	var ve *talkio.ValidationError
	switch {
	case errors.As(err, &ue), errors.As(err, &ve):
		// A talkio.ValidationError is raised before sending, from an
		// argument the operator typed: it is a usage error too.
		fmt.Fprintf(r.env.Stderr, "error: %s\n", termSafe(err.Error()))
		printCommandUsage(r.env.Stderr, path, c, fs)
		return ExitUsage
	case errors.Is(err, errReported):
		// The command has already printed the details (sweep, usage report).
		return ExitFailure
	default:
		// The message may carry the API's own text: it goes through termSafe too.
		fmt.Fprintf(r.env.Stderr, "error: %s\n", termSafe(describe(err)))
		return ExitFailure
	}
}

// describe formats err for an operator, adding the Talkio request id when
// the API sent one, so support can find the call in Talkio's logs.
func describe(err error) string {
	msg := err.Error()
	var te *talkio.Error
	if errors.As(err, &te) && te.RequestID != "" && !strings.Contains(msg, te.RequestID) {
		msg += " (request id " + te.RequestID + ")"
	}
	return msg
}

// errReported is returned by a command that has printed its own failure
// report; Run then only sets the exit code.
var errReported = errors.New("cli: failure already reported")

// usageError is a bad flag or argument: exit code 2 and the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

func checkArgCount(c *command, pos []string) error {
	switch {
	case len(pos) < c.minArgs:
		return usagef("missing argument: %s", c.args)
	case c.maxArgs >= 0 && len(pos) > c.maxArgs:
		return usagef("unexpected argument %q", pos[c.maxArgs])
	}
	return nil
}

// pickClient returns the client for --org, or the default one.
func (r *runner) pickClient(org string) (*talkio.Client, error) {
	if org == "" {
		if r.env.Client == nil {
			return nil, errors.New("no Talkio client configured")
		}
		if r.env.Client.Organization() == "" {
			// TALKIO_ORGANIZATION_MAP without a TALKIO_ORGANIZATION: there is no default to fall back on.
			return nil, usagef("--org is required: one of %s", strings.Join(r.env.Organizations, ", "))
		}
		return r.env.Client, nil
	}
	if err := spec.CheckOrganization(org); err != nil {
		return nil, usagef("--org: %q %v", org, err)
	}
	if len(r.env.Organizations) > 0 && !slices.Contains(r.env.Organizations, org) {
		return nil, usagef("--org: %q is not a configured organization (configured: %s)", org, strings.Join(r.env.Organizations, ", "))
	}
	if r.env.Client == nil {
		return nil, errors.New("no Talkio client configured")
	}
	return r.env.Client.ForOrganization(org), nil
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments ("users get ID --json"); the flag package alone stops
// at the first positional argument. "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		consumed := len(args) - fs.NArg()
		rest := fs.Args()
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printSubUsage(w io.Writer, path string, c *command) {
	fmt.Fprintf(w, "usage: %s SUBCOMMAND [flags]\n\n", path)
	if c.help != "" {
		fmt.Fprintf(w, "%s\n\n", c.help)
	}
	fmt.Fprintln(w, "Subcommands:")
	for _, s := range c.sub {
		fmt.Fprintf(w, "  %s %s\n", path, s.synopsis)
	}
	fmt.Fprintf(w, "\nRun \"%s SUBCOMMAND -h\" for the flags of one subcommand.\n", path)
}

func printCommandUsage(w io.Writer, path string, c *command, fs *flag.FlagSet) {
	line := path
	if c.args != "" {
		line += " " + c.args
	}
	fmt.Fprintf(w, "usage: %s [flags]\n", line)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", c.help)
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// stringList is a repeatable string flag ("--set a=1 --set b=2").
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ", ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
