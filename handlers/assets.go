package handlers

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"talkio-gateway/static"
)

// staticName is the shape of a file in static/: no directories, no dot files.
var staticName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*\.[a-z0-9]+$`)

// handleStatic handles "GET /static/:name": the embedded stylesheet and icon.
// A request carrying the current content hash (as the layout's links do) may
// be cached for a year; any other for a few minutes.
func (s *server) handleStatic(c echo.Context) error {
	name := c.Param("name")
	if !staticName.MatchString(name) {
		return echo.ErrNotFound
	}
	fi, err := fs.Stat(static.FS, name)
	if err != nil || !fi.Mode().IsRegular() {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	if v := c.QueryParam("v"); v != "" && (strings.HasSuffix(s.assets.CSS, "/"+name+"?v="+v) || strings.HasSuffix(s.assets.Icon, "/"+name+"?v="+v)) {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(c.Response(), c.Request(), static.FS, name)
	return nil
}
