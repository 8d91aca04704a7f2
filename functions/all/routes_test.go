package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/openapi"
)

// TestRoutesMatchTheOpenAPIDocument keeps the route tables and the OpenAPI document in step:
// every route is documented, every documented operation is served, no pattern is served twice.
func TestRoutesMatchTheOpenAPIDocument(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options":
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	served := map[string]string{}
	for name, routes := range map[string][]httpio.Route{
		"produce": produce.Routes, "consume-window": consumewindow.Routes,
		"list-topics": listtopics.Routes, "token": token.Routes,
	} {
		for _, r := range routes {
			// The document writes the exact-match root "GET /{$}" as "/".
			p := strings.TrimSuffix(r.Pattern(), "{$}")
			if other, dup := served[p]; dup {
				t.Errorf("%s is served by both %s and %s", p, other, name)
			}
			served[p] = name
			if !documented[p] {
				t.Errorf("%s (%s) is not in shared/openapi/openapi.json", p, name)
			}
		}
	}
	for p := range documented {
		if _, ok := served[p]; !ok {
			t.Errorf("%s is documented but no route serves it", p)
		}
	}
	names := map[string]bool{}
	for _, routes := range [][]httpio.Route{produce.Routes, consumewindow.Routes, listtopics.Routes, token.Routes} {
		for _, r := range routes {
			if names[r.Name] {
				t.Errorf("route name %s is used twice", r.Name)
			}
			names[r.Name] = true
		}
	}
}
