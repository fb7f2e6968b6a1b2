package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A line longer than the cap is read to its newline but never held whole.
func TestReadLineDiscardsLongLinesWithoutBufferingThem(t *testing.T) {
	const max = 1 << 16
	input := strings.Repeat("x", 10*max) + "\n" + `{"a":1}` + "\n" + "last"
	br := bufio.NewReaderSize(strings.NewReader(input), 4096)

	line, tooLong, err := readLine(br, nil, max)
	require.NoError(t, err)
	assert.True(t, tooLong)
	assert.Empty(t, line)
	assert.Less(t, cap(line), 2*max, "the long line was not buffered whole")

	line, tooLong, err = readLine(br, line[:0], max)
	require.NoError(t, err)
	assert.False(t, tooLong)
	assert.Equal(t, `{"a":1}`, string(line))

	line, tooLong, err = readLine(br, line[:0], max)
	assert.Equal(t, io.EOF, err, "the last line has no newline")
	assert.False(t, tooLong)
	assert.Equal(t, "last", string(line))

	// Exactly max bytes is not too long.
	br = bufio.NewReaderSize(strings.NewReader(strings.Repeat("y", max)+"\n"), 4096)
	line, tooLong, _ = readLine(br, nil, max)
	assert.False(t, tooLong)
	assert.Len(t, line, max)
}

// trickle writes what it is given a few bytes at a time, yielding between,
// as a pipe to a slow reader may.
type trickle struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *trickle) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i += 7 {
		w.mu.Lock()
		w.buf.Write(p[i:min(i+7, len(p))])
		w.mu.Unlock()
		runtime.Gosched()
	}
	return len(p), nil
}

// The SDK's writes and the reader's error lines never land inside each
// other, however the output is written.
func TestStdioWritesNeverInterleave(t *testing.T) {
	out := &trickle{}
	w := &stdioWriter{w: out}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if g%2 == 0 {
					w.writeError(refusal(codeParseError, nil, "parse error: "+strings.Repeat("e", 100)))
				} else {
					msg := `{"jsonrpc":"2.0","id":` + strconv.Itoa(g*1000+i) + `,"result":{"pad":"` + strings.Repeat("r", 300) + `"}}` + "\n"
					w.Write([]byte(msg))
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	require.Len(t, lines, 400)
	for _, line := range lines {
		require.True(t, json.Valid([]byte(line)), "a line made of two messages: %q", line)
	}
}

// The end of stdin is the end of what the SDK reads, after the last line,
// even one without a newline.
func TestFeedLinesEndsWithItsInput(t *testing.T) {
	pr, pw := io.Pipe()
	var out bytes.Buffer
	w := &stdioWriter{w: &out}
	in := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n{bad\n" + `  {"jsonrpc":"2.0","id":2,"method":"ping"}  `
	go feedLines(strings.NewReader(in), pw, w)
	got, err := io.ReadAll(pr)
	require.NoError(t, err, "the SDK sees EOF, not an error")
	assert.Equal(t, `{"jsonrpc":"2.0","id":1,"method":"ping"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"ping"}`+"\n", string(got),
		"good lines reach the SDK unchanged, without the space around them")
	assert.Equal(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: malformed JSON: field name: unexpected byte 98 'b' at 1"}}`+"\n", out.String())
}
