package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/spec"
)

type conversationsOpts struct {
	jsonFlag
	template string
}

var conversationsCommand = &command{
	name:     "conversations",
	synopsis: "conversations ID [CONVERSATION_ID] [--template slug] [--json]",
	args:     "ID [CONVERSATION_ID]",
	help: "List an active user's conversations (all pages), or show one conversation with\n" +
		"its messages. --json prints the API's objects as received.",
	minArgs: 1, maxArgs: 2,
	flags: func(fs *flag.FlagSet) any {
		o := &conversationsOpts{}
		addJSON(fs, &o.jsonFlag)
		fs.StringVar(&o.template, "template", "", "only conversations of this prompt template `slug`")
		return o
	},
	run: runConversations,
}

// maxConversationPages stops a listing whose server never reports its end
// (no totalPages, always full pages) from running forever.
const maxConversationPages = 1000

func runConversations(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*conversationsOpts)
	id := args[0]
	if strings.TrimSpace(id) == "" {
		return usagef("the user id must not be empty")
	}
	if o.template != "" && !spec.ValidTemplate(o.template) {
		return usagef("--template: %s", spec.TemplateProblem)
	}
	if len(args) == 2 {
		if o.template != "" {
			return usagef("--template filters a list; it cannot be used with CONVERSATION_ID")
		}
		return r.showConversation(ctx, o, id, args[1])
	}

	convs := []talkio.Conversation{}
	lo := &talkio.ListConversationsOptions{ListOptions: talkio.ListOptions{Limit: listPageSize}, PromptTemplateID: o.template}
	for page := 1; page <= maxConversationPages; page++ {
		lo.Page = page
		p, err := r.client.ListConversations(ctx, id, lo)
		if err != nil {
			return fmt.Errorf("list conversations of %q: %w", id, err)
		}
		convs = append(convs, p.Conversations...)
		if len(p.Conversations) < listPageSize || (p.TotalPages > 0 && page >= p.TotalPages) {
			break
		}
	}
	if o.json {
		return writeJSON(r.env.Stdout, convs)
	}
	t := newTable(r.env.Stdout, "ID", "TEMPLATE", "TITLE", "CREATED", "MINUTES", "MESSAGES")
	for _, c := range convs {
		f := fields(c.Raw)
		t.row(c.ID, f.str("promptTemplateId", "templateId"), f.str("title", "name"), f.str("createdAt"),
			f.minutes("durationSeconds"), f.count("messageCount", "messages"))
	}
	return t.flush()
}

func (r *runner) showConversation(ctx context.Context, o *conversationsOpts, id, convID string) error {
	if strings.TrimSpace(convID) == "" {
		return usagef("the conversation id must not be empty")
	}
	c, err := r.client.GetConversation(ctx, id, convID)
	if err != nil {
		return fmt.Errorf("get conversation %q of %q: %w", convID, id, err)
	}
	if o.json {
		return writeJSON(r.env.Stdout, c)
	}
	f := fields(c.Raw)
	t := newTable(r.env.Stdout)
	t.row("id", c.ID)
	t.row("template", f.str("promptTemplateId", "templateId"))
	t.row("title", f.str("title", "name"))
	t.row("created", f.str("createdAt"))
	t.row("minutes", f.minutes("durationSeconds"))
	if err := t.flush(); err != nil {
		return err
	}
	var msgs []map[string]json.RawMessage
	if json.Unmarshal(f["messages"], &msgs) != nil || len(msgs) == 0 {
		return nil
	}
	fmt.Fprintln(r.env.Stdout)
	t = newTable(r.env.Stdout, "TIME", "ROLE", "MESSAGE")
	for _, m := range msgs {
		mf := rawFields(m)
		t.row(mf.str("createdAt"), mf.str("role"), mf.str("content", "text"))
	}
	return t.flush()
}

// rawFields reads a few well-known fields from an object the docs give no
// schema for; absent or oddly typed fields read as "".
type rawFields map[string]json.RawMessage

func fields(raw json.RawMessage) rawFields {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}

func (f rawFields) str(names ...string) string {
	for _, n := range names {
		var s string
		if json.Unmarshal(f[n], &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

func (f rawFields) minutes(name string) string {
	var sec float64
	if json.Unmarshal(f[name], &sec) != nil {
		return ""
	}
	return minutes(sec)
}

// count reads a number field, or the length of a list field, whichever of
// names comes first.
func (f rawFields) count(names ...string) string {
	for _, n := range names {
		var num float64
		if json.Unmarshal(f[n], &num) == nil {
			return strconv.FormatFloat(num, 'f', -1, 64)
		}
		var list []json.RawMessage
		if json.Unmarshal(f[n], &list) == nil && list != nil {
			return strconv.Itoa(len(list))
		}
	}
	return ""
}
