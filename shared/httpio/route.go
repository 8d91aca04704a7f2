package httpio

// Route is one entry of a route package's public surface. Each route package exports its
// Routes; Register, the deploy descriptors (template.yaml, serverless.yml, azure/*/function.json)
// and the drift tests all read the same table.
type Route struct {
	Method string // GET, POST, PUT, DELETE
	Path   string // Go 1.22 ServeMux path syntax: /v1/producer/topics/{topic}
	Name   string // a short CamelCase name, unique across kafkafn (used for event names)
}

// Pattern is the ServeMux pattern "METHOD /path".
func (r Route) Pattern() string { return r.Method + " " + r.Path }
