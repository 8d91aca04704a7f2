package consumewindow

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/bintest"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/config"
)

// In package consumewindow: it uses the binary helpers of binary_test.go.

// vm returns VmRSS and VmHWM (peak RSS) of pid in bytes.
func vm(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	rss, hwm, err := bintest.Memory(pid)
	if err != nil {
		t.Fatal(err)
	}
	return rss, hwm
}

// TestConcurrentLargeReadsStayInTheResponseBudget: 64 concurrent reads of a ~6 MB window
// (count=10, base64) from the consume-window binary, run as a local server (as SCF web
// functions and Azure run it), keep its peak RSS above idle under the default response
// budget + 40 MB; each read is answered (whole, with fewer records, or a retryable 503,
// never a 500). Kafka is kfake in this process, so its memory is not counted.
func TestConcurrentLargeReadsStayInTheResponseBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("moves ~500 MB through a server process")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs Linux /proc for the peak RSS")
	}
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "big"))
	bc, err := broker.New(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Close)
	const records, recordSize = 10, 600 << 10
	for range records { // one batch per record, as separate produce requests write them
		v := make([]byte, recordSize)
		_, _ = rand.Read(v)
		if _, err := bc.Produce(t.Context(), "big", []broker.Record{{Partition: 0, Value: v}}); err != nil {
			t.Fatal(err)
		}
	}
	limits, err := config.LimitsFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	addr, port := freeAddr(t)
	cmd := exec.Command(bin)
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "KAFKA_BROKERS=" + strings.Join(c.Config.Brokers, ","),
		"PORT=" + port, "AUTH_INSECURE_DEV=true", "LOG_LEVEL=ERROR"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("consume-window output:\n%.2000s", out.String())
		}
	})
	bintest.WaitListening(t, addr, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := "http://" + addr + "/v1/consumer/topics/big/partitions/0/offsets/0?count=10&encoding=base64"

	// Warm up: connections, metadata, and one answer checked whole.
	res, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var one ConsumeResponse
	if err := json.NewDecoder(res.Body).Decode(&one); err != nil || res.StatusCode != 200 || len(one.Records) != records {
		t.Fatalf("warm-up read: %d, %d records, %v", res.StatusCode, len(one.Records), err)
	}
	res.Body.Close()
	idle, _ := vm(t, cmd.Process.Pid)

	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var answered int64
	for range 64 {
		wg.Go(func() {
			res, err := client.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			mu.Lock()
			statuses[res.StatusCode]++
			if res.StatusCode == 200 {
				answered += n
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	_, peak := vm(t, cmd.Process.Pid)
	above := peak - idle
	budget := limits.MaxInflightResponseBytes
	t.Logf("statuses %v, %d MB answered; RSS idle %d MB, peak %d MB: %d MB above idle (budget %d MB + 40 MB allowed)",
		statuses, answered/1e6, idle/1e6, peak/1e6, above/1e6, budget/1e6)
	for status := range statuses {
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			t.Errorf("a read answered %d", status)
		}
	}
	if statuses[http.StatusOK] == 0 {
		t.Error("no read was answered")
	}
	if above > budget+40e6 {
		t.Errorf("peak RSS %d MB above idle, over the budget (%d MB) + 40 MB", above/1e6, budget/1e6)
	}
}
