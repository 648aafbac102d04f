package provision

import (
	"errors"
	"testing"
)

// In claim mode an LTI learner's id ("lti_<issuer digest>_<sub>") must not be reachable from another
// entry point: a person who can choose their CLAIM_USER_ID value (a username, an email) could pick it.
func TestLTIIDsAreReservedForLTI(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	id := IDRule{}.ScopedUserID("https://lms.school.example", "2")
	if _, err := e.p.Provision(t.Context(), &Identity{UserID: id, Name: "Learner"}, LTI); err != nil {
		t.Fatalf("LTI launch: %v", err)
	}
	for _, via := range []EntryPoint{SignIn, SCIM, CLI} {
		_, err := e.p.Provision(t.Context(), &Identity{UserID: id, Name: "Impostor"}, via)
		if !errors.Is(err, ErrReservedID) || Classify(err) != ReservedID || !Classify(err).Refused() {
			t.Errorf("%s with an LTI id: got %v, want ErrReservedID", via, err)
		}
	}
	if _, _, err := e.p.Open(t.Context(), &Identity{UserID: id, Name: "Impostor"}, SignIn); !errors.Is(err, ErrReservedID) {
		t.Errorf("Open at sign-in with an LTI id: got %v, want ErrReservedID", err)
	}
	if u, _ := e.sim.User(testOrg, id); u.UserName != "Learner" {
		t.Errorf("the LTI learner's account became %+v", u)
	}
}
