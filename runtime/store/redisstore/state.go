package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store/internal/stateerr"
)

// Get implements store.State, with memstore.State's errors: MCP-013 for a
// key that is absent or has expired on Redis's clock. One round trip.
func (s *Store) Get(ctx context.Context, key string) (json.RawMessage, int64, error) {
	r, err := s.run(ctx, stateGetScript, s.stateKeys(), key, StateEntryOverhead)
	if err != nil {
		return nil, 0, err
	}
	if len(r) == 0 || r[0] != int64(1) {
		return nil, 0, stateerr.NotFound(key)
	}
	if len(r) < 3 {
		return nil, 0, fmt.Errorf("redisstore: a state reply has %d values, want 3", len(r))
	}
	version, err := toInt(r[1])
	if err != nil {
		return nil, 0, err
	}
	value, _ := r[2].(string)
	return json.RawMessage(value), version, nil
}

// Set implements store.State, with memstore.State's errors and quotas
// (Options.MaxStateValueBytes, Options.MaxStateBytes over keys, values and
// StateEntryOverhead): versions come from one counter in Redis, so they
// are unique across replicas and grow with every write. One round trip.
func (s *Store) Set(ctx context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := stateerr.CheckSet(key, value, ttl, s.maxValueBytes); err != nil {
		return 0, err
	}
	ttlMicros := ttl.Microseconds()
	if ttl > 0 && ttlMicros == 0 {
		ttlMicros = 1 // a TTL under a microsecond still expires
	}
	hasIf, ifv := "0", "0"
	if ifVersion != nil {
		hasIf, ifv = "1", strconv.FormatInt(*ifVersion, 10)
	}
	r, err := s.run(ctx, stateSetScript, s.stateKeys(), key, []byte(value), ttlMicros, hasIf, ifv, s.maxStateBytes, StateEntryOverhead)
	if err != nil {
		return 0, err
	}
	v, err := ints(r, 2)
	if err != nil {
		return 0, err
	}
	switch v[0] {
	case 0:
		return v[1], nil
	case 1:
		exists := len(v) > 2 && v[2] == 1
		return 0, stateerr.VersionConflict(key, *ifVersion, v[1], exists)
	case 2:
		if len(v) < 3 {
			return 0, fmt.Errorf("redisstore: a quota reply has %d values, want 3", len(v))
		}
		return 0, stateerr.Full(key, int(v[1]), int(v[2]), s.maxStateBytes)
	}
	return 0, fmt.Errorf("redisstore: unknown state reply %d", v[0])
}

func (s *Store) stateKeys() []string {
	return []string{s.stateKey("d"), s.stateKey("x"), s.stateKey("m")}
}

func toInt(x any) (int64, error) {
	switch x := x.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("redisstore: a script replied %T where a number belongs", x)
}
