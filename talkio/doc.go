// Package talkio is a client for the Talkio Partner API v3
// (/api/partner/v3/organizations/{organization-slug}/…): users, invitations, login tokens, settings,
// expired users, usage statistics, conversations and organization preferences.
//
// Usage:
//
//	client, err := talkio.NewClient("https://api.talkio.example", provider, apiKey,
//		talkio.WithOrganization("partner-example-school"))
//	if err != nil {
//		return err
//	}
//	_, err = client.CreateUser(ctx, &talkio.CreateUserRequest{
//		ID: "user-1", UserName: "User 1", UserType: talkio.UserTypeMember,
//	})
//	if err != nil && !errors.Is(err, talkio.ErrConflict) { // a conflict: the user exists already
//		return err
//	}
//	tok, err := client.UserToken(ctx, "user-1")
//	if err != nil {
//		return err
//	}
//	http.Redirect(w, r, tok.LoginLink, http.StatusFound) // never log or store tok
//
// Every method takes a context first and checks its arguments against the documented constraints
// before sending anything (a *ValidationError names the field). Failed calls return an *Error that
// errors.Is matches against ErrNotFound, ErrConflict, ErrUnauthorized, ErrRateLimited, ErrUnavailable
// and ErrBadRequest. GET, PUT and DELETE are retried on 429, 502, 503, 504 and connection errors with
// jittered exponential backoff (honouring Retry-After), never past the context's deadline; POST is
// never retried.
//
// The API key and provider id are sent as headers and never appear in an error, a String() or a %v.
// Responses keep what the docs do not describe: undocumented fields in Extra maps, and the whole body in
// Raw where the docs give no schema.
//
// Time zone names are checked with time.LoadLocation; a program deployed without a zoneinfo database
// (scratch or distroless images) should import _ "time/tzdata".
package talkio
