package idempotency

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sseDataReference is the straightforward reading of an SSE stream that
// sseEvents replaces: normalise line ends, split, join data lines.
func sseDataReference(stream []byte) [][]byte {
	var events [][]byte
	var data []byte
	has := false
	stream = bytes.ReplaceAll(stream, []byte("\r\n"), []byte("\n"))
	stream = bytes.ReplaceAll(stream, []byte("\r"), []byte("\n"))
	for _, line := range bytes.Split(stream, []byte("\n")) {
		if len(line) == 0 {
			if has {
				events = append(events, data)
			}
			data, has = nil, false
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if has {
			data = append(data, '\n')
		}
		data, has = append(data, value...), true
	}
	if has {
		events = append(events, data)
	}
	return events
}

func FuzzSSEEvents(f *testing.F) {
	f.Add([]byte("event: message\ndata: {\"a\":1}\n\n"))
	f.Add([]byte("data: a\r\ndata: b\r\n\r\ndata:c\rdata: d\r\r: comment\nid: 3\ndata\n\n"))
	f.Add([]byte("data: cut off"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		want := sseDataReference(stream)
		got := sseData(stream)
		assert.Equal(t, len(want), len(got), "%q", stream)
		for i := range min(len(want), len(got)) {
			assert.Equal(t, string(want[i]), string(got[i]), "event %d of %q", i, stream)
		}
	})
}

func TestSSEEventsRandomStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"data: ", "data:", "data", "event: message", "id: 1", ": c", "{\"x\":1}", "isError", "\n", "\r\n", "\r", "\n\n", " "}
	for range 20_000 {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, parts[rng.IntN(len(parts))]...)
		}
		want, got := sseDataReference(b), sseData(b)
		if !assert.Equal(t, len(want), len(got), "%q", b) {
			return
		}
		for i := range want {
			if !assert.Equal(t, string(want[i]), string(got[i]), "%q", b) {
				return
			}
		}
	}
}
