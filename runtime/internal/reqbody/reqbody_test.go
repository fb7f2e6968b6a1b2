package reqbody

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadOnce(t *testing.T) {
	r, err := http.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	data, r2, err := Read(r)
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(data))
	assert.NotSame(t, r, r2, "the request handed on is a copy with the body in memory")

	again, r3, err := Read(r2)
	require.NoError(t, err)
	assert.Same(t, r2, r3, "a body in memory is not read again")
	assert.Equal(t, &data[0], &again[0], "the same bytes")

	rest, err := io.ReadAll(r3.Body)
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(rest), "the layer behind reads the whole body")

	_, r4, err := Read(r3)
	require.NoError(t, err)
	assert.NotSame(t, r3, r4, "a body read from already is read as it is")
}

type failingBody struct {
	io.Reader
	closed bool
}

func (f *failingBody) Close() error { f.closed = true; return nil }

func TestReadError(t *testing.T) {
	cut := errors.New("request body is larger than the cap")
	orig := &failingBody{Reader: io.MultiReader(strings.NewReader("abc"), iotestErr{cut})}
	r, err := http.NewRequest(http.MethodPost, "/mcp", nil)
	require.NoError(t, err)
	r.Body = orig
	data, r2, err := Read(r)
	assert.ErrorIs(t, err, cut)
	assert.Equal(t, "abc", string(data))

	rest, err := io.ReadAll(r2.Body)
	assert.Equal(t, "abc", string(rest))
	assert.ErrorIs(t, err, cut, "the layer behind sees the failure after the bytes")
	require.NoError(t, r2.Body.Close())
	assert.True(t, orig.closed, "Close closes the original body")
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }
