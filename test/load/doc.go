// Package load holds kafkafn's bounded loopback load test: mixed produce, consume and
// metadata requests from 64 concurrent clients against the local HTTP server, checking zero
// errors, every acknowledged record exactly once where reported, and a flat footprint
// afterwards. The short form runs in go test; the long form by flag:
//
//	go test ./test/load -run TestLoopbackLoad -v -args -load.requests=100000 -load.duration=10m
package load
