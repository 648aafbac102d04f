package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/spec"
)

// usersLinkOpts are the flags of "users link".
type usersLinkOpts struct {
	subjectFlag
	path, template string
}

var usersLinkCommand = &command{
	name:     "link",
	synopsis: "link ID|--subject SUBJECT [--path P|--template T]",
	args:     "ID",
	help: "Print a fresh login link for an active user (for support staff). The link\n" +
		"carries a short-lived, single-use token: hand it over right away, never log it.\n" +
		"Path and template follow the same rule as the gateway's /open (README, \"Deep links\"), and\n" +
		"the link has the shape of the Talkio docs, on TALKIO_APP_URL." + subjectHelp,
	minArgs: 0, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersLinkOpts{}
		fs.StringVar(&o.path, "path", "", "relative `path` inside the Talkio app to open after login (e.g. app/chat?t=books-literature)")
		fs.StringVar(&o.template, "template", "", "prompt template `slug` to open (same as --path app/chat?t=SLUG)")
		addSubject(fs, &o.subjectFlag)
		return o
	},
	run: runUsersLink,
}

func runUsersLink(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersLinkOpts)
	id, err := r.userID(args, o.subjectFlag, "ID")
	if err != nil {
		return err
	}
	p, err := spec.AppPath(o.path, o.template)
	if err != nil {
		var le *spec.LinkError
		if errors.As(err, &le) {
			return usagef("--%s: %s", le.Field, le.Problem)
		}
		return err
	}
	tok, err := r.client.UserToken(ctx, id)
	if err != nil {
		return fmt.Errorf("get login token for %q: %w", id, err)
	}
	link, err := loginLink(r.env.AppURL, tok, p)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, link)
	if r.env.IsTerminal && !tok.ExpiresAt.IsZero() {
		fmt.Fprintf(r.env.Stderr, "single use; valid until %s (%s from now)\n",
			tok.ExpiresAt.UTC().Format(time.RFC3339), tok.ExpiresAt.Sub(r.now()).Round(time.Second))
	}
	return nil
}

// loginLink builds the link with the one login URL builder /open uses (spec.LoginURL), so a link
// from support has exactly the shape of the Talkio docs and of the gateway's redirects. The app is
// TALKIO_APP_URL; the token response's loginLink is used only for its origin, when no app URL is
// configured (the admin CLI does not require one): its query and path are never trusted, since the
// token and path must be escaped by the same builder every time.
func loginLink(appURL string, tok *talkio.Token, path string) (string, error) {
	if tok.Token == "" {
		return "", errors.New("the token response carries no token")
	}
	from, what := appURL, "the Talkio app URL (TALKIO_APP_URL)"
	if from == "" {
		from, what = tok.LoginLink, "the token response's loginLink"
	}
	if from == "" {
		return "", errors.New("the token response has no loginLink and no Talkio app URL is configured (TALKIO_APP_URL)")
	}
	u, err := url.Parse(from)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%s is not an absolute http(s) URL", what)
	}
	if from == tok.LoginLink {
		// The app is what precedes the docs' login page, under a path prefix or not.
		prefix, _ := strings.CutSuffix(u.Path, "/authentication/partner/")
		if prefix == u.Path {
			prefix = ""
		}
		u = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: prefix}
	}
	return spec.NewLoginURL(u).Build(tok.Token, path, false), nil
}
