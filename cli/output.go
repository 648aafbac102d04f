package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"talkio-gateway/talkio"
)

// Status values of a user in the CLI's output.
const (
	statusActive  = "active"
	statusExpired = "expired"
)

// userView is a user as the CLI prints it: the Partner API's JSON names plus
// a status, so one shape serves "users" and "expired" output.
type userView struct {
	ID               string                     `json:"id"`
	UserName         string                     `json:"userName"`
	UserType         string                     `json:"userType,omitempty"`
	Email            string                     `json:"email,omitempty"`
	PhoneNumber      string                     `json:"phoneNumber,omitempty"`
	ProductID        string                     `json:"productId,omitempty"`
	AccountExpiresAt *time.Time                 `json:"accountExpiresAt,omitempty"`
	Status           string                     `json:"status"`
	ExpiredAt        *time.Time                 `json:"expiredAt,omitempty"`
	MemberType       string                     `json:"memberType,omitempty"`
	Extra            map[string]json.RawMessage `json:"extra,omitempty"`
}

func activeView(u *talkio.User) userView {
	return userView{
		ID: u.ID, UserName: u.UserName, UserType: u.UserType, Email: u.Email,
		PhoneNumber: u.PhoneNumber, ProductID: u.ProductID, AccountExpiresAt: u.AccountExpiresAt,
		Status: statusActive, Extra: u.Extra,
	}
}

func expiredView(u *talkio.ExpiredUser) userView {
	v := activeView(&u.User)
	v.Status = statusExpired
	if !u.ExpiredAt.IsZero() {
		at := u.ExpiredAt
		v.ExpiredAt = &at
	}
	v.MemberType = u.MemberType
	if v.UserType == "" {
		v.UserType = u.MemberType
	}
	return v
}

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; call flush when done.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

// row writes one line; every cell goes through termSafe, so a value from
// the API cannot break the alignment, forge a line or drive the terminal.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			c = "-"
		}
		cells[i] = termSafe(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// termSafe is the one sanitiser of text the CLI shows on a terminal. C0
// controls, DEL and C1 controls (U+0080–U+009F: U+009B is a one-byte CSI
// that starts an escape sequence on many terminals) become a space, so a
// cell keeps its width; bidirectional embeddings, overrides, isolates and
// marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are removed,
// so a name cannot make "evil.example" read as another id or reorder the
// columns around it (the "Trojan Source" trick).
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return ' '
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return -1
		}
		return r
	}, s)
}

// csvWriter is the one way the CLI writes CSV: every cell is neutralised
// against formula injection first (see csvCell).
type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

func (c *csvWriter) row(cells ...string) {
	out := make([]string, len(cells))
	for i, cell := range cells {
		out[i] = csvCell(cell)
	}
	_ = c.w.Write(out) // the error sticks; flush reports it
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// csvCell neutralises a cell that a spreadsheet would run as a formula
// (OWASP "CSV Injection"): one that starts with = + - @, a tab or a carriage
// return gets a leading single quote, which spreadsheets show as text and
// a reader still recognises. encoding/csv then quotes what needs quoting.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func writeUserTable(w io.Writer, users []userView, withExpiredAt bool) error {
	header := []string{"ID", "NAME", "TYPE", "EMAIL", "ACCOUNT EXPIRES"}
	if withExpiredAt {
		header = []string{"ID", "NAME", "TYPE", "EMAIL", "EXPIRED AT"}
	}
	t := newTable(w, header...)
	for _, u := range users {
		last := fmtTime(u.AccountExpiresAt)
		if withExpiredAt {
			last = fmtTime(u.ExpiredAt)
		}
		t.row(u.ID, u.UserName, u.UserType, u.Email, last)
	}
	return t.flush()
}

func writeUserDetail(w io.Writer, u userView) error {
	t := newTable(w)
	t.row("id", u.ID)
	t.row("userName", u.UserName)
	t.row("userType", u.UserType)
	t.row("status", u.Status)
	t.row("email", u.Email)
	t.row("phoneNumber", u.PhoneNumber)
	t.row("productId", u.ProductID)
	t.row("accountExpiresAt", fmtTime(u.AccountExpiresAt))
	if u.Status == statusExpired {
		t.row("expiredAt", fmtTime(u.ExpiredAt))
		t.row("memberType", u.MemberType)
	}
	return t.flush()
}
