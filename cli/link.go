package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// usersLinkOpts are the flags of "users link".
type usersLinkOpts struct {
	path, template string
}

var usersLinkCommand = &command{
	name:     "link",
	synopsis: "link ID [--path P|--template T]",
	args:     "ID",
	help: "Print a fresh login link for an active user (for support staff). The link\n" +
		"carries a short-lived, single-use token: hand it over right away, never log it.",
	minArgs: 1, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersLinkOpts{}
		fs.StringVar(&o.path, "path", "", "relative `path` inside the Talkio app to open after login (e.g. app/chat?t=books-literature)")
		fs.StringVar(&o.template, "template", "", "prompt template `slug` to open (same as --path app/chat?t=SLUG)")
		return o
	},
	run: runUsersLink,
}

func runUsersLink(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersLinkOpts)
	id := args[0]
	if strings.TrimSpace(id) == "" {
		return usagef("the user id must not be empty")
	}
	p, err := appPath(o.path, o.template)
	if err != nil {
		return err
	}
	tok, err := r.client.UserToken(ctx, id)
	if err != nil {
		return fmt.Errorf("get login token for %q: %w", id, err)
	}
	link, err := loginLink(tok.LoginLink, r.env.AppURL, tok.Token, p)
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

// maxPathLen bounds --path, as the gateway's /open does.
const maxPathLen = 512

var (
	templatePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	// pathChars is what a path inside the Talkio app may contain (DESIGN):
	// letters, digits and / - _ . ? = & %.
	pathChars = regexp.MustCompile(`^[A-Za-z0-9/\-_.?=&%]+$`)
)

// appPath turns --path or --template into the Talkio app path, "" for the
// dashboard. It is a local copy of the gateway's rule (handlers validate the
// same for /open): a template slug means app/chat?t=SLUG; a path is relative,
// without scheme, "//", backslash, control characters or "..", also once
// percent-decoded, so a link can never send a user off the Talkio app.
func appPath(path, template string) (string, error) {
	switch {
	case path != "" && template != "":
		return "", usagef("give --path or --template, not both")
	case template != "":
		if !templatePattern.MatchString(template) {
			return "", usagef("--template: %q is not a template slug (letters, digits, - and _)", template)
		}
		return "app/chat?t=" + template, nil
	case path != "":
		if err := checkAppPath(path); err != nil {
			return "", usagef("--path: %q %v", path, err)
		}
		return path, nil
	}
	return "", nil
}

func checkAppPath(p string) error {
	if len(p) > maxPathLen {
		return fmt.Errorf("is longer than %d bytes", maxPathLen)
	}
	if !pathChars.MatchString(p) {
		return errors.New("may contain only letters, digits and / - _ . ? = & %")
	}
	// Check the raw form and every percent-decoded form: "%2f%2f" is "//" to
	// a browser that decodes it.
	s := p
	for range 4 {
		if strings.HasPrefix(s, "/") || strings.Contains(s, "//") {
			return errors.New("must be a relative path (no leading / or //)")
		}
		if strings.Contains(s, `\`) {
			return errors.New("must not contain a backslash")
		}
		if strings.Contains(s, "..") {
			return errors.New(`must not contain ".."`)
		}
		if strings.Contains(s, ":") {
			return errors.New("must not contain a scheme")
		}
		if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return errors.New("must not contain control characters")
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return errors.New("has a malformed percent escape")
		}
		if d == s {
			return nil
		}
		s = d
	}
	return errors.New("is encoded too many times")
}

// loginLink builds the Talkio login URL. It starts from the loginLink of the
// token response when there is one (it carries the token), else from the app
// origin, and sets path when given. Every value is query-escaped.
func loginLink(fromAPI, appURL, token, path string) (string, error) {
	var u *url.URL
	switch {
	case fromAPI != "":
		var err error
		u, err = url.Parse(fromAPI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", errors.New("the token response carries an unusable loginLink")
		}
	case appURL != "":
		var err error
		u, err = url.Parse(strings.TrimRight(appURL, "/") + "/authentication/partner/")
		if err != nil || u.Host == "" {
			return "", errors.New("the Talkio app URL is not a URL")
		}
	default:
		return "", errors.New("the token response has no loginLink and no Talkio app URL is configured (TALKIO_APP_URL)")
	}
	q := u.Query()
	if q.Get("token") == "" {
		if token == "" {
			return "", errors.New("the token response carries no token")
		}
		q.Set("token", token)
	}
	if path != "" {
		q.Set("path", path)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
