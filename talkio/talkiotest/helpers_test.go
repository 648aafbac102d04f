package talkiotest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"talkio-gateway/internal/testutil"
	"talkio-gateway/talkio/talkiotest"
)

const (
	testProvider = "acme"
	testKey      = "s3cret-api-key-value"
	orgA         = "acme-school"
	orgB         = "acme-college"
	orgOther     = "other-school"
)

// t0 is the simulator's frozen "now" in most tests.
var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func newServer(tb testing.TB) *talkiotest.Server {
	tb.Helper()
	s := talkiotest.NewServer(talkiotest.Options{
		Provider: testProvider,
		APIKey:   testKey,
		Organizations: []talkiotest.Organization{
			{Slug: orgA, Partner: "acme", Name: "Acme School"},
			{Slug: orgB, Partner: "acme"},
			{Slug: orgOther, Partner: "other"},
		},
	})
	s.SetNow(t0)
	tb.Cleanup(s.Close)
	return s
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) obj(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

// message is the error message of a JSON error body.
func (r resp) message(tb testing.TB) string {
	tb.Helper()
	m := r.obj(tb)
	if got, want := m["statusCode"], float64(r.Status); got != want {
		tb.Errorf("statusCode in body = %v, want %v", got, want)
	}
	msg, _ := m["message"].(string)
	return msg
}

// orgURL is the URL of a path under an organization's API base.
func orgURL(s *talkiotest.Server, org, rest string) string {
	return s.URL + talkiotest.APIPrefix + org + rest
}

// do sends a request with the right credentials (unless hdr overrides them; "" deletes a header).
func do(tb testing.TB, s *talkiotest.Server, method, url, body string, hdr ...string) resp {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("x-provider", testProvider)
	req.Header.Set("x-api-key", testKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := s.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if res.Header.Get("x-request-id") == "" {
		tb.Errorf("%s %s: no x-request-id header", method, url)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// api is do on an organization path.
func api(tb testing.TB, s *talkiotest.Server, method, org, rest, body string, hdr ...string) resp {
	tb.Helper()
	return do(tb, s, method, orgURL(s, org, rest), body, hdr...)
}

func mustStatus(tb testing.TB, r resp, want int) {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status %d, want %d; body %s", r.Status, want, r.Body)
	}
}

func mustAddUser(tb testing.TB, s *talkiotest.Server, org string, u talkiotest.User) {
	tb.Helper()
	if err := s.AddUser(org, u); err != nil {
		tb.Fatalf("AddUser(%s, %s): %v", org, u.ID, err)
	}
}

func ptr[T any](v T) *T { return &v }

// elementTexts parses an HTML page and returns the text of every element with an id.
func elementTexts(tb testing.TB, page []byte) map[string]string {
	tb.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	text := testutil.Text
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "id" {
					out[a.Val] = text(n)
				}
				if a.Key == "href" && n.Data == "a" {
					out["href:"+attrID(n)] = a.Val
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func attrID(n *html.Node) string {
	for _, a := range n.Attr {
		if a.Key == "id" {
			return a.Val
		}
	}
	return ""
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
