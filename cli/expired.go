package cli

import (
	"context"
	"fmt"
	"strings"

	"talkio-gateway/talkio"
)

var expiredCommand = &command{
	name: "expired",
	help: "Show suspended (expired) users: their account expiry has passed, usage stays\nreadable, and \"sweep\" deletes them after a grace period.",
	sub:  []*command{expiredListCommand, expiredGetCommand},
}

var expiredListCommand = &command{
	name:     "list",
	synopsis: "list [--json]",
	help:     "List every expired user (all pages).",
	maxArgs:  0,
	flags:    jsonOnly,
	run:      runExpiredList,
}

func runExpiredList(ctx context.Context, r *runner, opts any, _ []string) error {
	o := opts.(*jsonFlag)
	users, err := listExpired(ctx, r.client)
	if err != nil {
		return err
	}
	views := make([]userView, len(users))
	for i := range users {
		views[i] = expiredView(&users[i])
	}
	if o.json {
		return writeJSON(r.env.Stdout, views)
	}
	return writeUserTable(r.env.Stdout, views, true)
}

// listExpired reads every page of expired users.
func listExpired(ctx context.Context, c *talkio.Client) ([]talkio.ExpiredUser, error) {
	users := []talkio.ExpiredUser{}
	for u, err := range c.ListExpiredUsersIter(ctx, &talkio.ListOptions{Limit: listPageSize}) {
		if err != nil {
			return nil, fmt.Errorf("list expired users: %w", err)
		}
		users = append(users, u)
	}
	return users, nil
}

var expiredGetCommand = &command{
	name:     "get",
	synopsis: "get ID|EMAIL [--json]",
	args:     "ID|EMAIL",
	help:     "Show one expired user by partner user id or email.",
	minArgs:  1, maxArgs: 1,
	flags: jsonOnly,
	run:   runExpiredGet,
}

func runExpiredGet(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*jsonFlag)
	if strings.TrimSpace(args[0]) == "" {
		return usagef("the user id must not be empty")
	}
	u, err := r.client.GetExpiredUser(ctx, args[0])
	if err != nil {
		return fmt.Errorf("get expired user %q: %w", args[0], err)
	}
	v := expiredView(u)
	// The endpoint also resolves emails: an id never shows another person's record (a pupil whose id is
	// a teacher's email); an argument with an @ may match by email, as with "users get".
	asked := args[0]
	if v.ID != asked {
		if !strings.Contains(asked, "@") || !strings.EqualFold(v.Email, asked) {
			return fmt.Errorf("expired user %q not found: the API answered with another user (id %q), whose email matches; look them up by that id", asked, v.ID)
		}
		fmt.Fprintf(r.env.Stderr, "note: %q matched this user's email; their id is %q\n", asked, v.ID)
	}
	if o.json {
		return writeJSON(r.env.Stdout, v)
	}
	return writeUserDetail(r.env.Stdout, v)
}
