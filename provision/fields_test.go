package provision

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

func TestNeutralName(t *testing.T) {
	a, b := NeutralName("p_abc"), NeutralName("p_abd")
	if a != NeutralName("p_abc") || a == b || !strings.HasPrefix(a, "Learner ") || len(a) != len("Learner ")+6 {
		t.Errorf("NeutralName: %q, %q", a, b)
	}
	if strings.Contains(NeutralName("jonas.weber"), "jonas") {
		t.Error("the id shows through")
	}
}

// What the simulator receives for each TALKIO_SEND_FIELDS, at creation and in profile sync.
func TestSendFields(t *testing.T) {
	t.Parallel()
	person := Identity{UserID: "u1", Name: "Jonas Weber", Email: "jonas.weber@school.example", Phone: "+4930123456"}
	neutral := NeutralName("u1")
	tests := []struct {
		fields     Fields
		wantCreate map[string]any
	}{
		{0, map[string]any{"userName": "Jonas Weber", "email": person.Email, "phoneNumber": person.Phone}},
		{NoFields, map[string]any{"userName": neutral}},
		{FieldName, map[string]any{"userName": "Jonas Weber"}},
		{FieldEmail, map[string]any{"userName": neutral, "email": person.Email}},
		{FieldPhone | FieldName, map[string]any{"userName": "Jonas Weber", "phoneNumber": person.Phone}},
	}
	for _, tt := range tests {
		t.Run(tt.fields.String(), func(t *testing.T) {
			t.Parallel()
			e := newProvisionerEnv(t, func(o *Options) { o.SendFields = tt.fields })
			id := person
			e.mustProvision(t, &id)
			want := map[string]any{"id": "u1", "userType": "member"}
			for k, v := range tt.wantCreate {
				want[k] = v
			}
			if got := e.bodies(t, talkiotest.EndpointCreateUser); len(got) != 1 || !sameMap(got[0], want) {
				t.Errorf("create bodies %v, want one %v", got, want)
			}

			// Everything changes at the provider: sync sends only the listed fields.
			id.Name, id.Email, id.Phone = "Jonas Weber-Lang", "jwl@school.example", "+4930999999"
			e.sim.ResetCalls()
			e.mustProvision(t, &id)
			wantUpdate := map[string]any{}
			if tt.fields.Has(FieldName) {
				wantUpdate["userName"] = id.Name
			}
			if tt.fields.Has(FieldEmail) {
				wantUpdate["email"] = id.Email
			}
			if tt.fields.Has(FieldPhone) {
				wantUpdate["phoneNumber"] = id.Phone
			}
			got := e.bodies(t, talkiotest.EndpointUpdateUser)
			if len(wantUpdate) == 0 && len(got) != 0 || len(wantUpdate) > 0 && (len(got) != 1 || !sameMap(got[0], wantUpdate)) {
				t.Errorf("update bodies %v, want %v", got, wantUpdate)
			}
		})
	}
}

// Without the name, the email's local part (often the name) is not used either, and a name sent
// before the name was withheld is replaced by the neutral one.
func TestWithheldNameReplacesOldName(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.SendFields = FieldEmail })
	e.addUser(t, talkiotest.User{ID: "u1", UserName: "Jonas Weber", Email: "jonas.weber@school.example"})
	e.mustProvision(t, &Identity{UserID: "u1", Email: "jonas.weber@school.example"})
	want := map[string]any{"userName": NeutralName("u1")}
	if got := e.bodies(t, talkiotest.EndpointUpdateUser); len(got) != 1 || !sameMap(got[0], want) {
		t.Errorf("update bodies %v, want %v", got, want)
	}
	// With the name listed but no name claim and no email sent, the id (which Talkio has) is the name.
	e2 := newProvisionerEnv(t, func(o *Options) { o.SendFields = FieldName })
	e2.mustProvision(t, &Identity{UserID: "u2", Email: "secret@school.example"})
	if u, _ := e2.sim.User(testOrg, "u2"); u.UserName != "u2" || u.Email != "" {
		t.Errorf("user %+v", u)
	}
}

// Provisioning logs name people by their Talkio id only: every path that logs is walked, and no line
// holds a name, email or phone.
func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	e := newTwoOrgEnv(t, func(o *Options) {
		o.FacilitatorGroups = []string{"teachers"}
		o.DefaultSettings = &talkio.Settings{HideIntroFlow: talkio.Ptr(true)}
	})
	if err := e.sim.AddUser("org-a", talkiotest.User{ID: "sibling", Email: "family@school.example"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddUser("org-a", talkiotest.User{ID: "teacher-1", Email: "other@school.example", UserType: talkio.UserTypeFacilitator}); err != nil {
		t.Fatal(err)
	}
	e.sim.Inject(talkiotest.EndpointSetOrgPreference, talkiotest.Fault{Status: http.StatusBadRequest})
	e.sim.Inject(talkiotest.EndpointUpdateSettings, talkiotest.Fault{Status: http.StatusBadRequest})
	id := Identity{UserID: "u1", Name: "Zora Quill", Email: "family@school.example", Phone: "+4930555111", Organization: "a", Locale: "de"}
	e.mustProvision(t, &id) // shared email at create, settings and preference failures
	id.Email = "other@school.example"
	e.mustProvision(t, &id)                                                                                               // shared email at update
	e.mustProvision(t, &Identity{UserID: "teacher-1", Name: "Zora Quill", Organization: "a", Groups: []string{"pupils"}}) // type kept
	e.mustProvision(t, &Identity{UserID: "other@school.example", Name: "Zora Quill", Organization: "a"})                  // id is an email

	logs := e.logs.String()
	for _, want := range []string{"creating the user without it", "updating without it", "apply default settings", "set organization preference", "user type differs", "another user's record"} {
		if !strings.Contains(logs, want) {
			t.Errorf("path not walked: no %q in the logs", want)
		}
	}
	for _, pii := range []string{"Zora", "Quill", "family@", "+4930555111", "4930555111"} {
		if strings.Contains(logs, pii) {
			t.Errorf("logs hold %q:\n%s", pii, logs)
		}
	}
}

// With SCIM the source of truth, a sign-in does not create: a person the directory has not pushed is
// ErrNotProvisioned; existing people still get profile sync and sliding expiry; SCIM, LTI and the CLI
// create.
func TestSignInDoesNotCreate(t *testing.T) {
	t.Parallel()
	const ttl = 240 * time.Hour
	e := newProvisionerEnv(t, func(o *Options) { o.SignInCreates = false; o.AccountTTL = ttl })
	_, err := e.p.Provision(t.Context(), &Identity{UserID: "new", Name: "N"}, SignIn)
	if !errors.Is(err, ErrNotProvisioned) || Classify(err) != NotProvisioned || !Classify(err).Refused() {
		t.Errorf("not pushed: got %v, want ErrNotProvisioned", err)
	}
	if got, want := e.endpoints(), []string{talkiotest.EndpointGetUser, talkiotest.EndpointGetExpiredUser}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v (no create)", got, want)
	}

	e.addUser(t, talkiotest.User{ID: "pushed", UserName: "Old Name"})
	e.mustProvision(t, &Identity{UserID: "pushed", Name: "New Name"})
	if u, _ := e.sim.User(testOrg, "pushed"); u.UserName != "New Name" || u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(t0.Add(ttl)) {
		t.Errorf("pushed user not synced: %+v", u)
	}

	for _, via := range []EntryPoint{SCIM, LTI, CLI} {
		id := "via-" + string(via)
		if _, err := e.p.Provision(t.Context(), &Identity{UserID: id, Name: "V"}, via); err != nil {
			t.Errorf("%s: %v", via, err)
		}
		if _, ok := e.sim.User(testOrg, id); !ok {
			t.Errorf("%s did not create", via)
		}
	}
	// A person SCIM has created then signs in: one user, no second create.
	e.sim.ResetCalls()
	e.mustProvision(t, &Identity{UserID: "via-scim", Name: "V"})
	if n := e.sim.CallCount(talkiotest.EndpointCreateUser); n != 0 {
		t.Errorf("%d creates", n)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Outcome
	}{
		{nil, Success},
		{ErrNotAllowed, RefusedGroup},
		{ErrNoOrganization, RefusedOrganization},
		{ErrNotProvisioned, NotProvisioned},
		{ErrAccountExpired, Expired},
		// An expiry that explains a Talkio 403 is an expiry.
		{errors.Join(ErrAccountExpired, &talkio.Error{StatusCode: 403}), Expired},
		{&talkio.Error{StatusCode: 429}, TalkioBusy},
		{&talkio.Error{StatusCode: 503}, TalkioBusy},
		{&talkio.Error{StatusCode: 404}, TalkioFailed},
		{&talkio.Error{StatusCode: 0}, TalkioFailed},
		{&talkio.ValidationError{Field: "id", Problem: "bad"}, TalkioFailed},
		{talkio.ErrUnavailable, TalkioFailed},
		{errors.New("x"), Unclassified},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v): got %v, want %v", tt.err, got, tt.want)
		}
	}
	for o := Unclassified; o <= TalkioFailed; o++ {
		if o.String() == "" || (o.Refused() && o.Upstream()) {
			t.Errorf("%d: %q", o, o)
		}
	}
	if Outcome(99).String() != "unclassified" {
		t.Error("out of range")
	}
}
