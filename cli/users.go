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
		usersListCommand, usersGetCommand, usersDeleteCommand, usersInviteCommand,
		usersLinkCommand, usersSettingsCommand, usersOffboardCommand,
	},
}

type jsonFlag struct{ json bool }

func addJSON(fs *flag.FlagSet, o *jsonFlag) {
	fs.BoolVar(&o.json, "json", false, "print one JSON document instead of a table")
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

var usersGetCommand = &command{
	name:     "get",
	synopsis: "get ID|EMAIL [--json]",
	args:     "ID|EMAIL",
	help:     "Show one user, active or expired, by partner user id or email.",
	minArgs:  1, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &jsonFlag{}
		addJSON(fs, o)
		return o
	},
	run: runUsersGet,
}

func runUsersGet(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*jsonFlag)
	v, err := lookupUser(ctx, r.client, args[0])
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(r.env.Stdout, v)
	}
	return writeUserDetail(r.env.Stdout, v)
}

// lookupUser finds an active user, then an expired one: support staff asking
// about someone rarely know which list the person is in.
func lookupUser(ctx context.Context, c *talkio.Client, idOrEmail string) (userView, error) {
	if strings.TrimSpace(idOrEmail) == "" {
		return userView{}, usagef("the user id must not be empty")
	}
	u, err := c.GetUser(ctx, idOrEmail)
	if err == nil {
		return activeView(u), nil
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
	return expiredView(eu), nil
}

// users delete

type usersDeleteOpts struct{ yes bool }

var usersDeleteCommand = &command{
	name:     "delete",
	synopsis: "delete ID [--yes]",
	args:     "ID",
	help: "Delete a user (active or expired) for good; billing stops, usage history goes.\n" +
		"Without --yes it asks for confirmation on a terminal and refuses otherwise.\n" +
		"Consider \"users offboard\" first: it suspends the user and keeps usage readable.",
	minArgs: 1, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersDeleteOpts{}
		fs.BoolVar(&o.yes, "yes", false, "delete without asking")
		return o
	},
	run: runUsersDelete,
}

func runUsersDelete(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersDeleteOpts)
	id := args[0]
	if strings.TrimSpace(id) == "" {
		return usagef("the user id must not be empty")
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
	synopsis: "offboard ID",
	args:     "ID",
	help: "Suspend a user now by setting accountExpiresAt to the current time. The user\n" +
		"moves to the expired list, usage stays readable, and \"sweep --apply\" deletes\n" +
		"the account once the grace period has passed.",
	minArgs: 1, maxArgs: 1,
	run: runUsersOffboard,
}

func runUsersOffboard(ctx context.Context, r *runner, _ any, args []string) error {
	id := args[0]
	if strings.TrimSpace(id) == "" {
		return usagef("the user id must not be empty")
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
