// Package talkiotest provides an in-memory Talkio Partner API v3 and a stand-in Talkio app page, for tests
// and for the gateway's demo mode. It is shaped like net/http/httptest:
//
//	srv := talkiotest.NewServer(talkiotest.Options{
//		Provider: "acme",
//		APIKey:   "test-key",
//		Organizations: []talkiotest.Organization{
//			{Slug: "acme-school", Partner: "acme"},
//			{Slug: "acme-college", Partner: "acme"},
//		},
//	})
//	defer srv.Close()
//
//	client, _ := talkio.NewClient(srv.URL, "acme", "test-key", talkio.WithOrganization("acme-school"))
//	_, err := client.CreateUser(ctx, &talkio.CreateUserRequest{ID: "u1", UserName: "Ada", UserType: "member"})
//	tok, err := client.UserToken(ctx, "u1")
//	// tok.LoginLink opens the stand-in app page at srv.URL + "/authentication/partner/?token=…"
//
//	srv.CallCount(talkiotest.EndpointUserToken) // 1
//	srv.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: 503, FailFirst: 1})
//
// The simulator is an independent implementation of the Partner API documentation (it shares no code with
// package talkio), so that it catches client bugs rather than repeating them.
//
// # What it serves
//
// Under /api/partner/v3/organizations/{organization-slug} it serves every endpoint of the documentation:
// users (create, invite, get by id or email, list, partial update, delete, token), settings, expired users,
// daily and monthly stats, the weekly assessment, conversations, the organization preference and the two
// legacy usage endpoints. Outside the API it serves the stand-in app page at /authentication/partner/ and,
// after a sign-in there, simple pages under /app/.
//
// Requests are checked in this order: unknown route 404, wrong method 405 (with Allow), missing or wrong
// x-provider / x-api-key 401, unknown organization 404, then the endpoint's own validation (400), unknown
// user 404 and conflicts 409. Error bodies are {"message": "…", "statusCode": N}; every response carries
// an x-request-id header.
//
// # Decisions where the documentation is silent
//
//   - Request bodies need Content-Type: application/json and must be JSON objects (at most 1 MiB, else
//     413); properties the documentation does not list for an endpoint are rejected with 400 ("property
//     x should not exist"), so a misspelt field name in a client is caught. Every problem of a body or a
//     query is reported in one message, separated by "; ".
//   - Emails are unique per organization (case-insensitive): create, update and invite answer 409 when the
//     email belongs to another user; invite also answers 409 when an invitation for it is pending.
//   - Update is partial: an absent property is unchanged; null or "" clears email, phoneNumber and
//     productId; null clears accountExpiresAt; userName cannot be cleared. An accountExpiresAt at or before
//     now suspends the user at once (it moves to the expired-users endpoints). Create accepts a past
//     accountExpiresAt too, creating a suspended user.
//   - A user is active while accountExpiresAt is absent or after now. Active-only endpoints (get, update,
//     token, settings, conversations, organization preference) answer 404 for a suspended user, or the
//     status Options.ExpiredStatus names for the endpoint (the documentation does not say; 403 and 410
//     are plausible too). Delete, the
//     daily and monthly stats, the weekly assessment and both legacy usage endpoints work for both.
//   - Only GET /users/{id} and GET /expired-users/{id} accept an email instead of the partner id; an exact id
//     match is tried first.
//   - Status codes: create and invite 201, delete 204, other successes 200.
//   - Lists are in creation order with "page", "limit", "total" and "totalPages" (0 for an empty list); a
//     page past the end is an empty list. page must be an integer ≥ 1 and limit an integer in 10..100.
//   - Organization preference: PUT {"organizationSlug": "slug"} answers 400 when the target organization
//     does not belong to the same partner (an organization unknown to the provider counts as another
//     partner's) and 400 when the user is not an active member of it; {"organizationSlug": null} clears the
//     preference. The preference belongs to the person (partner + user id), so every organization of the
//     partner reports the same one; deleting the user from the preferred organization clears it.
//   - Settings: the ten documented fields, typed; languages must look like BCP 47 tags, readAloudSpeed is a
//     number in (0, 10], strings must not be empty, null is refused (settings cannot be cleared).
//   - Stats, assessments and conversations are deterministic functions of the user id and the date, so
//     tests can compare them; days after "now" (in the requested timezone) show no activity. Three
//     conversations are seeded for every new user; AddConversation seeds more.
//   - An invitation creates no user; Invitations lists them.
//
// # Links and mounting
//
// The login link of a token is <app base>/authentication/partner/?token=…, where the app base is
// Options.AppURL when set. Otherwise it is derived from the request that asked for the token: scheme
// (X-Forwarded-Proto, else TLS), host (X-Forwarded-Host, else Host) and path prefix (X-Forwarded-Prefix,
// else the part of the request URI that http.StripPrefix removed). So a Handler mounted with
// http.StripPrefix("/_talkio", h) produces links under /_talkio without configuration, while a gateway
// that reaches the simulator over a private address must set AppURL to the address browsers use.
//
// # The stand-in app page
//
// GET /authentication/partner/?token=T&path=P accepts only tokens this simulator issued, unexpired and not
// used before (each is single use). It answers a small HTML page naming the user and showing the exact
// path value and whether hide-chat-sidebar=true was given, in elements with the ids user-id, user-name,
// user-type, organization, path and hide-chat-sidebar. Any other token gets a 401 page whose element
// "reason" says why (missing, unknown, expired, used, inactive); a token is unexpired while now is before
// its expiresAt. Pages under /app/ without a session answer 401 with reason no-session. The page can be framed (no
// X-Frame-Options, no frame-ancestors). A successful sign-in sets one HttpOnly session cookie so that the
// "Continue" link to /app/… can show who is signed in.
//
// # Faults and recorded calls
//
// Every request is recorded as a Call (with the x-api-key and x-provider values redacted) before its
// response is written, so a test may assert on Calls right after its client returns. Inject adds a Fault
// per endpoint template such as EndpointUserToken ("GET /users/{id}/token"); the placeholder names in
// templates do not matter, a template without a method matches every method, and "*" matches every API
// request (the app pages only when named). Faults act before authentication, like a proxy in front of
// the API would.
package talkiotest
