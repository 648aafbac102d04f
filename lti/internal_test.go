package lti

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"talkio-gateway/talkio"
)

func TestUserType(t *testing.T) {
	const m, i = "http://purl.imsglobal.org/vocab/lis/v2/membership", "http://purl.imsglobal.org/vocab/lis/v2/institution/person"
	tests := []struct {
		roles []string
		want  string
	}{
		{nil, talkio.UserTypeMember},
		{[]string{m + "#Learner"}, talkio.UserTypeMember},
		{[]string{m + "#Mentor"}, talkio.UserTypeMember},
		{[]string{m + "#Instructor"}, talkio.UserTypeFacilitator},
		{[]string{m + "#Learner", m + "#Administrator"}, talkio.UserTypeFacilitator},
		{[]string{m + "#ContentDeveloper"}, talkio.UserTypeFacilitator},
		{[]string{m + "/Instructor#TeachingAssistant"}, talkio.UserTypeFacilitator},
		{[]string{m + "/Learner#TeachingAssistant"}, talkio.UserTypeFacilitator},
		{[]string{m + "/Learner#Learner"}, talkio.UserTypeMember},
		{[]string{i + "#Instructor"}, talkio.UserTypeFacilitator},
		{[]string{i + "#Administrator"}, talkio.UserTypeFacilitator},
		{[]string{i + "#Student"}, talkio.UserTypeMember},
		// system roles and look-alikes are not context or institution roles
		{[]string{"http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"}, talkio.UserTypeMember},
		{[]string{"Instructor"}, talkio.UserTypeMember},
		{[]string{"https://evil.example/membership#Instructor"}, talkio.UserTypeMember},
		{[]string{m + "x#Instructor"}, talkio.UserTypeMember},
	}
	for _, tt := range tests {
		if got := userType(tt.roles); got != tt.want {
			t.Errorf("userType(%v) = %q, want %q", tt.roles, got, tt.want)
		}
	}
}

func FuzzUserType(f *testing.F) {
	f.Add("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor")
	f.Add("http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant")
	f.Add("#")
	f.Fuzz(func(t *testing.T, role string) {
		if got := userType([]string{role}); got != talkio.UserTypeMember && got != talkio.UserTypeFacilitator {
			t.Fatalf("userType(%q) = %q", role, got)
		}
	})
}

func testSealer(t testing.TB) *sealer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSealer([]*rsa.PrivateKey{k})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealPurposeAndRotation(t *testing.T) {
	s := testSealer(t)
	v, err := s.seal("ticket", ticket{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	var st loginState
	if s.open("state", v, &st) == nil {
		t.Error("a ticket opened as a state")
	}
	var tk ticket
	if err := s.open("ticket", v, &tk); err != nil || tk.UserID != "u" {
		t.Errorf("open = %v, %+v", err, tk)
	}
	// After a rotation (new key first, old kept), old values still open; new ones are sealed with the new key.
	other := testSealer(t)
	rotated := &sealer{aeads: append(other.aeads, s.aeads...)}
	if err := rotated.open("ticket", v, &tk); err != nil {
		t.Errorf("rotated sealer cannot open an old ticket: %v", err)
	}
	nv, _ := rotated.seal("ticket", ticket{UserID: "u"})
	if s.open("ticket", nv, &tk) == nil {
		t.Error("the old key alone opened a value sealed with the new key")
	}
}

func FuzzOpenSealed(f *testing.F) {
	s := testSealer(f)
	good, _ := s.seal("state", loginState{Bind: "b"})
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Add(good[:len(good)-1] + "A")
	f.Fuzz(func(t *testing.T, in string) {
		var st loginState
		if s.open("state", in, &st) == nil && in != good {
			t.Fatalf("opened a value it did not seal: %q", in)
		}
	})
}

func TestOnceStoreBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	o := newOnceStore(2)
	if !o.use("a", now.Add(time.Minute), now) || o.use("a", now.Add(time.Minute), now) {
		t.Fatal("a value is used once")
	}
	o.use("b", now.Add(time.Second), now)
	if o.use("c", now.Add(time.Minute), now) {
		t.Error("a full store took a new value")
	}
	if !o.use("c", now.Add(time.Minute), now.Add(2*time.Second)) {
		t.Error("a full store did not drop an expired value for a new one")
	}
	if o.use("a", now.Add(time.Minute), now.Add(2*time.Second)) {
		t.Error("an unexpired value was forgotten")
	}
}
