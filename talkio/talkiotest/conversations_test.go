package talkiotest_test

import (
	"fmt"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

func TestConversations(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	seeded := s.Conversations(orgA, "u1")
	if len(seeded) != 3 {
		t.Fatalf("%d seeded conversations, want 3", len(seeded))
	}
	for i := range 22 {
		tpl := "travel"
		if i%2 == 0 {
			tpl = "books-literature"
		}
		c := talkiotest.Conversation{ID: fmt.Sprintf("c%02d", i), PromptTemplateID: tpl, Title: "T", CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			Messages: []talkiotest.Message{{ID: "m1", Role: "assistant", Content: "Hello", CreatedAt: t0}}}
		if err := s.AddConversation(orgA, "u1", c); err != nil {
			t.Fatal(err)
		}
	}
	countTemplate := func(tpl string) int {
		n := 0
		for _, c := range s.Conversations(orgA, "u1") {
			if c.PromptTemplateID == tpl {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name, query string
		want        int
		wantLen     int
		wantFirst   string
		wantTotal   int
	}{
		{"defaults", "", 200, 10, seeded[0].ID, 25},
		{"page 3", "?page=3", 200, 5, "c17", 25},
		{"page 4", "?page=4", 200, 0, "", 25},
		{"limit 25", "?limit=25", 200, 25, seeded[0].ID, 25},
		{"template", "?promptTemplateId=books-literature&limit=100", 200, countTemplate("books-literature"), "", countTemplate("books-literature")},
		{"unknown template", "?promptTemplateId=nope", 200, 0, "", 0},
		{"limit 9", "?limit=9", 400, 0, "", 0},
		{"limit 101", "?limit=101", 400, 0, "", 0},
		{"page 0", "?page=0", 400, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, s, "GET", orgA, "/users/u1/conversations"+tt.query, "")
			mustStatus(t, r, tt.want)
			if tt.want != 200 {
				return
			}
			m := r.obj(t)
			list := m["conversations"].([]any)
			if len(list) != tt.wantLen || m["total"] != float64(tt.wantTotal) {
				t.Fatalf("%d items, total %v; want %d, %d", len(list), m["total"], tt.wantLen, tt.wantTotal)
			}
			if tt.wantFirst != "" && list[0].(map[string]any)["id"] != tt.wantFirst {
				t.Errorf("first %v, want %s", list[0], tt.wantFirst)
			}
			for _, it := range list {
				c := it.(map[string]any)
				for _, k := range []string{"id", "promptTemplateId", "title", "createdAt", "messageCount"} {
					if _, ok := c[k]; !ok {
						t.Errorf("item lacks %s: %v", k, c)
					}
				}
			}
		})
	}

	one := api(t, s, "GET", orgA, "/users/u1/conversations/"+seeded[1].ID, "")
	mustStatus(t, one, 200)
	m := one.obj(t)
	msgs := m["messages"].([]any)
	if m["id"] != seeded[1].ID || m["userId"] != "u1" || len(msgs) != len(seeded[1].Messages) || len(msgs) < 2 {
		t.Fatalf("conversation %s", one.Body)
	}
	first := msgs[0].(map[string]any)
	if first["role"] != "assistant" || first["content"] == "" || first["createdAt"] == "" {
		t.Errorf("message %v", first)
	}
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/conversations/nope", ""), 404)
	mustStatus(t, api(t, s, "GET", orgA, "/users/nobody/conversations", ""), 404)
	mustStatus(t, api(t, s, "GET", orgA, "/users/nobody/conversations/c01", ""), 404)

	// seeded conversations are a function of the user id
	other := newServer(t)
	mustAddUser(t, other, orgB, userU1)
	if got := other.Conversations(orgB, "u1"); got[0].ID != seeded[0].ID || got[0].PromptTemplateID != seeded[0].PromptTemplateID {
		t.Error("seeded conversations differ between simulators")
	}

	// conversations of a suspended user are gone from the API
	mustStatus(t, api(t, s, "PUT", orgA, "/users/u1", `{"accountExpiresAt":"2026-01-01T00:00:00Z"}`), 200)
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/conversations/"+seeded[1].ID, ""), 404)
}
