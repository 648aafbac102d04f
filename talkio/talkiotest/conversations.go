package talkiotest

import "net/http"

type wireConversationSummary struct {
	ID               string `json:"id"`
	PromptTemplateID string `json:"promptTemplateId"`
	Title            string `json:"title"`
	CreatedAt        string `json:"createdAt"`
	DurationSeconds  int    `json:"durationSeconds"`
	MessageCount     int    `json:"messageCount"`
}

type wireMessage struct {
	ID        string `json:"id"`
	Role      string `json:"role"`
	Content   string `json:"content"`
	CreatedAt string `json:"createdAt"`
}

type wireConversation struct {
	wireConversationSummary
	UserID   string        `json:"userId"`
	Messages []wireMessage `json:"messages"`
}

type conversationsPage struct {
	Conversations []wireConversationSummary `json:"conversations"`
	pageInfo
}

func toWireSummary(c Conversation) wireConversationSummary {
	return wireConversationSummary{
		ID: c.ID, PromptTemplateID: c.PromptTemplateID, Title: c.Title, CreatedAt: fmtTime(c.CreatedAt),
		DurationSeconds: c.DurationSeconds, MessageCount: len(c.Messages),
	}
}

// listConversations handles "GET /users/{id}/conversations": summaries without messages.
func (h *Handler) listConversations(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	q := newQuery(rc.r)
	page, limit := q.paging()
	if bad := q.err(); bad != nil {
		return *bad
	}
	tpl := q.v.Get("promptTemplateId")
	var all []wireConversationSummary
	for _, c := range u.convs {
		if tpl == "" || c.PromptTemplateID == tpl {
			all = append(all, toWireSummary(c))
		}
	}
	items, total, pages := paginate(all, page, limit)
	return reply{status: http.StatusOK, body: conversationsPage{Conversations: items, pageInfo: pageInfo{page, limit, total, pages}}}
}

// getConversation handles "GET /users/{id}/conversations/{conversation-id}": one with its messages.
func (h *Handler) getConversation(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	id := rc.params["conversation-id"]
	for _, c := range u.convs {
		if c.ID != id {
			continue
		}
		out := wireConversation{wireConversationSummary: toWireSummary(c), UserID: u.ID, Messages: []wireMessage{}}
		for _, m := range c.Messages {
			out.Messages = append(out.Messages, wireMessage{ID: m.ID, Role: m.Role, Content: m.Content, CreatedAt: fmtTime(m.CreatedAt)})
		}
		return reply{status: http.StatusOK, body: out}
	}
	return errorReply(http.StatusNotFound, "conversation %q not found", id)
}
