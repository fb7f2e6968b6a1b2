// Package reqbody hands a request body that one layer of the HTTP request
// path read into memory on to the layers behind it, so that each layer
// that needs the bytes (the signature check, the combined store check, the
// strict envelope) reads them once between them.
package reqbody

import (
	"bytes"
	"io"
	"net/http"
)

// Body is a request body held in memory: it reads as the bytes it holds,
// and Close closes the body they were read from.
type Body struct {
	bytes.Reader
	data []byte
	err  error // what reading the original body ended with, after data
	orig io.Closer
}

// New returns a Body of data, read from the body orig (closed by Close;
// nil for none).
func New(data []byte, orig io.Closer) *Body {
	b := &Body{data: data, orig: orig}
	b.Reset(data)
	return b
}

// Read reads the bytes, then returns the error reading the original body
// ended with, if it ended with one.
func (b *Body) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF && b.err != nil {
		return n, b.err
	}
	return n, err
}

// Close closes the original body.
func (b *Body) Close() error {
	if b.orig == nil {
		return nil
	}
	return b.orig.Close()
}

// Read returns r's body and the request to hand on: r itself when its body
// is a Body nobody has read from yet, or else a shallow copy of r whose
// body is a Body of what was read. When reading fails (the server's body
// cap, a body deadline), it returns what was read with the error, and the
// request handed on reads those bytes and then the error, so the layer
// that answers such failures still sees it.
func Read(r *http.Request) ([]byte, *http.Request, error) {
	if data, ok := Held(r.Body); ok {
		return data, r, nil
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, r, nil
	}
	data, err := io.ReadAll(r.Body)
	b := New(data, r.Body)
	b.err = err
	r2 := new(http.Request)
	*r2 = *r
	r2.Body = b
	return data, r2, err
}

// Held returns the bytes of body when it is a Body that read its original
// to the end and that nobody has read from yet.
func Held(body io.Reader) ([]byte, bool) {
	b, ok := body.(*Body)
	if !ok || b.Len() != len(b.data) || b.err != nil {
		return nil, false
	}
	return b.data, true
}

// ReadAtMost reads body to its end or to limit bytes, into a buffer sized by
// the declared length (size, -1 when unknown) when it is within limit, so a
// body whose length is declared is read with one allocation of its size.
func ReadAtMost(body io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size >= limit {
		return io.ReadAll(io.LimitReader(body, limit))
	}
	// One byte more than declared, to see the end without growing.
	buf := make([]byte, 0, size+1)
	lr := io.LimitReader(body, limit)
	for {
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // longer than declared: grow
		}
	}
}
