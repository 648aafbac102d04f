package lti_test

import (
	"crypto/rand"
	"crypto/rsa"
	"log"
	"net/http"
	"net/url"

	"talkio-gateway/demo/lms"
	"talkio-gateway/lti"
	"talkio-gateway/provision"
)

// How demo mode mounts the tool and the stand-in platform on one gateway: the platform at /lms/ (its
// course page), the tool at /lti/, the platform's registration given to the tool.
func ExampleNew() {
	public, _ := url.Parse("http://localhost:8080")
	app, _ := url.Parse("http://localhost:8080/_talkio")
	var prov *provision.Provisioner // provision.New(…) with the Partner API client (the simulator's, in demo mode)

	platform, err := lms.New(lms.Options{BaseURL: public.String() + "/lms", ToolURL: public.String()})
	if err != nil {
		log.Fatal(err)
	}
	toolKey, err := rsa.GenerateKey(rand.Reader, 2048) // LTI_TOOL_KEY outside demo mode
	if err != nil {
		log.Fatal(err)
	}
	tool, err := lti.New(lti.Options{
		Platforms:    []lti.Platform{platform.Platform()}, // LTI_PLATFORMS
		ToolKeys:     []*rsa.PrivateKey{toolKey},
		Templates:    []lti.Template{{Slug: "books-literature", Title: "Books & Literature"}}, // LTI_TEMPLATES
		PublicURL:    public,                                                                  // GATEWAY_PUBLIC_URL
		TalkioAppURL: app,                                                                     // TALKIO_APP_URL
		Provisioner:  prov,
		IDRule:       provision.IDRule{}, // from TALKIO_USER_ID_MODE / TALKIO_USER_ID_KEY
		Demo:         true,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/lti/", tool)
	mux.Handle("/lms/", platform)
}
