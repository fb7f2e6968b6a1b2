package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/examples/conformance/tools"
)

// handlers implements the generated tools. Those that talk back to the
// client (logging, sampling, elicitation) reach it through the session of
// the call's request, which server.Request finds in the call's context.
type handlers struct{}

var _ tools.Handlers = handlers{}

// session returns the client session of the call, which every tool call has.
func session(ctx context.Context) (*mcp.ServerSession, error) {
	req := server.Request(ctx)
	if req == nil || req.Session == nil {
		return nil, errors.New("no MCP session in the call's context")
	}
	return req.Session, nil
}

func (handlers) TestSimpleText(context.Context, tools.TestSimpleTextInput) (tools.TestSimpleTextOutput, error) {
	return tools.TestSimpleTextOutput{Text: "This is a simple text response for testing."}, nil
}

// TestErrorHandling fails on purpose. The client gets isError with the
// runtime's error body: MCP-999, with this message because it is an
// *mcperr.Error (a plain Go error would reach the client as "internal
// error", its text only in the server's log).
func (handlers) TestErrorHandling(context.Context, tools.TestErrorHandlingInput) (tools.TestErrorHandlingOutput, error) {
	return tools.TestErrorHandlingOutput{}, mcperr.Errorf(mcperr.CodeInternal, "this tool intentionally returns an error for testing")
}

func (handlers) TestToolWithLogging(ctx context.Context, _ tools.TestToolWithLoggingInput) (tools.TestToolWithLoggingOutput, error) {
	ss, err := session(ctx)
	if err != nil {
		return tools.TestToolWithLoggingOutput{}, err
	}
	messages := []string{"Tool execution started", "Tool processing data", "Tool execution completed"}
	for i, m := range messages {
		if i > 0 {
			// The scenario checks that notifications sent apart all arrive.
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return tools.TestToolWithLoggingOutput{}, err
			}
		}
		if err := ss.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "test_tool_with_logging", Data: m}); err != nil {
			return tools.TestToolWithLoggingOutput{}, fmt.Errorf("sending log message %d: %w", i+1, err)
		}
	}
	return tools.TestToolWithLoggingOutput{Logged: int64(len(messages))}, nil
}

func (handlers) TestSampling(ctx context.Context, in tools.TestSamplingInput) (tools.TestSamplingOutput, error) {
	ss, err := session(ctx)
	if err != nil {
		return tools.TestSamplingOutput{}, err
	}
	res, err := ss.CreateMessage(ctx, &mcp.CreateMessageParams{
		Messages:  []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: in.Prompt}}},
		MaxTokens: 100,
	})
	if err != nil {
		return tools.TestSamplingOutput{}, mcperr.Errorf(mcperr.CodeBackendUnavailable, "the client did not answer the sampling request: %v", err)
	}
	text, ok := res.Content.(*mcp.TextContent)
	if !ok {
		return tools.TestSamplingOutput{}, mcperr.Errorf(mcperr.CodeBackendUnavailable, "the client's model answered with %T content, not text", res.Content)
	}
	return tools.TestSamplingOutput{Text: "LLM response: " + text.Text, Model: res.Model}, nil
}

func (handlers) TestElicitation(ctx context.Context, in tools.TestElicitationInput) (tools.TestElicitationOutput, error) {
	return elicit(ctx, in.Message, `{
		"type": "object",
		"properties": {
			"username": {"type": "string", "description": "User's response"},
			"email": {"type": "string", "description": "User's email address"}
		},
		"required": ["username", "email"]
	}`)
}

func (handlers) TestElicitationSep1034Defaults(ctx context.Context, _ tools.TestElicitationSep1034DefaultsInput) (tools.TestElicitationSep1034DefaultsOutput, error) {
	out, err := elicit(ctx, "Please review your profile; every field has a default.", `{
		"type": "object",
		"properties": {
			"name": {"type": "string", "description": "User name", "default": "John Doe"},
			"age": {"type": "integer", "description": "User age", "default": 30},
			"score": {"type": "number", "description": "User score", "default": 95.5},
			"status": {"type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active"},
			"verified": {"type": "boolean", "description": "Verification status", "default": true}
		}
	}`)
	return tools.TestElicitationSep1034DefaultsOutput(out), err
}

func (handlers) TestElicitationSep1330Enums(ctx context.Context, _ tools.TestElicitationSep1330EnumsInput) (tools.TestElicitationSep1330EnumsOutput, error) {
	out, err := elicit(ctx, "Please choose your options.", `{
		"type": "object",
		"properties": {
			"untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
			"titledSingle": {"type": "string", "oneOf": [
				{"const": "value1", "title": "First Option"},
				{"const": "value2", "title": "Second Option"},
				{"const": "value3", "title": "Third Option"}
			]},
			"legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
			"untitledMulti": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
			"titledMulti": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"anyOf": [
				{"const": "value1", "title": "First Choice"},
				{"const": "value2", "title": "Second Choice"},
				{"const": "value3", "title": "Third Choice"}
			]}}
		}
	}`)
	return tools.TestElicitationSep1330EnumsOutput(out), err
}

// elicit asks the user to fill in the form described by schema and returns
// what they did and, when they accepted, what they entered.
func elicit(ctx context.Context, message, schema string) (tools.TestElicitationOutput, error) {
	var out tools.TestElicitationOutput
	ss, err := session(ctx)
	if err != nil {
		return out, err
	}
	res, err := ss.Elicit(ctx, &mcp.ElicitParams{Message: message, RequestedSchema: json.RawMessage(schema)})
	if err != nil {
		return out, mcperr.Errorf(mcperr.CodeBackendUnavailable, "the client did not answer the elicitation request: %v", err)
	}
	out.Action = tools.Action(res.Action)
	if res.Content != nil {
		b, err := json.Marshal(res.Content)
		if err != nil {
			return out, err
		}
		v, err := typed.ParseValue(b)
		if err != nil {
			return out, err
		}
		out.Content = typed.Some(v)
	}
	return out, nil
}

// JSONSchema202012Tool returns the contact the arguments chose: the phone
// when contactMethod is "phone", the email otherwise. The schema's
// if/then/else has already made sure that one is there.
func (handlers) JSONSchema202012Tool(_ context.Context, in typed.Value) (tools.JSONSchema202012ToolOutput, error) {
	var out tools.JSONSchema202012ToolOutput
	if v, ok := in.Get("name"); ok {
		out.Name = typed.Some(v.Text)
	}
	field := "email"
	if v, ok := in.Get("contactMethod"); ok && v.Text == "phone" {
		field = "phone"
	}
	v, ok := in.Get(field)
	if !ok {
		return out, fmt.Errorf("validated arguments lack %q", field)
	}
	out.Contact = v.Text
	return out, nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
