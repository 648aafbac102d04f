package config

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

func hostname(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Hostname()
}

// groups returns the groups in table order.
func groups() []string {
	var out []string
	for _, v := range Vars {
		if !contains(out, v.Group) {
			out = append(out, v.Group)
		}
	}
	return out
}

// demoKeeps lists the variables that may be set in demo mode (operational and privacy ones).
func demoKeeps() []string {
	var out []string
	for _, v := range Vars {
		if v.Role != RoleDeployment {
			out = append(out, v.Name)
		}
	}
	return out
}

// Usage prints every variable, grouped, with its default and help; for -h.
func Usage(w io.Writer) {
	// Columns aligned across all groups (tabwriter would realign each group on its own).
	nameW, defW := 0, 0
	for _, v := range Vars {
		nameW = max(nameW, len(v.Name)+len(usageMarks(v)))
		defW = max(defW, len(v.Default))
	}
	fmt.Fprintln(w, "Environment variables (* secret, also read from the file named by NAME_FILE; ! required outside demo mode):")
	for _, g := range groups() {
		fmt.Fprintf(w, "\n%s\n", g)
		for _, v := range Vars {
			if v.Group != g {
				continue
			}
			def := v.Default
			if def == "" {
				def = "-"
			}
			help := v.Help
			if v.RequiredUnless != "" {
				help += " (required unless " + v.RequiredUnless + " is set)"
			}
			if v.fileable() {
				help += " (or from the file named by " + v.Name + "_FILE)"
			}
			fmt.Fprintf(w, "  %-*s  %-*s  %s\n", nameW, v.Name+usageMarks(v), defW, def, help)
		}
	}
	fmt.Fprintf(w, "\nWith no variable set but %s, the gateway starts in demo mode.\n", strings.Join(demoKeeps(), ", "))
	fmt.Fprintf(w, "A variable that looks like one of these (a prefix %s, or a near miss) but is not stops the start.\n", strings.Join(prefixes, " "))
}

func usageMarks(v Var) string {
	marks := ""
	if v.Secret {
		marks += "*"
	}
	if v.Required {
		marks += "!"
	}
	if marks != "" {
		marks = " " + marks
	}
	return marks
}

// MarkdownTable renders the configuration reference for README.md, one table per group.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("Variables marked *secret* can also be read from the file named by `NAME_FILE` (for example\n")
	b.WriteString("`TALKIO_API_KEY_FILE=/run/secrets/talkio-api-key`); setting both is an error. With no variable set\n")
	names := demoKeeps()
	for i, n := range names {
		names[i] = "`" + n + "`"
	}
	b.WriteString("but " + strings.Join(names, ", ") + ", the gateway starts in demo mode.\n")
	b.WriteString("A variable that carries one of the prefixes `" + strings.Join(prefixes, "`, `") +
		"`, or is a near miss of a known name, but is not one stops the start, naming the nearest known variable.\n")
	for _, g := range groups() {
		fmt.Fprintf(&b, "\n**%s**\n\n| variable | default | description |\n|---|---|---|\n", g)
		for _, v := range Vars {
			if v.Group != g {
				continue
			}
			def := "—"
			if v.Default != "" {
				def = code(v.Default)
			}
			desc := mdEscape(v.Help)
			var tags []string
			if v.Required {
				req := "required"
				if v.RequiredUnless != "" {
					req += " unless `" + v.RequiredUnless + "` is set"
				}
				tags = append(tags, req)
			}
			if v.Secret {
				tags = append(tags, "secret")
			} else if v.File {
				tags = append(tags, "also from `"+v.Name+"_FILE`")
			}
			if len(tags) > 0 {
				desc = "*" + strings.Join(tags, ", ") + "*; " + desc
			}
			if v.Example != "" {
				desc += "; e.g. " + code(v.Example)
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, desc)
		}
	}
	return b.String()
}

// code renders s as inline code; a pipe would end the table cell.
func code(s string) string { return "`" + strings.ReplaceAll(s, "|", `\|`) + "`" }

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;").Replace(s)
}
