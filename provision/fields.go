package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fields is the set of personal profile fields sent to Talkio besides the id (TALKIO_SEND_FIELDS).
// The zero value means every field, today's behaviour; NoFields sends none.
type Fields uint8

// The fields, combined with |.
const (
	FieldName  Fields = 1 << iota // the name claim, as userName
	FieldEmail                    // email
	FieldPhone                    // phoneNumber

	// AllFields sends name, email and phone (the default).
	AllFields = FieldName | FieldEmail | FieldPhone
	// NoFields sends only the id and a neutral display name. It is a bit of its own so that it differs
	// from the zero value.
	NoFields Fields = 1 << 7
)

// fieldNames are the words of TALKIO_SEND_FIELDS.
var fieldNames = []struct {
	name string
	f    Fields
}{{"name", FieldName}, {"email", FieldEmail}, {"phone", FieldPhone}}

// String is the list as TALKIO_SEND_FIELDS writes it.
func (f Fields) String() string {
	f = f.resolve()
	var words []string
	for _, n := range fieldNames {
		if f&n.f != 0 {
			words = append(words, n.name)
		}
	}
	if len(words) == 0 {
		return "none"
	}
	return strings.Join(words, ",")
}

// Has reports whether f sends field.
func (f Fields) Has(field Fields) bool { return f.resolve()&field != 0 }

func (f Fields) resolve() Fields {
	if f == 0 {
		return AllFields
	}
	return f
}

// NeutralName is the userName sent when the name is not (Talkio requires one): "Learner " and the first
// six hex digits of SHA-256 of the Talkio id. It tells people apart in Talkio's facilitator views
// without being the person's name, and is stable, so profile sync never churns it. It reveals nothing
// the id does not: Talkio receives the id anyway (a keyed hash in pseudonymous mode).
func NeutralName(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return "Learner " + strings.ToUpper(hex.EncodeToString(sum[:3]))
}
