package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/examples/conformance/tools"
	"github.com/mcpgen/mcpgen/runtime/server"
)

// The tools below declare no outputSchema, so their handlers return content
// blocks instead of a typed output.

func (handlers) TestImageContent(context.Context, tools.TestImageContentInput) ([]mcp.Content, error) {
	return []mcp.Content{pngImage()}, nil
}

func (handlers) TestAudioContent(context.Context, tools.TestAudioContentInput) ([]mcp.Content, error) {
	return []mcp.Content{&mcp.AudioContent{Data: decode(wavBase64), MIMEType: "audio/wav"}}, nil
}

func (handlers) TestEmbeddedResource(context.Context, tools.TestEmbeddedResourceInput) ([]mcp.Content, error) {
	return []mcp.Content{&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
		URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content.",
	}}}, nil
}

func (handlers) TestMultipleContentTypes(context.Context, tools.TestMultipleContentTypesInput) ([]mcp.Content, error) {
	return []mcp.Content{
		&mcp.TextContent{Text: "Multiple content types test:"},
		pngImage(),
		&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
			URI: "test://mixed-content-resource", MIMEType: "application/json", Text: `{"test":"data","value":123}`,
		}},
	}, nil
}

// TestToolWithProgress reports progress through server.NotifyProgress,
// which ties each notification to the call's progress token and does
// nothing when the client sent none.
func (handlers) TestToolWithProgress(ctx context.Context, _ tools.TestToolWithProgressInput) ([]mcp.Content, error) {
	for i, progress := range []float64{0, 50, 100} {
		if i > 0 {
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return nil, err
			}
		}
		if err := server.NotifyProgress(ctx, progress, 100, fmt.Sprintf("%.0f%% done", progress)); err != nil {
			return nil, fmt.Errorf("sending progress: %w", err)
		}
	}
	return []mcp.Content{&mcp.TextContent{Text: "Progress reported: 0, 50 and 100 of 100."}}, nil
}

// TestReconnection closes the call's SSE stream through the request's
// extras, which server.Request hands the handler.
func (handlers) TestReconnection(ctx context.Context, _ tools.TestReconnectionInput) ([]mcp.Content, error) {
	if req := server.Request(ctx); req.Extra != nil && req.Extra.CloseSSEStream != nil {
		req.Extra.CloseSSEStream(mcp.CloseSSEStreamArgs{RetryAfter: 10 * time.Millisecond})
	}
	// Give the client time to reconnect before the result is sent.
	if err := sleep(ctx, 100*time.Millisecond); err != nil {
		return nil, err
	}
	return []mcp.Content{&mcp.TextContent{Text: "The result arrived after the stream was closed and the client reconnected."}}, nil
}

// Media for the image and audio content: a 1x1 red PNG and a silent WAV
// with two bytes of samples.
const (
	pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
	wavBase64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
)

func pngImage() *mcp.ImageContent {
	return &mcp.ImageContent{Data: decode(pngBase64), MIMEType: "image/png"}
}

func decode(b64 string) []byte {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		panic("bad embedded base64: " + err.Error())
	}
	return b
}
