package handlers

import (
	"net/url"
	"testing"

	"talkio-gateway/talkio"
)

// The Talkio login URL is built on every /open and /embed.
func BenchmarkTalkioLoginURL(b *testing.B) {
	app, _ := url.Parse("https://talkio.school.example")
	const token = "byIzoX-eGfNg0E3bndBhLL1MfXuHbG6pReP32quU-to"
	prefix := talkio.NewLoginURL(app)
	for b.Loop() {
		_ = prefix.Build(token, "app/chat?t=books-literature", true)
	}
}

// parseTutorLink validates every /open and /embed query.
func BenchmarkParseTutorLink(b *testing.B) {
	for b.Loop() {
		if _, err := parseTutorLink("template=books-literature&hide_chat_sidebar=true"); err != nil {
			b.Fatal(err)
		}
	}
}
