package talkio_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// This example provisions a user on first sign-in and fetches a fresh login token, against the
// simulator.
func Example() {
	srv := talkiotest.NewServer(talkiotest.Options{Provider: "acme", APIKey: "example-key",
		Organizations: []talkiotest.Organization{{Slug: "acme-school"}},
		Now:           func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	defer srv.Close()

	client, err := talkio.NewClient(srv.URL, "acme", "example-key", talkio.WithOrganization("acme-school"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for range 2 { // the second create finds the user: a conflict means it exists
		_, err := client.CreateUser(ctx, &talkio.CreateUserRequest{ID: "user-1", UserName: "Ada", UserType: talkio.UserTypeMember})
		switch {
		case errors.Is(err, talkio.ErrConflict):
			fmt.Println("exists")
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Println("created")
		}
	}
	tok, err := client.UserToken(ctx, "user-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Token != "", tok) // the token itself never prints
	// Output:
	// created
	// exists
	// true talkio.Token{Token: [redacted], ExpiresAt: 2026-01-02T03:09:05Z, LoginLink: [redacted]}
}
