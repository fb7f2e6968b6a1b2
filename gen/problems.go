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
}

func (p Problem) String() string {
	return p.Pos + ": " + ptrOrRoot(p.Pointer) + ": " + p.Message
}

// Problems collects every problem of a run, so authors see all of them at once.
type Problems struct {
	list []Problem
}

// Add records a problem at node n.
func (ps *Problems) Add(n *Node, msg string) {
	ps.list = append(ps.list, Problem{File: n.File.Path, Offset: n.Offset, Pos: n.Pos(), Pointer: n.Pointer, Message: msg})
}

// addAt records a problem at byte offset off of f, inside the value at
// pointer ptr. Problems about keys use it to point at the key itself.
func (ps *Problems) addAt(f *File, off int, ptr, msg string) {
	ps.list = append(ps.list, Problem{File: f.Path, Offset: off, Pos: f.pos(off), Pointer: ptr, Message: msg})
}

// Len returns the number of problems.
func (ps *Problems) Len() int { return len(ps.list) }

// Err returns nil when there are no problems, and otherwise an *Error
// listing them in file order.
func (ps *Problems) Err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
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
	return &Error{Problems: out}
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
		return fmt.Sprintf("%s\nmcpgen: %d problem(s) in the definitions\n", defErr.Error(), len(defErr.Problems))
	}
	return fmt.Sprintf("mcpgen: %v\n", err)
}
