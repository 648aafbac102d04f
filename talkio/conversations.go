package talkio

import (
	"context"
	"encoding/json"
)

// Conversation is one conversation with its messages and metadata. The docs give no schema: the id is
// decoded ("id", or "_id" when that is all there is) and the whole object is kept in Raw.
type Conversation struct {
	ID  string
	Raw json.RawMessage // the conversation object as received
}

// UnmarshalJSON keeps the object in Raw and picks out its id.
func (cv *Conversation) UnmarshalJSON(data []byte) error {
	*cv = Conversation{Raw: cloneRaw(data)}
	var ids struct {
		ID      json.RawMessage `json:"id"`
		MongoID json.RawMessage `json:"_id"`
	}
	if err := json.Unmarshal(data, &ids); err != nil {
		return err
	}
	for _, raw := range []json.RawMessage{ids.ID, ids.MongoID} {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		// Ids may come as strings or numbers; keep numbers' text.
		if json.Unmarshal(raw, &cv.ID) != nil {
			cv.ID = string(raw)
		}
		break
	}
	return nil
}

// MarshalJSON writes Raw.
func (cv Conversation) MarshalJSON() ([]byte, error) { return rawOrNull(cv.Raw), nil }

// ListConversationsOptions selects a page of ListConversations.
type ListConversationsOptions struct {
	ListOptions
	PromptTemplateID string `url:"promptTemplateId,omitempty"` // prompt template slug
}

// ConversationPage is one page of ListConversations.
type ConversationPage struct {
	Conversations []Conversation `json:"conversations"`
	Pagination
	Extra map[string]json.RawMessage `json:"-"`
	Raw   json.RawMessage            `json:"-"` // the response body as received
}

// UnmarshalJSON accepts {"conversations": […], "page": …} (or "data"/"items") and a bare array.
func (p *ConversationPage) UnmarshalJSON(data []byte) (err error) {
	*p = ConversationPage{Raw: cloneRaw(data)}
	p.Extra, err = decodeList(data, "conversations", &p.Conversations, &p.Pagination)
	return err
}

// ListConversations fetches one page of an active user's conversations.
func (c *Client) ListConversations(ctx context.Context, id string, opts *ListConversationsOptions) (*ConversationPage, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if opts != nil {
		if err := opts.ListOptions.validate(); err != nil {
			return nil, err
		}
	}
	return get[ConversationPage](c, ctx, "/users/{id}/conversations", []string{id}, addOptions(nil, opts))
}

// GetConversation fetches one conversation of a user.
func (c *Client) GetConversation(ctx context.Context, id, conversationID string) (*Conversation, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if err := checkSegment("conversationId", conversationID); err != nil {
		return nil, err
	}
	return get[Conversation](c, ctx, "/users/{id}/conversations/{conversationId}", []string{id, conversationID}, nil)
}
