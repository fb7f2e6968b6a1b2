// Package stateerr words the failures of store.State, so that every
// implementation in this module answers a caller with the same codes,
// messages and details.
package stateerr

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// CheckSet returns the failure of a write with an empty key, a negative
// ttl or a value that is not JSON (MCP-001), or a value over
// maxValueBytes (MCP-014), or nil.
func CheckSet(key string, value json.RawMessage, ttl time.Duration, maxValueBytes int) error {
	switch {
	case key == "":
		return mcperr.Errorf(mcperr.CodeInvalidArgs, "key must not be empty")
	case ttl < 0:
		return mcperr.Errorf(mcperr.CodeInvalidArgs, "ttl must not be negative, got %s", ttl)
	case len(value) > maxValueBytes:
		return ValueTooLarge(key, len(value), maxValueBytes)
	case !json.Valid(value):
		return mcperr.Errorf(mcperr.CodeInvalidArgs, "value under key %q is not valid JSON", key)
	}
	return nil
}

// NotFound is MCP-013 for a key that is absent or expired.
func NotFound(key string) *mcperr.Error {
	return &mcperr.Error{
		Code:    mcperr.CodeKeyNotFound,
		Message: fmt.Sprintf("no value stored under key %q", key),
		Details: map[string]any{"key": key},
	}
}

// ValueTooLarge is MCP-014 for a value over the per-value cap.
func ValueTooLarge(key string, bytes, maxValueBytes int) *mcperr.Error {
	return &mcperr.Error{
		Code:    mcperr.CodeStorageQuotaExceeded,
		Message: fmt.Sprintf("value of %d bytes exceeds the limit of %d bytes per value", bytes, maxValueBytes),
		Details: map[string]any{"key": key, "bytes": bytes, "max_value_bytes": maxValueBytes},
	}
}

// Full is MCP-014 for a write the store's quota has no room for.
func Full(key string, needed, free, maxTotalBytes int) *mcperr.Error {
	return &mcperr.Error{
		Code:    mcperr.CodeStorageQuotaExceeded,
		Message: fmt.Sprintf("state store full: writing key %q needs %d more bytes, %d of %d are free", key, needed, free, maxTotalBytes),
		Details: map[string]any{"key": key, "needed_bytes": needed, "free_bytes": free, "max_total_bytes": maxTotalBytes},
	}
}

// VersionConflict is MCP-005 for a write whose ifVersion is not the stored
// version (0 when the key is absent).
func VersionConflict(key string, ifVersion, stored int64, exists bool) *mcperr.Error {
	msg := fmt.Sprintf("version conflict on key %q: ifVersion is %d but the stored version is %d", key, ifVersion, stored)
	if !exists {
		msg = fmt.Sprintf("version conflict on key %q: ifVersion is %d but the key is absent", key, ifVersion)
	}
	return &mcperr.Error{
		Code:    mcperr.CodeIdempotencyConflict,
		Message: msg,
		Details: map[string]any{"key": key, "if_version": ifVersion, "stored_version": stored},
	}
}
