package handlers

import "testing"

// parseTutorLink validates every /open and /embed query. (The login URL's
// benchmark is talkio/spec's BenchmarkLoginURL.)
func BenchmarkParseTutorLink(b *testing.B) {
	for b.Loop() {
		if _, err := parseTutorLink("template=books-literature&hide_chat_sidebar=true"); err != nil {
			b.Fatal(err)
		}
	}
}
