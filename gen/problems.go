package gen

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a definition file, at a position.
type Problem struct {
	File    string
	Offset  int
	Pos     string // file:line:col
	Pointer string // JSON pointer within the file
	Message string
	// Warning marks what mcpgen reads past (a key outside the MCP Tool
	// object, a draft-07 schema without "$schema"): reported, but only an
	// error under Config.Strict.
	Warning bool
}

func (p Problem) String() string {
	if p.Warning {
		return p.Pos + ": " + ptrOrRoot(p.Pointer) + ": warning: " + p.Message
	}
	return p.Pos + ": " + ptrOrRoot(p.Pointer) + ": " + p.Message
}

// Problems collects every problem of a run, so authors see all of them at once.
type Problems struct {
	list   []Problem
	strict bool // warnings count as errors
}

// Add records a problem at node n.
func (ps *Problems) Add(n *Node, msg string) {
	ps.list = append(ps.list, Problem{File: n.File.Path, Offset: n.Offset, Pos: n.Pos(), Pointer: n.Pointer, Message: msg})
}

// Warn records a warning at node n.
func (ps *Problems) Warn(n *Node, msg string) {
	ps.list = append(ps.list, Problem{File: n.File.Path, Offset: n.Offset, Pos: n.Pos(), Pointer: n.Pointer, Message: msg, Warning: true})
}

// warnAt records a warning at byte offset off of f (a key).
func (ps *Problems) warnAt(f *File, off int, ptr, msg string) {
	ps.list = append(ps.list, Problem{File: f.Path, Offset: off, Pos: f.pos(off), Pointer: ptr, Message: msg, Warning: true})
}

// addAt records a problem at byte offset off of f, inside the value at
// pointer ptr. Problems about keys use it to point at the key itself.
func (ps *Problems) addAt(f *File, off int, ptr, msg string) {
	ps.list = append(ps.list, Problem{File: f.Path, Offset: off, Pos: f.pos(off), Pointer: ptr, Message: msg})
}

// Len returns the number of problems that fail the run: errors, and
// warnings too when they are strict.
func (ps *Problems) Len() int {
	n := 0
	for _, p := range ps.list {
		if !p.Warning || ps.strict {
			n++
		}
	}
	return n
}

// hasErrors reports whether any problem is an error, strict or not: later
// stages that assume sound schemas (checking defaults compiles patterns
// and follows refs) wait until there is none.
func (ps *Problems) hasErrors() bool {
	for _, p := range ps.list {
		if !p.Warning {
			return true
		}
	}
	return false
}

// Err returns nil when nothing fails the run, and otherwise an *Error
// listing every problem (warnings included) in file order.
func (ps *Problems) Err() error {
	if ps.Len() == 0 {
		return nil
	}
	return &Error{Problems: sortProblems(ps.list)}
}

// Warnings returns the warnings, in file order.
func (ps *Problems) Warnings() []Problem {
	var out []Problem
	for _, p := range ps.list {
		if p.Warning {
			out = append(out, p)
		}
	}
	return sortProblems(out)
}

func sortProblems(in []Problem) []Problem {
	if len(in) == 0 {
		return nil
	}
	list := append([]Problem(nil), in...)
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].File != list[j].File {
			return list[i].File < list[j].File
		}
		return list[i].Offset < list[j].Offset
	})
	// The same problem can be reached twice (a schema referenced from two
	// places is compiled once, but meta checks may repeat); keep one.
	out := list[:0]
	for i, p := range list {
		if i > 0 && p == list[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Error is the error Generate and Lint return for bad definitions: every
// problem found, one per line, as "file:line:col: /pointer: message".
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Report renders an error of Generate or Load the way mcpgen prints it on
// standard error: for bad definitions every problem on its own line, then
// their count; for anything else the error itself.
func Report(err error) string {
	var defErr *Error
	if errors.As(err, &defErr) {
		return fmt.Sprintf("%s\nmcpgen: %s\n", defErr.Error(), countText(defErr.Problems))
	}
	return fmt.Sprintf("mcpgen: %v\n", err)
}

// ReportWarnings renders the warnings of a run that succeeded, one per
// line, then their count; "" when there are none.
func ReportWarnings(warnings []Problem) string {
	if len(warnings) == 0 {
		return ""
	}
	e := &Error{Problems: warnings}
	return fmt.Sprintf("%s\nmcpgen: %d warning(s) in the definitions (-strict makes them errors)\n", e.Error(), len(warnings))
}

// countText counts problems for the summary line.
func countText(list []Problem) string {
	w := 0
	for _, p := range list {
		if p.Warning {
			w++
		}
	}
	if w == 0 {
		return fmt.Sprintf("%d problem(s) in the definitions", len(list))
	}
	return fmt.Sprintf("%d problem(s) in the definitions (%d warning(s), errors under -strict)", len(list), w)
}
