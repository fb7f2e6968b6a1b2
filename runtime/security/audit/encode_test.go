package audit

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toolExecutionReference is the record as encoding/json writes it, which
// the hand-written encoder must match byte for byte.
func toolExecutionReference(t *testing.T, now time.Time, e ToolExecution) []byte {
	class := e.Class
	if class == "" {
		class = ClassToolExecution
	}
	b, err := json.Marshal(struct {
		header
		CorrID   string  `json:"corr_id"`
		ClientID string  `json:"client_id"`
		Tool     string  `json:"tool"`
		Status   string  `json:"status"`
		Duration float64 `json:"duration_ms"`
		In       int     `json:"input_size_bytes"`
		Out      int     `json:"output_size_bytes"`
	}{header{now.UTC().Format("2006-01-02T15:04:05.000Z07:00"), class, class.RetentionDays(), "tool_execution"},
		e.CorrelationID, e.ClientID, e.Tool, e.Status,
		float64(e.Duration.Microseconds()) / 1000, e.InputSizeBytes, e.OutputSizeBytes})
	require.NoError(t, err)
	return append(b, '\n')
}

type lastLine struct{ line []byte }

func (s *lastLine) WriteEvent(line []byte) error { s.line = bytes.Clone(line); return nil }

func TestToolExecutionIsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	pieces := []string{"a", "desk-1", "quote.get", `"`, `\`, "<", ">", "&", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f",
		"é", "€", "𝄞", "\u2028", "\u2029", "\xff", "\xe2\x82", "\xed\xa0\x80", " ", "MCP-006"}
	str := func() string {
		var s string
		for range rng.IntN(6) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	now := time.Date(2026, 12, 1, 9, 30, 0, 123_456_789, time.FixedZone("X", 3600))
	for i := range 5000 {
		e := ToolExecution{
			CorrelationID: str(), ClientID: str(), Tool: str(), Status: str(),
			Class:          []Class{"", ClassDataAccess, ClassToolExecution, Class(str())}[i%4],
			Duration:       time.Duration(rng.Int64N(int64(10 * time.Minute))),
			InputSizeBytes: rng.IntN(1 << 20), OutputSizeBytes: rng.IntN(1<<20) - 5,
		}
		if i%7 == 0 {
			e.Duration = []time.Duration{0, time.Microsecond, -3 * time.Millisecond, 1500 * time.Microsecond, 1<<63 - 1}[i%5]
		}
		for _, sink := range []Sink{NewWriterSink(io.Discard), &lastLine{}} {
			var got []byte
			if w, ok := sink.(*writerSink); ok {
				var buf bytes.Buffer
				w.w = &buf
				l := New(w, Options{Now: func() time.Time { return now }})
				require.NoError(t, l.ToolExecution(e))
				got = buf.Bytes()
			} else {
				l := New(sink, Options{Now: func() time.Time { return now }})
				require.NoError(t, l.ToolExecution(e))
				got = sink.(*lastLine).line
			}
			if !assert.Equal(t, string(toolExecutionReference(t, now, e)), string(got), "%#v", e) {
				return
			}
		}
	}
}

func TestToolExecutionDoesNotAllocate(t *testing.T) {
	l := New(NewWriterSink(io.Discard), Options{})
	e := ToolExecution{CorrelationID: "01JDQ3", ClientID: "desk-a", Tool: "quote.get", Status: "ok", Duration: 1234 * time.Microsecond}
	allocs := testing.AllocsPerRun(1000, func() { l.ToolExecution(e) })
	assert.Zero(t, allocs)
}

func BenchmarkRecord(b *testing.B) {
	l := New(NewWriterSink(io.Discard), Options{})
	call := Call{Tool: "quote.get", CorrelationID: "01JDQ3ZQ8W9V", ClientID: "desk-a", Duration: 1234 * time.Microsecond, ArgsBytes: 42, OutputBytes: 120}
	b.ReportAllocs()
	for b.Loop() {
		l.Record(call)
	}
}
