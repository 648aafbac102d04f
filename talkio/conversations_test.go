package talkio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestListConversations(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/conversations", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"page": {"1"}, "limit": {"10"}, "promptTemplateId": {"books-literature"}})
		writeJSON(w, http.StatusOK, `{"conversations":[{"id":"c1","messages":[]},{"_id":"c2"},{"id":17},{"title":"no id"}],"page":1,"limit":10,"total":4,"totalPages":1}`)
	})
	p, err := c.ListConversations(context.Background(), "u1", &ListConversationsOptions{ListOptions: ListOptions{Page: 1, Limit: 10}, PromptTemplateID: "books-literature"})
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	var ids []string
	for _, cv := range p.Conversations {
		ids = append(ids, cv.ID)
	}
	mustEqual(t, "ids", ids, []string{"c1", "c2", "17", ""})
	if string(p.Conversations[0].Raw) != `{"id":"c1","messages":[]}` {
		t.Errorf("Raw: got %s", p.Conversations[0].Raw)
	}
	mustEqual(t, "pagination", p.Pagination, Pagination{1, 10, 4, 1})
	if !strings.HasPrefix(string(p.Raw), `{"conversations":[{"id":"c1"`) {
		t.Errorf("page Raw: got %s", p.Raw)
	}
}

func TestListConversations_noOptions(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/conversations", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		writeJSON(w, http.StatusOK, `[]`)
	})
	p, err := c.ListConversations(context.Background(), "u1", nil)
	if err != nil || len(p.Conversations) != 0 {
		t.Fatalf("ListConversations: got %+v, %v", p, err)
	}
}

func TestGetConversation(t *testing.T) {
	const body = `{"id":"c1","messages":[{"role":"user","text":"hola"}],"promptTemplateId":"x"}`
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/conversations/{cid}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "u1" || r.PathValue("cid") != "c1" {
			t.Errorf("path values: %q %q", r.PathValue("id"), r.PathValue("cid"))
		}
		writeJSON(w, http.StatusOK, body)
	})
	cv, err := c.GetConversation(context.Background(), "u1", "c1")
	if err != nil {
		t.Fatalf("GetConversation: %v", err)
	}
	if cv.ID != "c1" || string(cv.Raw) != body {
		t.Errorf("conversation: got %+v", cv)
	}
	if b, _ := json.Marshal(cv); string(b) != body {
		t.Errorf("MarshalJSON: got %s", b)
	}
	var bad Conversation
	if err := json.Unmarshal([]byte(`[1]`), &bad); err == nil {
		t.Errorf("array conversation: got no error")
	}
}
