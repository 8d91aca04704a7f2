package consumewindow

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/httpio"
)

// groupRoutes serves consumer-group windows, commits and lag. Filled in by the windows issue.
var groupRoutes = []httpio.Route{}

func registerGroups(*http.ServeMux, Deps) {}
