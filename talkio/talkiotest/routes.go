package talkiotest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Endpoint templates, relative to /api/partner/v3/organizations/{organization-slug}. Calls carry them in
// Call.Endpoint and Inject and CallCount take them. Placeholder names are free: "{week}" matches
// "{target-week}".
const (
	EndpointCreateUser        = "POST /users"
	EndpointInviteUser        = "POST /users/invite"
	EndpointListUsers         = "GET /users"
	EndpointGetUser           = "GET /users/{id}"
	EndpointUpdateUser        = "PUT /users/{id}"
	EndpointDeleteUser        = "DELETE /users/{id}"
	EndpointUserToken         = "GET /users/{id}/token"
	EndpointGetSettings       = "GET /users/{id}/settings"
	EndpointUpdateSettings    = "PUT /users/{id}/settings"
	EndpointListExpiredUsers  = "GET /expired-users"
	EndpointGetExpiredUser    = "GET /expired-users/{id}"
	EndpointDailyStats        = "GET /users/{id}/usage/stats"
	EndpointMonthlyStats      = "GET /users/{id}/usage/monthly-stats"
	EndpointWeeklyAssessment  = "GET /users/{id}/weekly-assessment/{target-week}"
	EndpointListConversations = "GET /users/{id}/conversations"
	EndpointGetConversation   = "GET /users/{id}/conversations/{conversation-id}"
	EndpointGetOrgPreference  = "GET /users/{id}/organization-preference"
	EndpointSetOrgPreference  = "PUT /users/{id}/organization-preference"
	EndpointUsage             = "GET /users/{id}/{target-month}"
	EndpointUsageDuration     = "GET /users/{id}/usage/duration"
	EndpointAppLogin          = "GET /authentication/partner/"
	EndpointAppPage           = "GET /app/{path}"
)

const (
	endpointAll                = "*"            // every API request, in Inject and CallCount
	monthSegmentPlaceholderKey = "target-month" // the legacy usage segment, constrained to YYYY-MM
)

type route struct {
	method   string
	segs     []string // literal, or {name}
	endpoint string
	handle   func(h *Handler, rc *reqCtx) reply
}

var monthShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)

var routes = func() []*route {
	def := func(endpoint string, f func(h *Handler, rc *reqCtx) reply) *route {
		method, path, _ := strings.Cut(endpoint, " ")
		return &route{method: method, segs: strings.Split(strings.TrimPrefix(path, "/"), "/"), endpoint: endpoint, handle: f}
	}
	return []*route{
		def(EndpointCreateUser, (*Handler).createUser),
		def(EndpointInviteUser, (*Handler).inviteUser),
		def(EndpointListUsers, (*Handler).listUsers),
		def(EndpointGetUser, (*Handler).getUser),
		def(EndpointUpdateUser, (*Handler).updateUser),
		def(EndpointDeleteUser, (*Handler).deleteUser),
		def(EndpointUserToken, (*Handler).userToken),
		def(EndpointGetSettings, (*Handler).getSettings),
		def(EndpointUpdateSettings, (*Handler).updateSettings),
		def(EndpointListExpiredUsers, (*Handler).listExpiredUsers),
		def(EndpointGetExpiredUser, (*Handler).getExpiredUser),
		def(EndpointDailyStats, (*Handler).dailyStats),
		def(EndpointMonthlyStats, (*Handler).monthlyStats),
		def(EndpointWeeklyAssessment, (*Handler).weeklyAssessment),
		def(EndpointListConversations, (*Handler).listConversations),
		def(EndpointGetConversation, (*Handler).getConversation),
		def(EndpointGetOrgPreference, (*Handler).getOrgPreference),
		def(EndpointSetOrgPreference, (*Handler).setOrgPreference),
		def(EndpointUsage, (*Handler).legacyUsage),
		def(EndpointUsageDuration, (*Handler).usageDuration),
	}
}()

type routeMatch struct {
	endpoint string   // template of the matched route; "" when none
	api      bool     // under APIPrefix
	route    *route   // nil: not found, or wrong method when allow is set
	allow    []string // methods of routes whose path matches
	org      string
	params   map[string]string
	app      func(h *Handler, w http.ResponseWriter, r *http.Request)
}

// match finds the route: among the routes whose path matches, the most specific for the method
// (literal segments beat the YYYY-MM segment of the legacy usage route, which beats other placeholders).
func (h *Handler) match(r *http.Request) routeMatch {
	p := r.URL.EscapedPath()
	switch {
	case p == "/authentication/partner/" || p == "/authentication/partner":
		return appMatch(r, EndpointAppLogin, (*Handler).appLogin)
	case p == "/app" || strings.HasPrefix(p, "/app/"):
		return appMatch(r, EndpointAppPage, (*Handler).appPage)
	case !strings.HasPrefix(p, APIPrefix):
		return routeMatch{}
	}
	raw := strings.Split(strings.TrimPrefix(p, APIPrefix), "/")
	if len(raw) > 2 && raw[len(raw)-1] == "" { // one trailing slash is tolerated
		raw = raw[:len(raw)-1]
	}
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return routeMatch{api: true}
		}
		segs[i] = u
	}
	m := routeMatch{api: true, org: segs[0]}
	best, bestScore := (*route)(nil), []int(nil)
	var bestParams map[string]string
	for _, rt := range routes {
		params, score, ok := rt.matchPath(segs[1:])
		if !ok {
			continue
		}
		if !slices.Contains(m.allow, rt.method) {
			m.allow = append(m.allow, rt.method)
		}
		if rt.method != r.Method {
			continue
		}
		if best == nil || slices.Compare(score, bestScore) > 0 {
			best, bestScore, bestParams = rt, score, params
		}
	}
	slices.Sort(m.allow)
	if best != nil {
		m.route, m.endpoint, m.params = best, best.endpoint, bestParams
	}
	return m
}

func (rt *route) matchPath(segs []string) (map[string]string, []int, bool) {
	if len(segs) != len(rt.segs) {
		return nil, nil, false
	}
	params := map[string]string{}
	score := make([]int, len(segs))
	for i, want := range rt.segs {
		name, isParam := strings.CutPrefix(want, "{")
		if !isParam {
			if segs[i] != want {
				return nil, nil, false
			}
			score[i] = 2
			continue
		}
		name = strings.TrimSuffix(name, "}")
		if name == monthSegmentPlaceholderKey {
			if !monthShape.MatchString(segs[i]) {
				return nil, nil, false
			}
			score[i] = 1
		}
		params[name] = segs[i]
	}
	return params, score, true
}

func appMatch(r *http.Request, endpoint string, f func(h *Handler, w http.ResponseWriter, r *http.Request)) routeMatch {
	if r.Method != http.MethodGet {
		return routeMatch{allow: []string{http.MethodGet}}
	}
	return routeMatch{endpoint: endpoint, app: f}
}

// canonicalEndpoint normalises a template for comparison: method upper-case, placeholders anonymous,
// no trailing slash.
func canonicalEndpoint(ep string) (method, path string) {
	ep = strings.TrimSpace(ep)
	if m, p, ok := strings.Cut(ep, " "); ok {
		method, ep = strings.ToUpper(m), strings.TrimSpace(p)
	}
	segs := strings.Split(strings.Trim(ep, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "{}"
		}
	}
	return method, "/" + strings.Join(segs, "/")
}

// endpointMatches reports whether the pattern (a template, a template without method, or "*") names the
// request with this method and matched template. "*" matches API requests only.
func endpointMatches(pattern, method, endpoint string, api bool) bool {
	if strings.TrimSpace(pattern) == endpointAll {
		return api
	}
	if endpoint == "" {
		return false
	}
	pm, pp := canonicalEndpoint(pattern)
	_, ep := canonicalEndpoint(endpoint)
	return pp == ep && (pm == "" || pm == method)
}
