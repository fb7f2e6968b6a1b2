package main

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const watchedURI = "test://watched-resource"

// templateURI matches the one resource template, test://template/{id}/data.
var templateURI = regexp.MustCompile(`^test://template/([^/]+)/data$`)

func addResources(s *mcp.Server, w *watchedResource) {
	s.AddResource(&mcp.Resource{
		URI: "test://static-text", Name: "static-text", MIMEType: "text/plain",
		Description: "A fixed text resource.",
	}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
			URI: req.Params.URI, MIMEType: "text/plain", Text: "This is the content of the static text resource.",
		}}}, nil
	})
	s.AddResource(&mcp.Resource{
		URI: "test://static-binary", Name: "static-binary", MIMEType: "image/png",
		Description: "A fixed binary resource: a 1x1 PNG image.",
	}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
			URI: req.Params.URI, MIMEType: "image/png", Blob: decode(pngBase64),
		}}}, nil
	})
	s.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: "test://template/{id}/data", Name: "template", MIMEType: "application/json",
		Description: "A JSON document per id.",
	}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		m := templateURI.FindStringSubmatch(req.Params.URI)
		if m == nil {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		text := fmt.Sprintf(`{"id":%q,"templateTest":true,"data":%q}`, m[1], "Data for ID: "+m[1])
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
			URI: req.Params.URI, MIMEType: "application/json", Text: text,
		}}}, nil
	})
	s.AddResource(&mcp.Resource{
		URI: watchedURI, Name: "watched-resource", MIMEType: "text/plain",
		Description: "A resource that changes every 3 seconds; subscribers are told.",
	}, w.read)
}

// watchedResource is a resource whose content changes on a timer, so that
// subscribing to it means something.
type watchedResource struct {
	mu      sync.Mutex
	version int
}

func newWatchedResource() *watchedResource { return &watchedResource{} }

func (w *watchedResource) read(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	w.mu.Lock()
	v := w.version
	w.mu.Unlock()
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
		URI: req.Params.URI, MIMEType: "text/plain", Text: fmt.Sprintf("Watched resource content, version %d", v),
	}}}, nil
}

// subscribe and unsubscribe accept subscriptions to the watched resource
// only; the SDK keeps track of which sessions are subscribed to what.
func (w *watchedResource) subscribe(_ context.Context, req *mcp.SubscribeRequest) error {
	return subscribable(req.Params.URI)
}

func (w *watchedResource) unsubscribe(_ context.Context, req *mcp.UnsubscribeRequest) error {
	return subscribable(req.Params.URI)
}

func subscribable(uri string) error {
	if uri != watchedURI {
		return mcp.ResourceNotFoundError(uri)
	}
	return nil
}

// run changes the resource every 3 seconds and tells the subscribed
// sessions, until ctx is done.
func (w *watchedResource) run(ctx context.Context, s *mcp.Server) {
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		w.version++
		w.mu.Unlock()
		s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: watchedURI})
	}
}
