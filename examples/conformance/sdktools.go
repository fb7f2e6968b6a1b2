package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The tools below are registered on the SDK server directly, not generated,
// because the runtime's tool contract cannot express what their scenarios
// need: server.Tool.Call returns one JSON object, which the runtime sends as
// structuredContent with a text copy, and a handler sees only its context
// and arguments. docs/interop.md lists them with the runtime change each one
// waits for.
//
//   - test_image_content, test_audio_content, test_embedded_resource,
//     test_multiple_content_types: their results are image, audio and
//     embedded-resource content blocks.
//   - test_tool_with_progress: progress notifications name the progress
//     token of the request (params._meta.progressToken), which the handler
//     cannot see.
//   - test_reconnection: it closes the request's SSE stream mid-call through
//     RequestExtra.CloseSSEStream, which the handler cannot reach.

// noArgs is the input schema of a tool that takes no arguments.
var noArgs = json.RawMessage(`{"type":"object","additionalProperties":false}`)

func addSDKTools(s *mcp.Server) {
	s.AddTool(&mcp.Tool{
		Name:        "test_image_content",
		Description: "Returns a 1x1 PNG image as image content (conformance scenario tools-call-image).",
		InputSchema: noArgs,
	}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{pngImage()}}, nil
	})
	s.AddTool(&mcp.Tool{
		Name:        "test_audio_content",
		Description: "Returns a short silent WAV file as audio content (conformance scenario tools-call-audio).",
		InputSchema: noArgs,
	}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.AudioContent{Data: decode(wavBase64), MIMEType: "audio/wav"}}}, nil
	})
	s.AddTool(&mcp.Tool{
		Name:        "test_embedded_resource",
		Description: "Returns a text resource embedded in the result (conformance scenario tools-call-embedded-resource).",
		InputSchema: noArgs,
	}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
			URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content.",
		}}}}, nil
	})
	s.AddTool(&mcp.Tool{
		Name:        "test_multiple_content_types",
		Description: "Returns text, image and embedded-resource content in one result (conformance scenario tools-call-mixed-content).",
		InputSchema: noArgs,
	}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{
			&mcp.TextContent{Text: "Multiple content types test:"},
			pngImage(),
			&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
				URI: "test://mixed-content-resource", MIMEType: "application/json", Text: `{"test":"data","value":123}`,
			}},
		}}, nil
	})
	s.AddTool(&mcp.Tool{
		Name:        "test_tool_with_progress",
		Description: "Reports progress 0, 50 and 100 of 100, 50 ms apart, when the call carries a progress token (conformance scenario tools-call-with-progress).",
		InputSchema: noArgs,
	}, withProgress)
	s.AddTool(&mcp.Tool{
		Name:        "test_reconnection",
		Description: "Closes the call's SSE stream before answering, so the client must reconnect to get the result (SEP-1699; conformance scenario server-sse-polling).",
		InputSchema: noArgs,
	}, reconnection)
}

func withProgress(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	token := req.Params.GetProgressToken()
	for i, progress := range []float64{0, 50, 100} {
		if i > 0 {
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return nil, err
			}
		}
		if token == nil {
			continue // no one to tell; the call still takes as long
		}
		err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
			ProgressToken: token,
			Progress:      progress,
			Total:         100,
			Message:       fmt.Sprintf("%.0f%% done", progress),
		})
		if err != nil {
			return nil, fmt.Errorf("sending progress: %w", err)
		}
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Progress reported: 0, 50 and 100 of 100."}}}, nil
}

func reconnection(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if req.Extra != nil && req.Extra.CloseSSEStream != nil {
		req.Extra.CloseSSEStream(mcp.CloseSSEStreamArgs{RetryAfter: 10 * time.Millisecond})
	}
	// Give the client time to reconnect before the result is sent.
	if err := sleep(ctx, 100*time.Millisecond); err != nil {
		return nil, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "The result arrived after the stream was closed and the client reconnected."}}}, nil
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
