package consumewindow

import (
	"net/http"

	"github.com/kafkafn/kafkafn/shared/httpio"
)

// timeRoutes serves time windows. Filled in by the windows issue.
var timeRoutes = []httpio.Route{}

func registerTime(*http.ServeMux, Deps) {}
