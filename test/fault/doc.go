// Package fault holds kafkafn's fault-injection suite: every route, as the all-routes
// binary builds them from its environment (internal/harness), with kfake's request controls
// and a TCP proxy (brokertest.Proxy) in front of the brokers injecting NOT_LEADER, leader moves, lost acknowledgements, dropped
// connections, a broker that is down or slow, a topic deleted and re-created, and
// freeze/thaw. Every case checks the status and JSON error the caller sees, reads the log
// back to check every offset a response claims, and checks for goroutine and connection
// leaks. The suite is all tests; run it with go test ./test/fault.
package fault
