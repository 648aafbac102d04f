package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"talkio-gateway/talkio"
)

// listPageSize is the page size used when paging through lists: the
// documented maximum, so an organization costs as few calls as possible.
const listPageSize = 100

var usersCommand = &command{
	name: "users",
	help: "Manage active users of the Talkio organization.",
	sub: []*command{
		usersListCommand, usersGetCommand, usersIDCommand, usersDeleteCommand, usersInviteCommand,
		usersLinkCommand, usersSettingsCommand, usersOffboardCommand,
	},
}

type jsonFlag struct{ json bool }

func addJSON(fs *flag.FlagSet, o *jsonFlag) {
	fs.BoolVar(&o.json, "json", false, "print one JSON document instead of a table")
}

// jsonOnly is the flags of a command whose one flag is --json.
func jsonOnly(fs *flag.FlagSet) any {
	o := &jsonFlag{}
	addJSON(fs, o)
	return o
}

// subjectFlag is --subject: naming a person by their identity provider's subject instead of their
// Talkio id, which in pseudonymous mode nobody can read off anything.
type subjectFlag struct{ subject string }

func addSubject(fs *flag.FlagSet, o *subjectFlag) {
	fs.StringVar(&o.subject, "subject", "", "the person's `subject` at the identity provider (their CLAIM_USER_ID value) instead of ID;\n"+
		"the Talkio id is derived by the configured id rule, as at sign-in")
}

// subjectHelp is the sentence every command taking --subject adds to its help.
const subjectHelp = "\nGive the Talkio ID, or --subject SUBJECT to name the person by their provider id."

// userID returns the Talkio id a command acts on: the ID argument, or the id rule applied to --subject.
func (r *runner) userID(args []string, o subjectFlag, argName string) (string, error) {
	switch {
	case len(args) > 0 && o.subject != "":
		return "", usagef("give ID or --subject, not both")
	case o.subject != "":
		return r.subjectID(o.subject)
	case len(args) == 0:
		return "", usagef("missing argument: %s (or --subject SUBJECT)", argName)
	case strings.TrimSpace(args[0]) == "":
		return "", usagef("the user id must not be empty")
	}
	return args[0], nil
}

// subjectID is the Talkio id of the person the configured provider knows as subject.
func (r *runner) subjectID(subject string) (string, error) {
	if strings.TrimSpace(subject) == "" {
		return "", usagef("the subject must not be empty")
	}
	if r.env.IDRule.Pseudonymous() && r.env.Issuer == "" {
		return "", errors.New("pseudonymous ids are derived from the provider's issuer, and none is configured (OIDC_ISSUER)")
	}
	return r.env.IDRule.UserID(r.env.Issuer, subject), nil
}

// users id

var usersIDCommand = &command{
	name:     "id",
	synopsis: "id SUBJECT",
	args:     "SUBJECT",
	help: "Print the Talkio user id of the person the identity provider knows as SUBJECT (the\n" +
		"CLAIM_USER_ID value). With TALKIO_USER_ID_MODE=pseudonymous it is the keyed hash sign-in\n" +
		"sends to Talkio; in claim mode it is SUBJECT unchanged. It makes no API call.",
	minArgs: 1, maxArgs: 1,
	run: func(_ context.Context, r *runner, _ any, args []string) error {
		id, err := r.subjectID(args[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(r.env.Stdout, id)
		return nil
	},
}

// users list

type usersListOpts struct {
	jsonFlag
	userType string
}

var usersListCommand = &command{
	name:     "list",
	synopsis: "list [--type member|facilitator] [--json]",
	help:     "List every active user (all pages).",
	maxArgs:  0,
	flags: func(fs *flag.FlagSet) any {
		o := &usersListOpts{}
		addJSON(fs, &o.jsonFlag)
		fs.StringVar(&o.userType, "type", "", "only users of this `type`: member or facilitator")
		return o
	},
	run: runUsersList,
}

func runUsersList(ctx context.Context, r *runner, opts any, _ []string) error {
	o := opts.(*usersListOpts)
	switch o.userType {
	case "", talkio.UserTypeMember, talkio.UserTypeFacilitator:
	default:
		return usagef("--type: %q is not member or facilitator", o.userType)
	}
	lo := &talkio.ListUsersOptions{ListOptions: talkio.ListOptions{Limit: listPageSize}, UserType: o.userType}
	users := []userView{}
	for u, err := range r.client.ListUsersIter(ctx, lo) {
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		users = append(users, activeView(&u))
	}
	if o.json {
		return writeJSON(r.env.Stdout, users)
	}
	return writeUserTable(r.env.Stdout, users, false)
}

// users get

type usersGetOpts struct {
	jsonFlag
	subjectFlag
}

var usersGetCommand = &command{
	name:     "get",
	synopsis: "get ID|EMAIL|--subject SUBJECT [--json]",
	args:     "ID|EMAIL",
	help: "Show one user, active or expired, by Talkio user id, email or provider subject.\n" +
		"Only a user whose id is the one asked for is shown: the API also matches emails, so an\n" +
		"argument with an @ is taken as an id or an email, and a user found by email is shown with\n" +
		"a note giving their id. An argument without @, and --subject, match ids only.",
	minArgs: 0, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersGetOpts{}
		addJSON(fs, &o.jsonFlag)
		addSubject(fs, &o.subjectFlag)
		return o
	},
	run: runUsersGet,
}

func runUsersGet(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersGetOpts)
	id, err := r.userID(args, o.subjectFlag, "ID|EMAIL")
	if err != nil {
		return err
	}
	// Only an argument the operator typed, containing an @, is an email lookup; --subject never is.
	byEmail := o.subject == "" && strings.Contains(id, "@")
	v, err := lookupUser(ctx, r.client, id, byEmail)
	if err != nil {
		return err
	}
	if v.ID != id {
		fmt.Fprintf(r.env.Stderr, "note: %q matched this user's email; their id is %q\n", id, v.ID)
	}
	if o.json {
		return writeJSON(r.env.Stdout, v)
	}
	return writeUserDetail(r.env.Stdout, v)
}

// lookupUser finds an active user, then an expired one: support staff asking
// about someone rarely know which list the person is in. Both endpoints also
// resolve emails, so a record whose id is not the one asked for is taken only
// when byEmail is set and its email is the one asked for: never another
// person's record for an id (a pupil whose id is a teacher's email).
func lookupUser(ctx context.Context, c *talkio.Client, idOrEmail string, byEmail bool) (userView, error) {
	matches := func(v userView) bool {
		return v.ID == idOrEmail || byEmail && v.Email != "" && strings.EqualFold(v.Email, idOrEmail)
	}
	mismatch := func(v userView) error {
		return fmt.Errorf("user %q not found: the API answered with another user (id %q), whose email matches; look them up by that id", idOrEmail, v.ID)
	}
	u, err := c.GetUser(ctx, idOrEmail)
	if err == nil {
		v := activeView(u)
		if !matches(v) {
			return userView{}, mismatch(v)
		}
		return v, nil
	}
	if !errors.Is(err, talkio.ErrNotFound) {
		return userView{}, fmt.Errorf("get user %q: %w", idOrEmail, err)
	}
	eu, err := c.GetExpiredUser(ctx, idOrEmail)
	if err != nil {
		if errors.Is(err, talkio.ErrNotFound) {
			return userView{}, fmt.Errorf("user %q not found (neither active nor expired)", idOrEmail)
		}
		return userView{}, fmt.Errorf("get expired user %q: %w", idOrEmail, err)
	}
	v := expiredView(eu)
	if !matches(v) {
		return userView{}, mismatch(v)
	}
	return v, nil
}

// users delete

type usersDeleteOpts struct {
	subjectFlag
	yes bool
}

var usersDeleteCommand = &command{
	name:     "delete",
	synopsis: "delete ID|--subject SUBJECT [--yes]",
	args:     "ID",
	help: "Delete a user (active or expired) for good; billing stops, usage history goes.\n" +
		"Without --yes it asks for confirmation on a terminal and refuses otherwise.\n" +
		"Consider \"users offboard\" first: it suspends the user and keeps usage readable." + subjectHelp,
	minArgs: 0, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersDeleteOpts{}
		fs.BoolVar(&o.yes, "yes", false, "delete without asking")
		addSubject(fs, &o.subjectFlag)
		return o
	},
	run: runUsersDelete,
}

func runUsersDelete(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersDeleteOpts)
	id, err := r.userID(args, o.subjectFlag, "ID")
	if err != nil {
		return err
	}
	if !o.yes {
		if !r.env.IsTerminal || r.env.Stdin == nil {
			return usagef("refusing to delete user %q without --yes (not an interactive terminal)", id)
		}
		fmt.Fprintf(r.env.Stderr, "Delete user %q from organization %q for good? [y/N] ", id, r.client.Organization())
		line, _ := bufio.NewReader(r.env.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return errors.New("not deleted: not confirmed")
		}
	}
	if err := r.client.DeleteUser(ctx, id); err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	fmt.Fprintf(r.env.Stdout, "deleted user %s\n", id)
	return nil
}

// users invite

type usersInviteOpts struct {
	jsonFlag
	expires string
}

var usersInviteCommand = &command{
	name:     "invite",
	synopsis: "invite EMAIL [--expires RFC3339] [--json]",
	args:     "EMAIL",
	help:     "Send a Talkio email invitation (Talkio's own login form, not the gateway).",
	minArgs:  1, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersInviteOpts{}
		addJSON(fs, &o.jsonFlag)
		fs.StringVar(&o.expires, "expires", "", "account expiry, RFC 3339 `time` in the future (e.g. 2027-02-22T19:35:25Z)")
		return o
	},
	run: runUsersInvite,
}

func runUsersInvite(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersInviteOpts)
	email := args[0]
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return usagef("%q is not an email address", email)
	}
	req := &talkio.InviteUserRequest{Email: email}
	if o.expires != "" {
		t, err := time.Parse(time.RFC3339, o.expires)
		if err != nil {
			return usagef("--expires: %q is not an RFC 3339 time (e.g. 2027-02-22T19:35:25Z)", o.expires)
		}
		if !t.After(r.now()) {
			return usagef("--expires: %s is not in the future", o.expires)
		}
		req.AccountExpiresAt = &t
	}
	inv, err := r.client.InviteUser(ctx, req)
	if err != nil {
		return fmt.Errorf("invite %q: %w", email, err)
	}
	if o.json {
		return writeJSON(r.env.Stdout, inv)
	}
	fmt.Fprintf(r.env.Stdout, "invited %s\n", email)
	return nil
}

// users offboard

var usersOffboardCommand = &command{
	name:     "offboard",
	synopsis: "offboard ID|--subject SUBJECT",
	args:     "ID",
	help: "Suspend a user now by setting accountExpiresAt to the current time. The user\n" +
		"moves to the expired list, usage stays readable, and \"sweep --apply\" deletes\n" +
		"the account once the grace period has passed." + subjectHelp,
	minArgs: 0, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &subjectFlag{}
		addSubject(fs, o)
		return o
	},
	run: runUsersOffboard,
}

func runUsersOffboard(ctx context.Context, r *runner, opts any, args []string) error {
	id, err := r.userID(args, *opts.(*subjectFlag), "ID")
	if err != nil {
		return err
	}
	// Milliseconds are what the wire carries; truncating keeps the expiry at
	// or before "now" so the user is suspended at once.
	now := r.now().UTC().Truncate(time.Millisecond)
	if _, err := r.client.UpdateUser(ctx, id, &talkio.UpdateUserRequest{AccountExpiresAt: &now}); err != nil {
		return fmt.Errorf("offboard user %q: %w", id, err)
	}
	fmt.Fprintf(r.env.Stdout, "offboarded user %s: account expired at %s; \"sweep --apply\" deletes it after the grace period\n",
		id, now.Format(time.RFC3339))
	return nil
}
