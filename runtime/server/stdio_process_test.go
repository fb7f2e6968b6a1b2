package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdioPeer is the client end of a stdio server: lines written to its
// stdin, lines read from its stdout.
type stdioPeer struct {
	t     *testing.T
	in    io.WriteCloser
	lines chan []byte
}

func (p *stdioPeer) send(line []byte) {
	p.t.Helper()
	_, err := p.in.Write(append(line, '\n'))
	require.NoError(p.t, err)
}

func (p *stdioPeer) next() map[string]json.RawMessage {
	p.t.Helper()
	select {
	case line, ok := <-p.lines:
		require.True(p.t, ok, "the server closed stdout")
		if line = bytes.TrimSpace(line); len(line) > 0 && line[0] == '[' {
			return map[string]json.RawMessage{"batch": line} // a batch's answers
		}
		var m map[string]json.RawMessage
		require.NoError(p.t, json.Unmarshal(line, &m), "a line that is not a JSON object: %q", line)
		return m
	case <-time.After(30 * time.Second):
		p.t.Fatal("no answer within 30s")
		return nil
	}
}

func readLines(r io.Reader) chan []byte {
	lines := make(chan []byte, 16)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(r, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return lines
}

// TestStdioServerSurvivesMalformedLines runs the test binary as a stdio
// server (TestMain) and sends it each line the issue found ending the
// process: each is answered with its JSON-RPC error, id null, and the
// server goes on serving; closing stdin still ends it cleanly.
func TestStdioServerSurvivesMalformedLines(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), stdioServerEnv+"=1")
	stderr := new(syncBuffer)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	p := &stdioPeer{t: t, in: in, lines: readLines(out)}

	p.send([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	require.Contains(t, string(p.next()["result"]), `"protocolVersion":"2025-11-25"`)
	p.send([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))

	cases := []struct {
		name    string
		line    []byte
		code    int
		message string
	}{
		{"not JSON", []byte(`{not json`), -32700, "parse error: malformed JSON: field name: unexpected byte 110 'n' at 1"},
		{"a bare null", []byte(`null`), -32600, "invalid request: a message must be a JSON object, got null"},
		{"a NUL byte", []byte{0}, -32700, "parse error: malformed JSON: expected a JSON value"},
		{"invalid UTF-8", []byte{'"', 0xff, '"'}, -32700, "parse error: the message is not valid UTF-8"},
		{"nesting over 1,000", []byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}}`), -32600, "invalid request: nested deeper than 64 levels"},
		{"an id of 1e1000000000", []byte(`{"jsonrpc":"2.0","id":1e1000000000,"method":"ping"}`), -32600, "invalid request: id must be a string, an integer between -9007199254740991 and 9007199254740991, or null"},
		{"a batch", []byte(`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`), -32600, "invalid request: JSON-RPC batches are not part of MCP 2025-06-18 and later; send one message at a time"},
		{"two messages on one line", []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}{"jsonrpc":"2.0","id":2,"method":"ping"}`), -32700, "parse error: unexpected data after the JSON value"},
		{"a line over 10 MiB", bytes.Repeat([]byte("x"), 11<<20), -32600, "invalid request: the message is longer than 10485760 bytes"},
		{"a message over 10 MiB", []byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("p", 11<<20) + `"}}`), -32600, "invalid request: the message is longer than 10485760 bytes"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.t = t
			p.send(c.line)
			pingID := strconv.Itoa(100 + i)
			p.send([]byte(`{"jsonrpc":"2.0","id":` + pingID + `,"method":"ping"}`))
			got := p.next()
			assert.JSONEq(t, `null`, string(got["id"]))
			var e struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			require.NoError(t, json.Unmarshal(got["error"], &e), "an error answer: %v", got)
			assert.Equal(t, c.code, e.Code)
			assert.Equal(t, c.message, e.Message)
			pong := p.next()
			assert.JSONEq(t, pingID, string(pong["id"]), "the server still serves")
			assert.JSONEq(t, `{}`, string(pong["result"]))
		})
	}
	p.t = t
	p.send([]byte(`{"jsonrpc":"2.0","id":"call","method":"tools/call","params":{"name":"echo","arguments":{"a":1}}}`))
	res := p.next()
	assert.Contains(t, string(res["result"]), `"structuredContent":{"a":1}`)

	require.NoError(t, in.Close())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "the server exits cleanly at the end of stdin; stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not end with its stdin")
	}
}
