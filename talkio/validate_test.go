package talkio

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestValidation checks every documented constraint: each bad argument fails with a *ValidationError
// naming the field, and nothing is sent.
func TestValidation(t *testing.T) {
	ctx := context.Background()
	zero := time.Time{}
	ok := &CreateUserRequest{ID: "u1", UserName: "U", UserType: UserTypeMember}
	withCreate := func(f func(r *CreateUserRequest)) *CreateUserRequest { r := *ok; f(&r); return &r }
	tests := []struct {
		name      string
		call      func(c *Client) error
		wantField string
	}{
		{"create nil", func(c *Client) error { _, err := c.CreateUser(ctx, nil); return err }, "request"},
		{"create no id", func(c *Client) error {
			_, err := c.CreateUser(ctx, withCreate(func(r *CreateUserRequest) { r.ID = " " }))
			return err
		}, "id"},
		{"create no userName", func(c *Client) error {
			_, err := c.CreateUser(ctx, withCreate(func(r *CreateUserRequest) { r.UserName = "" }))
			return err
		}, "userName"},
		{"create no userType", func(c *Client) error {
			_, err := c.CreateUser(ctx, withCreate(func(r *CreateUserRequest) { r.UserType = "" }))
			return err
		}, "userType"},
		{"create bad userType", func(c *Client) error {
			_, err := c.CreateUser(ctx, withCreate(func(r *CreateUserRequest) { r.UserType = "admin" }))
			return err
		}, "userType"},
		{"create userType case", func(c *Client) error {
			_, err := c.CreateUser(ctx, withCreate(func(r *CreateUserRequest) { r.UserType = "Member" }))
			return err
		}, "userType"},
		{"create zero expiry", func(c *Client) error {
			_, err := c.CreateUser(ctx, withCreate(func(r *CreateUserRequest) { r.AccountExpiresAt = &zero }))
			return err
		}, "accountExpiresAt"},
		{"invite nil", func(c *Client) error { _, err := c.InviteUser(ctx, nil); return err }, "request"},
		{"invite no email", func(c *Client) error { _, err := c.InviteUser(ctx, &InviteUserRequest{}); return err }, "email"},
		{"invite zero expiry", func(c *Client) error {
			_, err := c.InviteUser(ctx, &InviteUserRequest{Email: "a@b.c", AccountExpiresAt: &zero})
			return err
		}, "accountExpiresAt"},
		{"get empty id", func(c *Client) error { _, err := c.GetUser(ctx, ""); return err }, "id"},
		{"get blank id", func(c *Client) error { _, err := c.GetUser(ctx, "  "); return err }, "id"},
		{"get dot id", func(c *Client) error { _, err := c.GetUser(ctx, "."); return err }, "id"},
		{"get dot-dot id", func(c *Client) error { _, err := c.GetUser(ctx, ".."); return err }, "id"},
		{"list limit 9", func(c *Client) error {
			_, err := c.ListUsers(ctx, &ListUsersOptions{ListOptions: ListOptions{Limit: 9}})
			return err
		}, "limit"},
		{"list limit 101", func(c *Client) error {
			_, err := c.ListUsers(ctx, &ListUsersOptions{ListOptions: ListOptions{Limit: 101}})
			return err
		}, "limit"},
		{"list limit negative", func(c *Client) error {
			_, err := c.ListUsers(ctx, &ListUsersOptions{ListOptions: ListOptions{Limit: -10}})
			return err
		}, "limit"},
		{"list page negative", func(c *Client) error {
			_, err := c.ListUsers(ctx, &ListUsersOptions{ListOptions: ListOptions{Page: -1}})
			return err
		}, "page"},
		{"list bad userType", func(c *Client) error {
			_, err := c.ListUsers(ctx, &ListUsersOptions{UserType: "teacher"})
			return err
		}, "userType"},
		{"update no id", func(c *Client) error { _, err := c.UpdateUser(ctx, "", &UpdateUserRequest{}); return err }, "id"},
		{"update nil", func(c *Client) error { _, err := c.UpdateUser(ctx, "u1", nil); return err }, "request"},
		{"update zero expiry", func(c *Client) error {
			_, err := c.UpdateUser(ctx, "u1", &UpdateUserRequest{AccountExpiresAt: &zero})
			return err
		}, "accountExpiresAt"},
		{"delete no id", func(c *Client) error { return c.DeleteUser(ctx, "") }, "id"},
		{"delete dot-dot", func(c *Client) error { return c.DeleteUser(ctx, "..") }, "id"},
		{"token no id", func(c *Client) error { _, err := c.UserToken(ctx, ""); return err }, "id"},
		{"settings no id", func(c *Client) error { _, err := c.GetSettings(ctx, ""); return err }, "id"},
		{"update settings no id", func(c *Client) error { _, err := c.UpdateSettings(ctx, "", &Settings{}); return err }, "id"},
		{"update settings nil", func(c *Client) error { _, err := c.UpdateSettings(ctx, "u1", nil); return err }, "settings"},
		{"expired limit", func(c *Client) error { _, err := c.ListExpiredUsers(ctx, &ListOptions{Limit: 5}); return err }, "limit"},
		{"expired page", func(c *Client) error { _, err := c.ListExpiredUsers(ctx, &ListOptions{Page: -3}); return err }, "page"},
		{"expired user no id", func(c *Client) error { _, err := c.GetExpiredUser(ctx, ""); return err }, "id"},
		{"daily no id", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "", &DailyStatsOptions{Date: "2025-03-05"})
			return err
		}, "id"},
		{"daily nil options", func(c *Client) error { _, err := c.GetDailyStats(ctx, "u1", nil); return err }, "date"},
		{"daily no date", func(c *Client) error { _, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{}); return err }, "date"},
		{"daily impossible date", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-02-30"})
			return err
		}, "date"},
		{"daily 2025 no leap day", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-02-29"})
			return err
		}, "date"},
		{"daily short date", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-3-5"})
			return err
		}, "date"},
		{"daily US date", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "03/05/2025"})
			return err
		}, "date"},
		{"daily timestamp", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-03-05T00:00:00Z"})
			return err
		}, "date"},
		{"daily tz Local", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-03-05", Timezone: "Local"})
			return err
		}, "timezone"},
		{"daily tz blank", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-03-05", Timezone: "  "})
			return err
		}, "timezone"},
		{"daily tz unknown", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-03-05", Timezone: "Mars/Olympus_Mons"})
			return err
		}, "timezone"},
		{"daily tz path", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-03-05", Timezone: "../../etc/passwd"})
			return err
		}, "timezone"},
		{"daily tz offset", func(c *Client) error {
			_, err := c.GetDailyStats(ctx, "u1", &DailyStatsOptions{Date: "2025-03-05", Timezone: "+02:00"})
			return err
		}, "timezone"},
		{"monthly no id", func(c *Client) error {
			_, err := c.GetMonthlyStats(ctx, "", &MonthlyStatsOptions{Month: "2025-03"})
			return err
		}, "id"},
		{"monthly nil options", func(c *Client) error { _, err := c.GetMonthlyStats(ctx, "u1", nil); return err }, "month"},
		{"monthly no month", func(c *Client) error { _, err := c.GetMonthlyStats(ctx, "u1", &MonthlyStatsOptions{}); return err }, "month"},
		{"monthly month 13", func(c *Client) error {
			_, err := c.GetMonthlyStats(ctx, "u1", &MonthlyStatsOptions{Month: "2025-13"})
			return err
		}, "month"},
		{"monthly a date", func(c *Client) error {
			_, err := c.GetMonthlyStats(ctx, "u1", &MonthlyStatsOptions{Month: "2025-03-01"})
			return err
		}, "month"},
		{"monthly bad tz", func(c *Client) error {
			_, err := c.GetMonthlyStats(ctx, "u1", &MonthlyStatsOptions{Month: "2025-03", Timezone: "EST5EDT-nope"})
			return err
		}, "timezone"},
		{"weekly no id", func(c *Client) error { _, err := c.GetWeeklyAssessment(ctx, "", "2025-03-05", nil); return err }, "id"},
		{"weekly no week", func(c *Client) error { _, err := c.GetWeeklyAssessment(ctx, "u1", "", nil); return err }, "targetWeek"},
		{"weekly ISO week", func(c *Client) error { _, err := c.GetWeeklyAssessment(ctx, "u1", "2025-W10", nil); return err }, "targetWeek"},
		{"usage no id", func(c *Client) error { _, err := c.GetUsage(ctx, "", "2025-03"); return err }, "id"},
		{"usage token", func(c *Client) error { _, err := c.GetUsage(ctx, "u1", "token"); return err }, "targetMonth"},
		{"usage short month", func(c *Client) error { _, err := c.GetUsage(ctx, "u1", "2025-3"); return err }, "targetMonth"},
		{"usage duration no id", func(c *Client) error { _, err := c.GetUsageDuration(ctx, "", "2025-03"); return err }, "id"},
		{"usage duration no month", func(c *Client) error { _, err := c.GetUsageDuration(ctx, "u1", ""); return err }, "month"},
		{"conversations no id", func(c *Client) error { _, err := c.ListConversations(ctx, "", nil); return err }, "id"},
		{"conversations limit", func(c *Client) error {
			_, err := c.ListConversations(ctx, "u1", &ListConversationsOptions{ListOptions: ListOptions{Limit: 1000}})
			return err
		}, "limit"},
		{"conversation no id", func(c *Client) error { _, err := c.GetConversation(ctx, "", "c1"); return err }, "id"},
		{"conversation no conversation id", func(c *Client) error { _, err := c.GetConversation(ctx, "u1", ""); return err }, "conversationId"},
		{"preference no id", func(c *Client) error { _, err := c.GetOrganizationPreference(ctx, ""); return err }, "id"},
		{"set preference no id", func(c *Client) error { return c.SetOrganizationPreference(ctx, "", "s") }, "id"},
		{"set preference no slug", func(c *Client) error { return c.SetOrganizationPreference(ctx, "u1", " ") }, "organizationSlug"},
		{"no organization", func(c *Client) error { _, err := c.ForOrganization("").GetUser(ctx, "u1"); return err }, "organization"},
		{"dot-dot organization", func(c *Client) error { _, err := c.ForOrganization("..").GetUser(ctx, "u1"); return err }, "organization"},
	}
	c, _, ts := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(c)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if ve.Field != tt.wantField {
				t.Errorf("field: got %q, want %q (%v)", ve.Field, tt.wantField, err)
			}
			if !strings.HasPrefix(err.Error(), "talkio: "+tt.wantField+": ") || ve.Problem == "" {
				t.Errorf("message: got %q", err)
			}
			testNoSecret(t, err.Error())
		})
	}
	if n := ts.requests.Load(); n != 0 {
		t.Errorf("requests sent: got %d, want 0", n)
	}
}

// TestValidation_accepts checks that valid edge values pass validation (and reach the server).
func TestValidation_accepts(t *testing.T) {
	c, _, _ := setup(t)
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"limit 10", (&ListOptions{Limit: 10}).validate()},
		{"limit 100", (&ListOptions{Limit: 100, Page: 1}).validate()},
		{"nil list options", (*ListOptions)(nil).validate()},
		{"nil user list options", (*ListUsersOptions)(nil).validate()},
		{"leap day", checkDate("date", "2024-02-29")},
		{"month", checkMonth("month", "1999-12")},
		{"UTC", checkTimezone("timezone", "UTC")},
		{"Asia/Kolkata", checkTimezone("timezone", "Asia/Kolkata")},
		{"no timezone", checkTimezone("timezone", "")},
		{"facilitator", checkUserType("userType", UserTypeFacilitator, false)},
		{"odd but valid id", checkSegment("id", "...")},
	} {
		if tt.err != nil {
			t.Errorf("%s: got %v, want nil", tt.name, tt.err)
		}
	}
	_ = c
}
