package idp

// DemoUsers returns the demo accounts: two pupils (one with an email address, one without) and a teacher
// in the "teachers" group, with names, locales and groups. Each call returns fresh copies.
//
//	username  sub          role                          email                           locale  groups
//	maya      demo-maya    pupil, no email               —                               sv-SE   pupils, class-7b
//	jonas     demo-jonas   pupil                         jonas.weber@school.example      de-DE   pupils, class-7b
//	eleanor   demo-eleanor teacher                       eleanor.hughes@school.example   en-GB   teachers
func DemoUsers() []User {
	return []User{
		{
			ID: "demo-maya", Username: "maya",
			Name: "Maya Lindqvist", GivenName: "Maya", FamilyName: "Lindqvist",
			Locale: "sv-SE", Groups: []string{"pupils", "class-7b"},
			Description: "Pupil — member, no email address",
		},
		{
			ID: "demo-jonas", Username: "jonas",
			Name: "Jonas Weber", GivenName: "Jonas", FamilyName: "Weber",
			Email: "jonas.weber@school.example", EmailVerified: true,
			Locale: "de-DE", Groups: []string{"pupils", "class-7b"},
			Description: "Pupil — member",
		},
		{
			ID: "demo-eleanor", Username: "eleanor",
			Name: "Eleanor Hughes", GivenName: "Eleanor", FamilyName: "Hughes",
			Email: "eleanor.hughes@school.example", EmailVerified: true,
			Phone: "+442079460321", Locale: "en-GB", Groups: []string{"teachers"},
			Description: "Teacher — facilitator",
		},
	}
}
