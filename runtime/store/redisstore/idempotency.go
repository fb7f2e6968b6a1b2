package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Begin implements store.Idempotency: one script looks the key up and
// claims it when it is free, so of concurrent requests with one key
// exactly one is Started, on any replica. The claim lapses after lease on
// Redis's clock. A client at Options.MaxRecordsPerClient makes room by
// dropping its own oldest completed record; store.ErrFull when all its
// records are in flight. One round trip.
func (s *Store) Begin(ctx context.Context, k store.RecordKey, fp store.Fingerprint, lease time.Duration) (store.RecordState, *store.Response, error) {
	r, err := s.run(ctx, beginScript, s.recordKeys(k.Client), escape(k.Key), fp[:], lease.Microseconds(), s.maxRecords)
	if err != nil {
		return 0, nil, err
	}
	v, err := ints(r[:1], 1)
	if err != nil {
		return 0, nil, err
	}
	var blob string
	if len(r) > 1 {
		blob, _ = r[1].(string)
	}
	return beginResult(v[0], blob)
}

// beginResult is Begin's answer for the state the begin script returned,
// with blob the stored response of a completed record.
func beginResult(state int64, blob string) (store.RecordState, *store.Response, error) {
	switch state {
	case 0:
		return store.Started, nil, nil
	case 1:
		return store.InFlight, nil, nil
	case 2:
		return store.Mismatch, nil, nil
	case 3:
		if blob == "" {
			return 0, nil, errors.New("redisstore: a completed record came without its response")
		}
		resp, err := decodeResponse([]byte(blob))
		if err != nil {
			return 0, nil, err
		}
		return store.Completed, resp, nil
	case 4:
		return 0, nil, store.ErrFull
	}
	return 0, nil, fmt.Errorf("redisstore: unknown record state %d", state)
}

// Complete implements store.Idempotency. A response whose encoding is
// larger than Options.MaxRecordBytesPerClient is kept as Dropped; the
// client's oldest completed records make room for one within it.
func (s *Store) Complete(ctx context.Context, k store.RecordKey, fp store.Fingerprint, resp *store.Response, ttl time.Duration) error {
	blob := encodeResponse(resp)
	if len(blob) > s.maxRecordBytes {
		blob = encodeResponse(&store.Response{Status: resp.Status, Dropped: true})
	}
	_, err := s.run(ctx, completeScript, s.recordKeys(k.Client), escape(k.Key), fp[:], blob, ttl.Microseconds(), s.maxRecordBytes)
	return err
}

// Release implements store.Idempotency.
func (s *Store) Release(ctx context.Context, k store.RecordKey, fp store.Fingerprint) error {
	_, err := s.run(ctx, releaseScript, s.recordKeys(k.Client), escape(k.Key), fp[:])
	return err
}

// recordKeys are a client's record hash and its sets of claims in flight
// and completed records.
func (s *Store) recordKeys(client string) []string {
	return []string{s.principalKey(client, "i"), s.principalKey(client, "if"), s.principalKey(client, "id")}
}

// The encoding of a stored response: a version byte (1), a flags byte
// (1: Dropped), the status, the number of header names, each name with
// its number of values and the values, then the body; numbers are
// uvarints and strings a uvarint length and their bytes.
const responseV1 = 1

func encodeResponse(r *store.Response) []byte {
	n := 16 + len(r.Body)
	for k, vs := range r.Header {
		n += len(k) + 2*binary.MaxVarintLen64
		for _, v := range vs {
			n += len(v) + binary.MaxVarintLen64
		}
	}
	b := make([]byte, 0, n)
	var flags byte
	if r.Dropped {
		flags = 1
	}
	b = append(b, responseV1, flags)
	b = binary.AppendUvarint(b, uint64(r.Status))
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendString(b, k)
		b = binary.AppendUvarint(b, uint64(len(r.Header[k])))
		for _, v := range r.Header[k] {
			b = appendString(b, v)
		}
	}
	return append(b, r.Body...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("redisstore: a stored response is malformed")

func decodeResponse(b []byte) (*store.Response, error) {
	if len(b) < 2 || b[0] != responseV1 {
		return nil, errCorrupt
	}
	r := &store.Response{Dropped: b[1]&1 != 0}
	b = b[2:]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := next()
		if !ok || n > uint64(len(b)) {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	status, ok := next()
	if !ok {
		return nil, errCorrupt
	}
	r.Status = int(status)
	names, ok := next()
	if !ok || names > uint64(len(b)) {
		return nil, errCorrupt
	}
	if names > 0 {
		r.Header = make(http.Header, names)
	}
	for range names {
		k, ok := str()
		if !ok {
			return nil, errCorrupt
		}
		count, ok := next()
		if !ok || count > uint64(len(b)) {
			return nil, errCorrupt
		}
		vs := make([]string, 0, count)
		for range count {
			v, ok := str()
			if !ok {
				return nil, errCorrupt
			}
			vs = append(vs, v)
		}
		r.Header[k] = vs
	}
	if len(b) > 0 {
		r.Body = append([]byte(nil), b...)
	}
	return r, nil
}
