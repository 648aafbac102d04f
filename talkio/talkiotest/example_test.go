package talkiotest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"talkio-gateway/talkio/talkiotest"
)

// The simulator speaks plain HTTP; package talkio's client is the usual way to talk to it.
func Example() {
	srv := talkiotest.NewServer(talkiotest.Options{
		Provider:      "acme",
		APIKey:        "example-key",
		Organizations: []talkiotest.Organization{{Slug: "acme-school"}},
	})
	defer srv.Close()

	send := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+talkiotest.APIPrefix+"acme-school"+path, strings.NewReader(body))
		req.Header.Set("x-provider", "acme")
		req.Header.Set("x-api-key", "example-key")
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		return res
	}

	res := send("POST", "/users", `{"id":"u1","userName":"Ada","userType":"member"}`)
	res.Body.Close()
	fmt.Println("create:", res.StatusCode)

	res = send("GET", "/users/u1/token", "")
	var tok struct{ LoginLink string }
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()

	page, _ := srv.Client().Get(tok.LoginLink + "&path=app%2Fchat")
	page.Body.Close()
	again, _ := srv.Client().Get(tok.LoginLink)
	again.Body.Close()
	fmt.Println("login:", page.StatusCode, "reuse:", again.StatusCode)
	fmt.Println("token calls:", srv.CallCount(talkiotest.EndpointUserToken))
	// Output:
	// create: 201
	// login: 200 reuse: 401
	// token calls: 1
}
