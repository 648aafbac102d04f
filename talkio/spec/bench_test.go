package spec

import (
	"net/url"
	"testing"
)

// The Talkio login URL is built on every /open and /embed.
func BenchmarkLoginURL(b *testing.B) {
	app, _ := url.Parse("https://talkio.school.example")
	const token = "byIzoX-eGfNg0E3bndBhLL1MfXuHbG6pReP32quU-to"
	prefix := NewLoginURL(app)
	for b.Loop() {
		_ = prefix.Build(token, "app/chat?t=books-literature", true)
	}
}

// AppPath runs on every /open and /embed with a path.
func BenchmarkAppPath(b *testing.B) {
	for b.Loop() {
		if _, err := AppPath("app/chat?t=books-literature&x=%2541", ""); err != nil {
			b.Fatal(err)
		}
	}
}
