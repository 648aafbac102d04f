package talkio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// timeLayout is the API's timestamp form: RFC 3339, milliseconds, UTC ("2027-02-22T19:35:25.000Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// apiTime encodes a time the way the API writes it.
type apiTime time.Time

func (t apiTime) MarshalJSON() ([]byte, error) {
	if err := checkYear(time.Time(t)); err != nil {
		return nil, err
	}
	return []byte(`"` + time.Time(t).UTC().Format(timeLayout) + `"`), nil
}

// checkYear refuses a time whose year in UTC is outside 0–9999: RFC 3339 cannot write it, so it could
// neither be sent nor read back (a "9999-12-31T23:59:59-01:00" read as is would be written as year 10000).
func checkYear(t time.Time) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time %s is outside the years 0–9999 in UTC", t.Format(time.RFC3339))
	}
	return nil
}

func timePtr(t *time.Time) *apiTime {
	if t == nil {
		return nil
	}
	return (*apiTime)(t)
}

// optTime decodes an RFC 3339 timestamp into *time.Time; null and "" leave it nil.
type optTime struct{ p **time.Time }

func (o optTime) UnmarshalJSON(data []byte) error {
	t, err := decodeOptTime(data)
	if err == nil {
		*o.p = t
	}
	return err
}

// zeroTime decodes an RFC 3339 timestamp into time.Time; null and "" leave the zero time.
type zeroTime struct{ p *time.Time }

func (z zeroTime) UnmarshalJSON(data []byte) error {
	t, err := decodeOptTime(data)
	if err != nil {
		return err
	}
	*z.p = time.Time{}
	if t != nil {
		*z.p = *t
	}
	return nil
}

// decodeOptTime is the one timestamp rule of optTime and zeroTime: null and "" are no time (nil), anything
// else must be an RFC 3339 timestamp within the years checkYear accepts.
func decodeOptTime(data []byte) (*time.Time, error) {
	if s := string(bytes.TrimSpace(data)); s == "null" || s == `""` {
		return nil, nil
	}
	var t time.Time
	if err := t.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if err := checkYear(t); err != nil {
		return nil, err
	}
	return &t, nil
}

// decodeFields decodes the JSON object data: each documented field into its destination in fields,
// everything else returned as extra (nil when there is nothing else). Unknown fields never fail; a
// documented field of the wrong type does, naming the field.
func decodeFields(data []byte, fields map[string]any) (extra map[string]json.RawMessage, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	for name, dst := range fields {
		raw, ok := m[name]
		if !ok {
			continue
		}
		delete(m, name)
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// encodeFields is decodeFields' inverse: extra first, then the documented fields (omitting nil
// pointers and empty strings), so the documented values win.
func encodeFields(extra map[string]json.RawMessage, fields map[string]any) ([]byte, error) {
	m := make(map[string]any, len(extra)+len(fields))
	for k, v := range extra {
		m[k] = v
	}
	for k, v := range fields {
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			continue
		}
		m[k] = v
	}
	return json.Marshal(m)
}

func cloneRaw(data []byte) json.RawMessage {
	return append(json.RawMessage(nil), data...)
}

// decodeList decodes a list response into items and p. It accepts a bare JSON array, or an object
// whose list is under key, "data" or "items" (or, failing those, its only array-valued field) next to
// page/limit/total/totalPages. An object without any array is an empty page. Other fields are returned.
func decodeList[T any](data []byte, key string, items *[]T, p *Pagination) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return nil, json.Unmarshal(data, items)
	}
	extra, err := decodeFields(data, map[string]any{"page": &p.Page, "limit": &p.Limit, "total": &p.Total, "totalPages": &p.TotalPages})
	if err != nil {
		return nil, err
	}
	name := ""
	for _, k := range []string{key, "data", "items"} {
		if _, ok := extra[k]; ok {
			name = k
			break
		}
	}
	if name == "" {
		for k, raw := range extra {
			if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
				if name != "" {
					return nil, fmt.Errorf("no %q field and several arrays (%q, %q)", key, name, k)
				}
				name = k
			}
		}
	}
	if name == "" {
		return extra, nil
	}
	list := extra[name]
	delete(extra, name)
	if len(extra) == 0 {
		extra = nil
	}
	if err := json.Unmarshal(list, items); err != nil {
		return nil, fmt.Errorf("field %s: %w", name, err)
	}
	return extra, nil
}
