// Package principal carries the authenticated client's ID in a context, from
// the security layers that establish it to the server that hands it to tool
// calls. It is internal so that no code outside the runtime can forge it.
package principal

import "context"

type clientIDKey struct{}

// WithClientID returns ctx carrying the authenticated client's ID.
func WithClientID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientIDKey{}, id)
}

// ClientID returns the client ID ctx carries, or "".
func ClientID(ctx context.Context) string {
	id, _ := ctx.Value(clientIDKey{}).(string)
	return id
}
