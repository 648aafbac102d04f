package talkiotest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Errors of the seeding helpers.
var (
	ErrNotFound = errors.New("talkiotest: not found")
	ErrConflict = errors.New("talkiotest: already exists")
	ErrInvalid  = errors.New("talkiotest: invalid")
)

// User types of the documentation.
const (
	UserTypeMember      = "member"
	UserTypeFacilitator = "facilitator"
)

// User is a user as the simulator stores it.
type User struct {
	ID, UserName, UserType        string
	Email, PhoneNumber, ProductID string     // "" = not set
	AccountExpiresAt              *time.Time // nil = never expires
	CreatedAt                     time.Time
}

// Active reports whether the user is active at now (not expired or suspended).
func (u User) Active(now time.Time) bool {
	return u.AccountExpiresAt == nil || u.AccountExpiresAt.After(now)
}

// Settings are a user's settings, all ten documented fields.
type Settings struct {
	PracticeLanguage            string
	UserLanguage                string
	UILanguage                  string
	PracticeLanguageProficiency string
	ReadAloudSpeed              float64
	DefaultTutor                string
	ShowChatTranslations        bool
	ShowChatRomanization        bool
	ShowLiveFeedback            bool
	HideIntroFlow               bool
}

// DefaultSettings are the settings of a new user.
var DefaultSettings = Settings{
	PracticeLanguage:            "en-US",
	UserLanguage:                "en-US",
	UILanguage:                  "en-US",
	PracticeLanguageProficiency: "beginner",
	ReadAloudSpeed:              1,
	DefaultTutor:                "Emma",
	ShowLiveFeedback:            true,
}

// Invitation is a pending email invitation.
type Invitation struct {
	ID               string
	Email            string
	AccountExpiresAt *time.Time
	CreatedAt        time.Time
}

// Conversation is one conversation of a user.
type Conversation struct {
	ID               string
	PromptTemplateID string
	Title            string
	CreatedAt        time.Time
	DurationSeconds  int
	Messages         []Message
}

// Message is one message of a conversation.
type Message struct {
	ID        string
	Role      string // "user" or "assistant"
	Content   string
	CreatedAt time.Time
}

type userRec struct {
	User
	seq      int
	settings Settings
	convs    []Conversation
}

func cloneUser(u User) User {
	if u.AccountExpiresAt != nil {
		t := *u.AccountExpiresAt
		u.AccountExpiresAt = &t
	}
	return u
}

func cloneConversation(c Conversation) Conversation {
	c.Messages = slices.Clone(c.Messages)
	return c
}

// AddUser seeds a user, as a create call would (default settings, three conversations). UserName
// defaults to the id, UserType to member, CreatedAt to now. It fails with ErrNotFound for an unknown
// organization, ErrConflict for a taken id or email, ErrInvalid for a missing id or a bad user type.
func (h *Handler) AddUser(org string, u User) error {
	if u.ID == "" {
		return fmt.Errorf("%w: empty user id", ErrInvalid)
	}
	if u.UserName == "" {
		u.UserName = u.ID
	}
	if u.UserType == "" {
		u.UserType = UserTypeMember
	}
	if u.UserType != UserTypeMember && u.UserType != UserTypeFacilitator {
		return fmt.Errorf("%w: user type %q", ErrInvalid, u.UserType)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = h.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.orgs[org]
	if !ok {
		return fmt.Errorf("%w: organization %q", ErrNotFound, org)
	}
	if _, dup := o.byID[u.ID]; dup {
		return fmt.Errorf("%w: user %q", ErrConflict, u.ID)
	}
	if u.Email != "" && o.emailTaken(u.Email, "") {
		return fmt.Errorf("%w: email of user %q", ErrConflict, u.ID)
	}
	h.insertUser(o, cloneUser(u))
	return nil
}

// insertUser stores a validated user; h.mu held.
func (h *Handler) insertUser(o *orgState, u User) *userRec {
	h.seq++
	rec := &userRec{User: u, seq: h.seq, settings: DefaultSettings, convs: seedConversations(u.ID, u.CreatedAt)}
	o.users = append(o.users, rec)
	o.byID[u.ID] = rec
	return rec
}

func (h *Handler) removeUser(o *orgState, rec *userRec) {
	delete(o.byID, rec.ID)
	o.users = slices.DeleteFunc(o.users, func(r *userRec) bool { return r == rec })
	key := prefKey(o.Partner, rec.ID)
	if h.prefs[key] == o.Slug {
		delete(h.prefs, key)
	}
}

// emailTaken reports whether another user (not exceptID) has this email, case-insensitively.
func (o *orgState) emailTaken(email, exceptID string) bool {
	for _, r := range o.users {
		if r.ID != exceptID && r.Email != "" && strings.EqualFold(r.Email, email) {
			return true
		}
	}
	return false
}

// lookup finds a user by id, or by email (case-insensitive) when byEmail and no id matches.
func (o *orgState) lookup(idOrEmail string, byEmail bool) *userRec {
	if r, ok := o.byID[idOrEmail]; ok {
		return r
	}
	if byEmail && strings.Contains(idOrEmail, "@") {
		for _, r := range o.users {
			if r.Email != "" && strings.EqualFold(r.Email, idOrEmail) {
				return r
			}
		}
	}
	return nil
}

// User returns a user by id, active or expired.
func (h *Handler) User(org, id string) (User, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, ok := h.orgs[org]; ok {
		if r, ok := o.byID[id]; ok {
			return cloneUser(r.User), true
		}
	}
	return User{}, false
}

// Users returns the active users of an organization in creation order.
func (h *Handler) Users(org string) []User { return h.usersWhere(org, true) }

// ExpiredUsers returns the expired (suspended) users of an organization in creation order.
func (h *Handler) ExpiredUsers(org string) []User { return h.usersWhere(org, false) }

func (h *Handler) usersWhere(org string, active bool) []User {
	now := h.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []User
	if o, ok := h.orgs[org]; ok {
		for _, r := range o.users {
			if r.Active(now) == active {
				out = append(out, cloneUser(r.User))
			}
		}
	}
	return out
}

// UserSettings returns a user's settings (active or expired user).
func (h *Handler) UserSettings(org, id string) (Settings, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, ok := h.orgs[org]; ok {
		if r, ok := o.byID[id]; ok {
			return r.settings, true
		}
	}
	return Settings{}, false
}

// Conversations returns a user's conversations in creation order.
func (h *Handler) Conversations(org, id string) []Conversation {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Conversation
	if o, ok := h.orgs[org]; ok {
		if r, ok := o.byID[id]; ok {
			for _, c := range r.convs {
				out = append(out, cloneConversation(c))
			}
		}
	}
	return out
}

// AddConversation appends a conversation to a user's list. ID defaults to a fresh one, CreatedAt to now.
// It fails with ErrNotFound for an unknown organization or user and ErrConflict for a taken id.
func (h *Handler) AddConversation(org, userID string, c Conversation) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = h.Now()
	}
	if c.ID == "" {
		c.ID = "conv_" + randomHex(8)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.orgs[org]
	if !ok {
		return fmt.Errorf("%w: organization %q", ErrNotFound, org)
	}
	r, ok := o.byID[userID]
	if !ok {
		return fmt.Errorf("%w: user %q", ErrNotFound, userID)
	}
	for _, have := range r.convs {
		if have.ID == c.ID {
			return fmt.Errorf("%w: conversation %q", ErrConflict, c.ID)
		}
	}
	r.convs = append(r.convs, cloneConversation(c))
	return nil
}

// Invitations returns the invitations sent for an organization, oldest first.
func (h *Handler) Invitations(org string) []Invitation {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, ok := h.orgs[org]; ok {
		return slices.Clone(o.invitations)
	}
	return nil
}

// OrganizationPreference returns the preferred organization slug of a user of org's partner.
func (h *Handler) OrganizationPreference(org, userID string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.orgs[org]
	if !ok {
		return "", false
	}
	slug, ok := h.prefs[prefKey(o.Partner, userID)]
	return slug, ok
}

// IssuedTokens returns how many login tokens the simulator has issued.
func (h *Handler) IssuedTokens() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.issued
}

func prefKey(partner, userID string) string { return partner + "\x00" + userID }

// rng is a deterministic generator seeded by the parts, so payloads repeat for the same inputs.
func rng(parts ...string) *rand.Rand {
	f := fnv.New64a()
	for _, p := range parts {
		_, _ = f.Write([]byte(p))
		_, _ = f.Write([]byte{0})
	}
	s := f.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

var templates = []struct{ id, title string }{
	{"books-literature", "Books & Literature"},
	{"travel", "Planning a trip"},
	{"job-interview", "Job interview practice"},
	{"small-talk", "Small talk"},
	{"restaurant", "Ordering at a restaurant"},
	{"daily-routine", "Your daily routine"},
}

var lines = []struct{ assistant, user string }{
	{"Hi! What would you like to talk about today?", "I would like to practise speaking about my week."},
	{"Great idea. What was the best part of it?", "I finally finished the novel I was reading."},
	{"What was it about?", "It was about a family that moves to a small town by the sea."},
	{"Would you recommend it to a friend?", "Yes, especially to someone who likes quiet stories."},
	{"How would you describe the main character?", "She is curious, a little stubborn and very kind."},
	{"Nice description! Shall we try some new vocabulary?", "Sure, that sounds useful."},
}

// seedConversations makes three deterministic conversations ending at created.
func seedConversations(userID string, created time.Time) []Conversation {
	r := rng(userID, "conversations")
	out := make([]Conversation, 3)
	for i := range out {
		tpl := templates[r.IntN(len(templates))]
		start := created.Add(-time.Duration(3-i) * 26 * time.Hour).Truncate(time.Second)
		n := 2 + 2*r.IntN(3)
		c := Conversation{
			ID:               fmt.Sprintf("conv_%016x", r.Uint64()),
			PromptTemplateID: tpl.id,
			Title:            tpl.title,
			CreatedAt:        start,
		}
		t := start
		for j := range n {
			l := lines[(j/2)%len(lines)]
			role, text := "assistant", l.assistant
			if j%2 == 1 {
				role, text = "user", l.user
			}
			t = t.Add(time.Duration(30+r.IntN(90)) * time.Second)
			c.Messages = append(c.Messages, Message{ID: fmt.Sprintf("%s_m%d", c.ID, j+1), Role: role, Content: text, CreatedAt: t})
		}
		c.DurationSeconds = int(t.Sub(start) / time.Second)
		out[i] = c
	}
	return out
}
