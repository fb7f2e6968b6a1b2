package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
	"sync"

	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// stdioTransport is the stdio transport: newline-delimited JSON-RPC on in
// and out. Each line is read here, at most MaxBodyBytes of it, and checked
// with the strict envelope reader (readEnvelope) before the SDK sees it; a
// line that fails is answered on out with its JSON-RPC error and the server
// goes on serving. Closing the connection closes in (which ends the read)
// but never out, which the process may still log a last line to.
func stdioTransport(in io.ReadCloser, out io.Writer) mcp.Transport {
	return &stdioLines{in: in, out: out}
}

type stdioLines struct {
	in  io.ReadCloser
	out io.Writer
}

// Connect starts the line reader and connects the SDK's IOTransport to it
// through a pipe: good lines go down the pipe unchanged, and the end of in
// becomes the end of the pipe.
func (t *stdioLines) Connect(ctx context.Context) (mcp.Connection, error) {
	pr, pw := io.Pipe()
	w := &stdioWriter{w: t.out}
	inner := &mcp.IOTransport{
		Reader: &stdioReader{PipeReader: pr, in: t.in},
		Writer: w,
		// Lines are capped here. The SDK counts what its decoder reads
		// ahead against the message before, so its own cap, if it were
		// MaxBodyBytes, could end the session on two long lines in a row.
		MaxLineLength: 3 * MaxBodyBytes,
	}
	conn, err := inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	go feedLines(t.in, pw, w)
	return conn, nil
}

// stdioReader is the SDK's end of the pipe; closing it closes in as well.
type stdioReader struct {
	*io.PipeReader
	in io.Closer
}

func (r *stdioReader) Close() error {
	r.PipeReader.Close()
	return r.in.Close()
}

// feedLines reads in line by line until it ends, handing good lines to the
// SDK through pw and answering the others through w.
func feedLines(in io.Reader, pw *io.PipeWriter, w *stdioWriter) {
	br := bufio.NewReaderSize(in, 64<<10)
	var buf []byte
	for {
		line, tooLong, err := readLine(br, buf[:0], MaxBodyBytes)
		buf = line
		if tooLong {
			w.writeError(refusal(codeInvalidRequest, nil, "invalid request: the message is longer than "+strconv.Itoa(MaxBodyBytes)+" bytes"))
		} else if msg := bytes.Trim(line, " \t\r\n"); len(msg) > 0 {
			if data := w.check(msg); data != nil {
				if _, werr := pw.Write(data); werr != nil {
					return // the SDK closed its end
				}
			}
		}
		if cap(buf) > 1<<20 {
			buf = nil // do not hold on to a long line's buffer
		}
		if err != nil {
			if err == io.EOF {
				pw.Close()
			} else {
				pw.CloseWithError(err)
			}
			return
		}
	}
}

// readLine appends the next line of br, without its newline, to buf. A line
// longer than max is read to its end but not kept: tooLong reports it.
func readLine(br *bufio.Reader, buf []byte, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		frag = bytes.TrimSuffix(frag, []byte{'\n'})
		if !tooLong {
			if len(buf)+len(frag) > max {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, frag...)
			}
		}
		if err != bufio.ErrBufferFull {
			return buf, tooLong, err
		}
	}
}

// stdioWriter is the SDK's writer and the line reader's: every Write, which
// the SDK makes once per message, goes out whole under one lock, so an error
// line never lands inside a message. It also follows the revision the
// session negotiates, which decides whether batches are accepted.
type stdioWriter struct {
	mu sync.Mutex
	w  io.Writer

	pendingInit []byte // the id of the initialize request not yet answered
	revision    string // the negotiated MCP revision, once answered
	// batchIDs are the ids of batched requests not yet answered: the SDK
	// ends the session when a new batch reuses one.
	batchIDs map[string]bool
}

func (w *stdioWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.observe(p)
	return w.w.Write(p)
}

func (w *stdioWriter) Close() error { return nil }

func (w *stdioWriter) writeError(e *rpcError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w.Write(append(e.appendJSON(nil), '\n'))
}

// check reads one line with the envelope reader and returns what to hand
// the SDK (with its newline), or nil when the line was answered or dropped
// here. Batches are accepted once the session negotiated a revision that
// has them (2025-03-26 or older), never before initialization.
func (w *stdioWriter) check(msg []byte) []byte {
	w.mu.Lock()
	allowBatch := legacyRevisions[w.revision]
	w.mu.Unlock()
	env := readEnvelope(msg, allowBatch)
	switch env.verdict {
	case refuse:
		w.writeError(env.err)
		return nil
	case ignore:
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if env.method == "initialize" {
		w.pendingInit = env.id
	}
	if env.batch {
		for _, key := range env.batchIDs {
			if w.batchIDs[key] {
				w.w.Write(append(refusal(codeInvalidRequest, nil, "invalid request: the batch reuses the id of a batched request not yet answered").appendJSON(nil), '\n'))
				return nil
			}
		}
		if w.batchIDs == nil {
			w.batchIDs = make(map[string]bool)
		}
		for _, key := range env.batchIDs {
			w.batchIDs[key] = true
		}
	}
	// The line's buffer is free again once the pipe has taken it, and
	// what follows the message in it is its trailing space at most.
	return append(env.data, '\n')
}

// observe follows the answer to initialize, for the negotiated revision,
// and the answers to batches, for the ids in flight. Called with mu held.
func (w *stdioWriter) observe(p []byte) {
	if w.pendingInit == nil && len(w.batchIDs) == 0 {
		return
	}
	text := bytes.TrimLeft(p, " \t\r\n")
	if len(text) == 0 {
		return
	}
	if text[0] == '[' {
		if len(w.batchIDs) == 0 {
			return
		}
		v, err := typed.ParseValue(p)
		if err != nil {
			return
		}
		for i := range v.Items {
			delete(w.batchIDs, idKey(&v.Items[i]))
		}
		return
	}
	if w.pendingInit == nil {
		return
	}
	v, err := typed.ParseValue(p)
	if err != nil {
		return
	}
	m := messageOf(&v)
	id, _, _ := readID(&m, nil)
	if _, isRequest := v.Get("method"); isRequest || !bytes.Equal(id, w.pendingInit) {
		return
	}
	w.pendingInit = nil
	if res, ok := v.Get("result"); ok {
		if pv, ok := res.Get("protocolVersion"); ok && pv.Kind == typed.String {
			w.revision = pv.Text
		}
	}
}
