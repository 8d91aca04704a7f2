package httpio

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Design note: the budgets below bound memory, so they must count what a request really
// holds, and a caller must not be able to hold much without spending anything:
//
//   - A request body takes nothing from the budget until its first bytes have arrived; only
//     then does it reserve its declared length (or HTTP_MAX_BODY_BYTES when unknown). A
//     connection that announces 6 MiB and sends nothing therefore holds no budget, and one
//     that sends a little and stalls holds it for at most HTTP_BODY_TIMEOUT: the body must
//     arrive within that time of the server starting to read it (the connection's read
//     deadline), or the request is answered 408 and the connection closed.
//   - The budget is taken lazily, on the handler's first Body.Read, so middleware that
//     authenticates from headers (auth.Guard with bearer tokens) runs before a body costs
//     anything, and an unauthenticated caller of such a route never takes budget.
//   - A body read before anyone vouched for its caller (webhooks and TC3, which sign the body
//     itself) also takes from a smaller share (HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES), so
//     such callers cannot starve the bearer-authenticated ones; MarkAuthenticated gives the
//     share back once the signature checked out.
//   - A request waits for room only while it holds nothing, so two requests never wait for
//     each other (no hold-and-wait). Bytes beyond a reservation (a body longer than declared)
//     are taken without waiting or refused.
//   - Answers (consume windows) reserve record data as it is fetched, through Hold.

// Option configures Serve.
type Option func(*serveOptions)

type serveOptions struct {
	body     *bodyBudget
	response *budget
	write    time.Duration // write deadline of a whole exchange, 0: none
	ops      opsOptions    // ops.go
}

// bodyChunk is the least a body grows its reservation by when it reads past it.
const bodyChunk = 64 << 10

// WithBodyBudget bounds the request bodies in flight at once to limits.MaxInflightBytes, so
// a burst of large requests cannot take the process's memory: a body waits for room (at most
// limits.RequestTimeout, and never past its own deadline) and is refused with a retryable 503
// when none frees up. A body of unknown length counts as MaxBodyBytes. Bodies read before
// their caller is authenticated share limits.MaxInflightUnauthBytes of it. Every body must
// arrive within limits.BodyTimeout of the server starting to read it, or it is answered 408.
func WithBodyBudget(limits Limits) Option {
	return func(o *serveOptions) {
		bb := &bodyBudget{maxBody: limits.MaxBodyBytes, timeout: limits.BodyTimeout}
		if limits.MaxInflightBytes > 0 {
			bb.all = newBudget(limits.MaxInflightBytes, limits.RequestTimeout, "HTTP_MAX_INFLIGHT_BYTES", "request")
			if u := limits.MaxInflightUnauthBytes; u > 0 && u < limits.MaxInflightBytes {
				bb.unauth = newBudget(u, limits.RequestTimeout, "HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES", "unauthenticated request")
			}
		}
		if bb.all != nil || bb.timeout > 0 {
			o.body = bb
		}
		if limits.RequestTimeout > 0 && limits.BodyTimeout > 0 {
			// The handler has RequestTimeout; the body and the answer each get BodyTimeout
			// on top, so a caller that stops reading its answer cannot hold it for ever.
			o.write = limits.RequestTimeout + 2*limits.BodyTimeout
		}
	}
}

// WithResponseBudget bounds the record data held for answers at once to
// limits.MaxInflightResponseBytes: handlers reserve it through Hold as they fetch, and a
// read that cannot get room within limits.RequestTimeout is a retryable 503.
func WithResponseBudget(limits Limits) Option {
	return func(o *serveOptions) {
		if limits.MaxInflightResponseBytes > 0 {
			o.response = newBudget(limits.MaxInflightResponseBytes, limits.RequestTimeout, "HTTP_MAX_INFLIGHT_RESPONSE_BYTES", "response")
		}
	}
}

// budget is a pool of bytes that requests hold while they work.
type budget struct {
	sem     *semaphore.Weighted
	total   int64
	wait    time.Duration
	setting string // the variable that sizes it, for the 503 message
	what    string // "request", "response"
}

func newBudget(total int64, wait time.Duration, setting, what string) *budget {
	return &budget{sem: semaphore.NewWeighted(total), total: total, wait: wait, setting: setting, what: what}
}

// acquire takes n bytes. With wait it waits for room at most b.wait, and never past ctx.
func (b *budget) acquire(ctx context.Context, n int64, wait bool) error {
	if n > b.total {
		return b.busy(nil)
	}
	if b.sem.TryAcquire(n) {
		return nil
	}
	if !wait {
		return b.busy(nil)
	}
	if b.wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.wait)
		defer cancel()
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return b.busy(err)
	}
	return nil
}

func (b *budget) release(n int64) {
	if n > 0 {
		b.sem.Release(n)
	}
}

func (b *budget) busy(cause error) error {
	return apierr.Wrap(apierr.Unavailable, "server_busy",
		"too many "+b.what+" bytes in flight ("+strconv.FormatInt(b.total, 10)+" allowed, "+b.setting+"); retry", cause)
}

type bodyBudget struct {
	all     *budget // nil: no byte budget, only the body deadline
	unauth  *budget // nil: no separate share
	maxBody int64
	timeout time.Duration
}

// wrap installs the budgeted body (note's bodyBuf) on r, Serve's own copy of the request,
// and returns it, or nil when r has no body.
func (bb *bodyBudget) wrap(w http.ResponseWriter, r *http.Request, note *logNote, log *slog.Logger, route string) *budgetBody {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	b := &note.bodyBuf
	b.body, b.bb, b.ctx, b.w, b.declared, b.log, b.route = r.Body, bb, r.Context(), w, r.ContentLength, log, route
	note.body = b
	r.Body = b
	return b
}

// budgetBody is a request body that takes its budget when its first bytes arrive and must
// arrive within the body timeout.
type budgetBody struct {
	body     io.ReadCloser
	bb       *bodyBudget
	ctx      context.Context
	w        http.ResponseWriter // for its read deadline (http.ResponseController)
	declared int64               // Content-Length, -1 when unknown
	log      *slog.Logger
	route    string // the mux pattern, for the log

	mu         sync.Mutex
	read       int64
	held       int64 // from bb.all
	heldUnauth int64 // from bb.unauth (also counted in held)
	authed     bool
	started    bool
	deadline   bool // a read deadline is set on the connection
	eof        bool
	err        error
	// For the log line of a body cut by its deadline: when reading began, when the
	// budget was first taken, and the most it held.
	readAt, heldAt time.Time
	peak           int64
	cut            bool
}

func (b *budgetBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !b.started {
		b.started = true
		b.readAt = time.Now()
		b.setDeadline()
	}
	n, err := b.body.Read(p)
	if terr := b.count(int64(n)); terr != nil {
		return 0, terr
	}
	switch {
	case err == io.EOF:
		b.eof = true
		b.clearDeadline()
	case err != nil && isTimeout(err):
		err = apierr.Wrap(apierr.RequestTimeout, "body_timeout",
			"the request body did not arrive within "+b.bb.timeout.String()+" (HTTP_BODY_TIMEOUT)", err)
		b.err = err
		b.cut = true
	}
	return n, err
}

func (b *budgetBody) Close() error { return b.body.Close() }

// readInMemory counts n bytes of a body that was in memory already as read, as Read would
// have: it takes the budget for them and ends the body.
func (b *budgetBody) readInMemory(n int64) error {
	if b.err != nil {
		return b.err
	}
	b.started = true
	if err := b.count(n); err != nil {
		return err
	}
	b.eof = true
	return nil
}

// count adds n bytes read to the body and takes budget for them when they pass what it
// holds; a refusal ends the body.
func (b *budgetBody) count(n int64) error {
	if n <= 0 {
		return nil
	}
	b.mu.Lock()
	b.read += n
	over := b.read > b.held
	b.mu.Unlock()
	if over && b.bb.all != nil {
		if err := b.take(); err != nil {
			b.err = err
			return err
		}
	}
	return nil
}

// take reserves room for what has been read: the whole declared body (waiting, since the
// request holds nothing yet) on the first bytes, a chunk more (without waiting) past that.
func (b *budgetBody) take() error {
	b.mu.Lock()
	first := b.held == 0
	need := b.read - b.held
	unauth := !b.authed && b.bb.unauth != nil
	b.mu.Unlock()
	all := b.bb.all
	if first {
		want := b.bb.maxBody
		if b.declared > 0 {
			want = b.declared
		}
		want = min(max(want, need), all.total)
		if unauth {
			want = min(want, b.bb.unauth.total)
		}
		// Waiting for room is not the caller's time: the deadline restarts when it ends.
		b.clearDeadline()
		if unauth {
			if err := b.bb.unauth.acquire(b.ctx, want, true); err != nil {
				return err
			}
		}
		if err := all.acquire(b.ctx, want, true); err != nil {
			if unauth {
				b.bb.unauth.release(want)
			}
			return err
		}
		b.mu.Lock()
		b.held, b.peak, b.heldAt = want, want, time.Now()
		if unauth {
			b.heldUnauth = want
		}
		b.mu.Unlock()
		b.setDeadline()
		return nil
	}
	want := max(need, bodyChunk)
	if unauth && b.heldUnauth > 0 {
		if err := b.bb.unauth.acquire(b.ctx, want, false); err != nil {
			return err
		}
	}
	if err := all.acquire(b.ctx, want, false); err != nil {
		if unauth && b.heldUnauth > 0 {
			b.bb.unauth.release(want)
		}
		return err
	}
	b.mu.Lock()
	b.held += want
	b.peak = max(b.peak, b.held)
	if unauth && b.heldUnauth > 0 {
		b.heldUnauth += want
	}
	b.mu.Unlock()
	return nil
}

// markAuthenticated moves the body out of the unauthenticated share.
func (b *budgetBody) markAuthenticated() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.authed = true
	if b.heldUnauth > 0 {
		b.bb.unauth.release(b.heldUnauth)
		b.heldUnauth = 0
	}
}

// release gives back everything the body holds; Serve calls it when the handler is done,
// still inside it. A body the handler left unread is bounded too: the server reads the rest
// to reuse the connection, which a caller that sends nothing would hold open for ever.
func (b *budgetBody) release() {
	if b.err == nil && b.bb.timeout > 0 && !b.eof {
		_ = b.setReadDeadline(time.Now().Add(b.bb.timeout))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut && b.log != nil {
		// Operators see who held budget without sending: how long, how much, how far it got.
		var heldFor time.Duration
		if !b.heldAt.IsZero() {
			heldFor = time.Since(b.heldAt)
		}
		b.log.LogAttrs(b.ctx, slog.LevelWarn, "request body cut: it did not arrive within HTTP_BODY_TIMEOUT",
			slog.String("route", b.route), slog.Int64("body_timeout_ms", b.bb.timeout.Milliseconds()),
			slog.Int64("body_read_ms", time.Since(b.readAt).Milliseconds()),
			slog.Int64("body_bytes_read", b.read), slog.Int64("body_bytes_declared", b.declared),
			slog.Int64("budget_held_bytes", b.peak), slog.Int64("budget_held_ms", heldFor.Milliseconds()),
			slog.Bool("authenticated", b.authed))
	}
	if b.heldUnauth > 0 {
		b.bb.unauth.release(b.heldUnauth)
		b.heldUnauth = 0
	}
	if b.held > 0 {
		b.bb.all.release(b.held)
		b.held = 0
	}
}

func (b *budgetBody) setDeadline() {
	if b.bb.timeout <= 0 {
		return
	}
	// Unsupported where the platform hands over a body already in memory (Lambda, SCF
	// events): there is nothing to wait for there.
	if b.setReadDeadline(time.Now().Add(b.bb.timeout)) == nil {
		b.deadline = true
	}
}

// setReadDeadline sets the connection's read deadline through the ResponseWriter.
func (b *budgetBody) setReadDeadline(t time.Time) error {
	if !canSetDeadline(b.w, true) {
		return http.ErrNotSupported
	}
	return http.NewResponseController(b.w).SetReadDeadline(t)
}

func (b *budgetBody) clearDeadline() {
	if b.deadline {
		// Once the body is in, the server reads the connection in the background to notice
		// a caller that went away; an old deadline would end the request there.
		_ = b.setReadDeadline(time.Time{})
		b.deadline = false
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// MarkAuthenticated records that r's caller has been authenticated (auth.Guard calls it), so
// its body is budgeted as an authenticated one: a body not read yet takes from the whole
// budget, one read before (a signed body) gives back the unauthenticated share.
func MarkAuthenticated(r *http.Request) {
	if n := noteFrom(r.Context()); n != nil && n.body != nil {
		n.body.markAuthenticated()
	}
}

// Hold is the record data one request holds for its answer, reserved from the response
// budget (WithResponseBudget) as it is fetched and released when the request is done. A nil
// *Hold (no budget) allows everything. It is safe for concurrent use; it implements
// broker.Budget.
type Hold struct {
	b     *budget
	mu    sync.Mutex
	held  int64 // taken from the budget
	used  int64 // drawn by Grow; held - used is prepaid and not yet drawn
	floor int64 // Prepay's amount: Shrink keeps at least this much held
}

// ResponseHold returns r's Hold, or nil when Serve has no response budget.
func ResponseHold(r *http.Request) *Hold {
	if n := noteFrom(r.Context()); n != nil {
		return n.hold
	}
	return nil
}

// Prepay reserves up to n bytes for the whole request at once (waiting for room as Grow does
// when nothing is held yet) and reports how much it got: at most the budget's size. Later
// Grow calls draw from it before they take more from the budget, so a read that fans out
// (one fetch per partition) never waits for room its own other fetches hold. A nil Hold
// (no budget) reports math.MaxInt64: there is no limit to fit in.
func (h *Hold) Prepay(ctx context.Context, n int64) (int64, error) {
	if h == nil {
		return math.MaxInt64, nil
	}
	if n <= 0 {
		return 0, nil
	}
	n = min(n, h.b.total)
	h.mu.Lock()
	wait := h.held == 0
	h.mu.Unlock()
	if err := h.b.acquire(ctx, n, wait); err != nil {
		return 0, err
	}
	h.mu.Lock()
	h.held += n
	h.floor += n
	h.mu.Unlock()
	return n, nil
}

// Grow reserves n more bytes. With wait (the request has nothing to answer with yet) it
// waits for room at most REQUEST_TIMEOUT and never past ctx; without, it fails at once, so
// a request that holds budget never waits for another. The error is a retryable 503
// server_busy.
func (h *Hold) Grow(ctx context.Context, n int64, wait bool) error {
	if h == nil || n <= 0 {
		return nil
	}
	h.mu.Lock()
	need := n - (h.held - h.used)
	if need <= 0 {
		h.used += n
		h.mu.Unlock()
		return nil
	}
	// A request that already holds budget (another partition of the same window) never
	// waits: it would wait for itself when its own reservations fill the budget.
	wait = wait && h.held == 0
	h.mu.Unlock()
	if err := h.b.acquire(ctx, need, wait); err != nil {
		return err
	}
	h.mu.Lock()
	h.held += need
	h.used += n
	h.mu.Unlock()
	return nil
}

// Shrink gives n bytes back (to the prepaid part first).
func (h *Hold) Shrink(n int64) {
	if h == nil || n <= 0 {
		return
	}
	h.mu.Lock()
	h.used -= min(n, h.used)
	excess := h.held - max(h.used, h.floor)
	if excess > 0 {
		h.held -= excess
	}
	h.mu.Unlock()
	if excess > 0 {
		h.b.release(excess)
	}
}

// Held reports the bytes h holds.
func (h *Hold) Held() int64 {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

func (h *Hold) release() {
	h.mu.Lock()
	n := h.held
	h.held, h.used, h.floor = 0, 0, 0
	h.mu.Unlock()
	h.b.release(n)
}
