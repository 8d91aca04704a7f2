package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kafkafn/kafkafn/internal/bintest"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
)

// binaries are the per-route mains and the all-routes main, with the first request that
// touches Kafka for each.
var binaries = []struct {
	name, pkg    string
	method, path string // first invocation; {topic} is replaced
	body         []byte
}{
	{"produce", "./functions/produce/cmd/produce", "POST", "/v1/producer/topics/{topic}", []byte(`{"records":[{"value":"cold"}]}`)},
	{"consume-window", "./functions/consumewindow/cmd/consume-window", "GET", "/v1/consumer/topics/{topic}/partitions/0/offsets/0", nil},
	{"list-topics", "./functions/listtopics/cmd/list-topics", "GET", "/v1/metadata/topics", nil},
	{"token", "./functions/token/cmd/token", "", "", nil},
	{"all", "./functions/all", "GET", "/v1/metadata/topics", nil},
}

// build compiles pkg into dir, stripped like scripts/build does.
func build(ctx context.Context, dir, pkg, goos, goarch string) (string, error) {
	out := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(pkg, "./"), "/", "_")+"-"+goos+"-"+goarch)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", buildinfo.Tags, "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v: %s", pkg, err, b)
	}
	return out, nil
}

// binarySizes: stripped linux/arm64 and linux/amd64 sizes of every main.
func (b *bench) binarySizes(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "kafkafn-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, bin := range binaries {
		for _, arch := range []string{"arm64", "amd64"} {
			path, err := build(ctx, dir, bin.pkg, "linux", arch)
			if err != nil {
				b.note("size", err.Error())
				continue
			}
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			r := Result{Section: "size", Name: fmt.Sprintf("%s linux/%s (stripped)", bin.name, arch), Value: float64(st.Size()), Unit: "bytes"}
			// The target is for what is deployed: the per-route binaries on arm64 (issue 11);
			// amd64 and the all-routes binary are for information.
			if arch == "arm64" && bin.name != "all" {
				r.Target, r.Met = "≤8 MB", met(st.Size() <= 8_000_000)
			}
			b.add(r)
		}
	}
	return nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

// proc is a started binary.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

func start(path string, env []string) (*proc, error) {
	p := &proc{cmd: exec.Command(path), out: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LOG_LEVEL=ERROR",
		// The token function's required settings (it never reaches Entra ID here).
		"TOKEN_TENANT_ID=contoso.onmicrosoft.com", "TOKEN_ALLOWED_SCOPES=api://kafkafn/.default"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitDial polls addr until it accepts a connection.
func waitDial(addr string, p *proc, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("exited: %s", truncate(p.out.String(), 300))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %v", limit)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// coldStart: exec → ready and first-request latency (broker handshake included) for every
// binary as a local server, and exec → first Runtime API "next" call under a fake Lambda
// runtime.
func (b *bench) coldStart(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "kafkafn-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	topic, drop, err := b.topic(ctx, 1)
	if err != nil {
		return err
	}
	defer drop()
	if err := b.rawProduce(topic, 1)(ctx); err != nil {
		return err
	}
	rt := newFakeRuntime()
	defer rt.close()
	for _, bin := range binaries {
		path, err := build(ctx, dir, bin.pkg, "linux", goarch())
		if err != nil {
			b.note("cold", err.Error())
			continue
		}
		var ready, first, lambdaReady []time.Duration
		var failure string
		for range b.o.coldRuns {
			port, err := freePort()
			if err != nil {
				return err
			}
			t0 := time.Now()
			p, err := start(path, []string{"KAFKA_BROKERS=" + strings.Join(b.kcfg.Brokers, ","), "PORT=" + port, "AUTH_INSECURE_DEV=true"})
			if err != nil {
				return err
			}
			if err := waitDial("127.0.0.1:"+port, p, 10*time.Second); err != nil {
				failure = err.Error()
				p.stop()
				break
			}
			ready = append(ready, time.Since(t0))
			if bin.method != "" {
				t1 := time.Now()
				err := b.callURL(ctx, bin.method, "http://127.0.0.1:"+port+strings.ReplaceAll(bin.path, "{topic}", topic), bin.body)
				if err != nil {
					failure = err.Error()
				} else {
					first = append(first, time.Since(t1))
				}
			}
			p.stop()

			t0 = time.Now()
			p, err = start(path, []string{"KAFKA_BROKERS=" + strings.Join(b.kcfg.Brokers, ","), "AWS_LAMBDA_RUNTIME_API=" + rt.addr,
				"AWS_LAMBDA_FUNCTION_NAME=" + bin.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
				"AUTH_ENTRA_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47", "AUTH_ENTRA_AUDIENCE=api://kafkafn"})
			if err != nil {
				return err
			}
			select {
			case <-rt.next:
				lambdaReady = append(lambdaReady, time.Since(t0))
			case <-p.done:
				failure = "lambda: exited: " + truncate(p.out.String(), 300)
			case <-time.After(10 * time.Second):
				failure = "lambda: no Runtime API call within 10 s"
			}
			p.stop()
		}
		if failure != "" {
			b.note("cold", bin.name+": "+failure)
		}
		addDist := func(name string, d []time.Duration, target string, limit time.Duration) {
			if len(d) == 0 {
				return
			}
			slices.Sort(d)
			s := stats{ops: len(d), lat: d}
			r := Result{Section: "cold", Name: bin.name + ": " + name, Value: s.quantile(.5), Unit: "ms",
				P50ms: s.quantile(.5), P99ms: s.quantile(.99), Samples: len(d)}
			if target != "" {
				r.Target, r.Met = target, met(s.quantile(.5) <= float64(limit)/float64(time.Millisecond))
			}
			b.add(r)
		}
		addDist("exec → listening (local server)", ready, "≤10 ms", 10*time.Millisecond)
		addDist("first request incl. broker handshake (local)", first, "", 0)
		addDist("exec → first Runtime API next (fake Lambda)", lambdaReady, "≤10 ms", 10*time.Millisecond)
	}
	return nil
}

func goarch() string {
	if a := os.Getenv("GOARCH"); a != "" {
		return a
	}
	out, err := exec.Command("go", "env", "GOARCH").Output()
	if err != nil {
		return "amd64"
	}
	return strings.TrimSpace(string(out))
}

// callURL sends one request on a fresh connection (the first request of a new process) and
// fails on any status but 200.
func (b *bench) callURL(ctx context.Context, method, url string, body []byte) error {
	fresh := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	status, data, err := roundTrip(ctx, fresh, method, url, body)
	return checkOK(method, url, status, data, err)
}

// startLocal starts the binary at path as a local server on a free port against the bench's
// broker and waits until it listens; it returns the process and its base URL.
func (b *bench) startLocal(path string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	p, err := start(path, []string{"KAFKA_BROKERS=" + strings.Join(b.kcfg.Brokers, ","), "PORT=" + port, "AUTH_INSECURE_DEV=true"})
	if err != nil {
		return nil, "", err
	}
	if err := waitDial("127.0.0.1:"+port, p, 10*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, "http://127.0.0.1:" + port, nil
}

// fakeRuntime is just enough of the Lambda Runtime API to see a function become ready: the
// first GET …/invocation/next is reported on next and then held until the process exits.
type fakeRuntime struct {
	addr string
	next chan struct{}
	srv  *http.Server
	wg   sync.WaitGroup
}

func newFakeRuntime() *fakeRuntime {
	rt := &fakeRuntime{next: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case rt.next <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	rt.addr = ln.Addr().String()
	rt.srv = &http.Server{Handler: mux}
	rt.wg.Go(func() { _ = rt.srv.Serve(ln) })
	return rt
}

func (rt *fakeRuntime) close() {
	_ = rt.srv.Close()
	rt.wg.Wait()
}

// memory: the produce binary as a local server (the broker runs in this process, not in
// the measured one) under 64 concurrent 1 MiB produce requests, for several rounds.
func (b *bench) memory(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "kafkafn-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path, err := build(ctx, dir, "./functions/produce/cmd/produce", "linux", goarch())
	if err != nil {
		return err
	}
	topic, drop, err := b.topic(ctx, 8)
	if err != nil {
		return err
	}
	defer drop()
	p, base, err := b.startLocal(path)
	if err != nil {
		return err
	}
	defer p.stop()
	// 1 MiB bodies: 8 records of 128 KiB, one per partition.
	var sb strings.Builder
	sb.WriteString(`{"records":[`)
	chunk := strings.Repeat(value1K, 128)
	for i := range 8 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"partition":%d,"value":"%s"}`, i, chunk)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	round := func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/producer/topics/"+topic, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				data, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("%d %s", res.StatusCode, truncate(string(data), 200))
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	// Warm up with one small request: connections and metadata exist.
	if err := b.callURL(ctx, "POST", base+"/v1/producer/topics/"+topic, []byte(`{"records":[{"value":"warm"}]}`)); err != nil {
		return err
	}
	idle, _, err := bintest.Memory(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	const rounds = 8
	var after []int64
	var peak int64
	for range rounds {
		if err := round(); err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
		rss, hwm, err := bintest.Memory(p.cmd.Process.Pid)
		if err != nil {
			return err
		}
		after = append(after, rss)
		peak = hwm
	}
	b.add(Result{Section: "memory", Name: "produce server RSS idle (warm, before load)", Value: float64(idle), Unit: "bytes"})
	b.add(Result{Section: "memory", Name: "peak RSS above idle, 64 concurrent 1 MiB produces", Value: float64(peak - idle), Unit: "bytes",
		Target: "≤40 MB", Met: met(peak-idle <= 40_000_000), Note: fmt.Sprintf("peak VmHWM %d bytes", peak)})
	// RSS moves with the garbage collector's cycles from round to round; growth compares the
	// median of the last three rounds with the median of the first three.
	growth := median(after[len(after)-3:]) - median(after[:3])
	b.add(Result{Section: "memory", Name: fmt.Sprintf("RSS growth over %d rounds (median of last 3 − first 3)", rounds), Value: float64(growth), Unit: "bytes",
		Target: "no growth (≤2 MB)", Met: met(growth <= 2_000_000), Note: fmt.Sprintf("RSS after each round: %v", after)})
	return b.memoryReads(ctx, dir)
}

// memoryReads: the consume-window binary as a local server under 64 concurrent reads of a
// ~6 MB window (offset route, count=10, base64), twice. Its answers hold record data from
// HTTP_MAX_INFLIGHT_RESPONSE_BYTES (default 32 MiB).
func (b *bench) memoryReads(ctx context.Context, dir string) error {
	path, err := build(ctx, dir, "./functions/consumewindow/cmd/consume-window", "linux", goarch())
	if err != nil {
		return err
	}
	topic, drop, err := b.topic(ctx, 1)
	if err != nil {
		return err
	}
	defer drop()
	// Not UTF-8 either way (base64 on the wire); one batch per record, as separate produce
	// requests write them.
	value := bytes.Repeat([]byte{0xfe}, 600<<10)
	for range 10 {
		res, err := b.raw.Produce(ctx, &kafka.ProduceRequest{Topic: topic, Partition: 0, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(kafka.Record{Time: time.Now(), Value: kafka.NewBytes(value)})})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return err
		}
	}
	p, base, err := b.startLocal(path)
	if err != nil {
		return err
	}
	defer p.stop()
	url := base + "/v1/consumer/topics/" + topic + "/partitions/0/offsets/0?count=10&encoding=base64"
	if err := b.callURL(ctx, "GET", url, nil); err != nil { // warm: connections and metadata
		return err
	}
	idle, _, err := bintest.Memory(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var answered int64
	busy := 0
	for range 2 {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				res, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				defer mu.Unlock()
				switch res.StatusCode {
				case http.StatusOK:
					answered += n
				case http.StatusServiceUnavailable: // server_busy: allowed, retryable
					busy++
				default:
					errs <- fmt.Errorf("read answered %d", res.StatusCode)
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
	}
	_, peak, err := bintest.Memory(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	const budget = 32 << 20
	b.add(Result{Section: "memory", Name: "consume server RSS idle (warm, before load)", Value: float64(idle), Unit: "bytes"})
	b.add(Result{Section: "memory", Name: "peak RSS above idle, 64 concurrent ~6 MB base64 reads (×2)", Value: float64(peak - idle), Unit: "bytes",
		Target: "≤ response budget + 40 MB", Met: met(peak-idle <= budget+40_000_000),
		Note: fmt.Sprintf("peak VmHWM %d bytes; %d MB answered, %d retryable 503", peak, answered/1_000_000, busy)})
	return nil
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
