package gen

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Source is one definition file given to the generator: its name (used in
// messages and to resolve sibling refs) and its bytes.
type Source struct {
	Name string
	Data []byte
}

// ReadSources reads definition files: each path is a .json file or a folder
// whose .json files (not recursively) are all read, in name order.
func ReadSources(paths ...string) ([]Source, error) {
	var out []Source
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		names := []string{p}
		if info.IsDir() {
			entries, err := os.ReadDir(p)
			if err != nil {
				return nil, err
			}
			names = names[:0]
			for _, e := range entries {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
					names = append(names, filepath.Join(p, e.Name()))
				}
			}
			if len(names) == 0 {
				return nil, fmt.Errorf("%s: no .json definition files", p)
			}
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			out = append(out, Source{Name: filepath.ToSlash(name), Data: data})
		}
	}
	return out, nil
}

// DefaultMaxFileBytes is Config.MaxFileBytes when unset: 8 MiB, far above a
// hand-written definition file.
const DefaultMaxFileBytes = 8 << 20

// fileSet holds the parsed definition files by cleaned name. Files reached
// only through "$ref" are read on demand through readFile.
type fileSet struct {
	files        map[string]*File
	order        []*File
	readFile     func(name string) ([]byte, error)
	maxFileBytes int
}

func newFileSet(readFile func(string) ([]byte, error), maxFileBytes int) *fileSet {
	if maxFileBytes <= 0 {
		maxFileBytes = DefaultMaxFileBytes
	}
	return &fileSet{files: map[string]*File{}, readFile: readFile, maxFileBytes: maxFileBytes}
}

// add parses src and adds it; parse errors go to problems.
func (fsx *fileSet) add(name string, data []byte, problems *Problems) *File {
	key := path.Clean(name)
	if f, ok := fsx.files[key]; ok {
		return f
	}
	f := &File{Path: name, Data: data}
	fsx.files[key] = f
	if len(data) > fsx.maxFileBytes {
		problems.addAt(f, 0, "", fmt.Sprintf("file is %d bytes; definition files are at most %d bytes (raise it with -max-file-bytes)", len(data), fsx.maxFileBytes))
		return f
	}
	if !parseFile(f, problems) {
		return f
	}
	fsx.order = append(fsx.order, f)
	return f
}

// walkPointer follows the JSON pointer frag from root.
func walkPointer(n, root *Node, ref, frag string, problems *Problems) *Node {
	node := root
	if frag != "" {
		for _, tok := range strings.Split(frag[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			parent := node
			switch node.Kind {
			case KindObject:
				node = node.Get(tok)
			case KindArray:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(node.Items) {
					node = nil
				} else {
					node = node.Items[i]
				}
			default:
				node = nil
			}
			if node == nil {
				problems.Add(n, fmt.Sprintf("$ref %s: nothing at #%s in %s%s", strconv.Quote(ref), frag, root.File.Path, holds(parent, root)))
				return nil
			}
		}
	}
	return node
}

// holds lists what an object a pointer could not continue through holds,
// so a misspelt name is easy to spot.
func holds(n, root *Node) string {
	if n.Kind != KindObject || len(n.Members) == 0 {
		return ""
	}
	var keys []string
	for _, m := range n.Members {
		if len(keys) == 8 {
			keys = append(keys, "…")
			break
		}
		keys = append(keys, strconv.Quote(m.Key))
	}
	return fmt.Sprintf("; #%s holds %s", strings.TrimPrefix(n.Pointer, root.Pointer), strings.Join(keys, ", "))
}

func errText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
