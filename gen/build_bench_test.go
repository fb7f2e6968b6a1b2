package gen_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/gen"
)

// The benchmarks of this file measure what a server of many tools costs to
// generate and to build, against tool count: scripts/bench.sh runs them and
// puts the figures on BENCHMARKS.md. MCPGEN_BENCH_TOOLS sets the tool
// counts to generate (comma-separated; 100,500,1000,2000 by default),
// MCPGEN_BENCH_BUILD_TOOLS those to build (100,500,1000), and
// MCPGEN_BENCH_ROOT the copy of this repository the builds use (this one).

// benchCounts returns the tool counts of env, or def.
func benchCounts(b *testing.B, env string, def ...int) []int {
	s := os.Getenv(env)
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want tool counts such as 100,1000", env, s)
		}
		out = append(out, n)
	}
	return out
}

func scaleSources(n int) []gen.Source {
	srcs := make([]gen.Source, n)
	for i := range srcs {
		srcs[i] = scaleTool(i)
	}
	return srcs
}

// peakHeap runs fn and returns the highest live heap it reached above the
// heap before it, sampled every 5 ms.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load() - min(peak.Load(), base.HeapAlloc)
}

// lines counts the lines of every generated file.
func lines(out *gen.Output) int {
	n := 0
	for _, b := range out.Files {
		n += bytes.Count(b, []byte("\n"))
	}
	return n
}

// BenchmarkGenerate generates N tools of scaleTool's shape: ns/op is one
// generation, peak-heap-MiB the most heap it held, lines/tool the size of
// what it wrote.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range benchCounts(b, "MCPGEN_BENCH_TOOLS", 100, 500, 1000, 2000) {
		b.Run(fmt.Sprintf("tools-%d", n), func(b *testing.B) {
			cfg := gen.Config{Package: "desk", Sources: scaleSources(n)}
			var out *gen.Output
			var peak uint64
			for b.Loop() {
				var err error
				peak = max(peak, peakHeap(func() { out, err = gen.Generate(cfg) }))
				if err != nil {
					b.Fatal(gen.Report(err))
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(lines(out))/float64(n), "lines/tool")
		})
	}
}

// BenchmarkBuild runs go build on a server of N generated tools: a module
// of the generated package and a main that registers every tool, using
// this repository through a replace directive. Everything else is built
// before the timer, so ns/op is what adding the generated package costs: its
// compilation (the build cache never has it, as each build's module
// path is new) and the link. peak-RSS-MiB is the most memory one process
// of the build held (the compiler, or the linker), from the rusage of the
// go command, which counts its children. cpu-s is user and system time.
func BenchmarkBuild(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go tool on PATH")
	}
	root := os.Getenv("MCPGEN_BENCH_ROOT") // a copy of the repository to build against
	if root == "" {
		root = ".."
	}
	root, err = filepath.Abs(root)
	if err != nil {
		b.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		b.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	seq := 0
	// build writes a module of the tools of out and builds it: a module
	// path of its own each time, so the tools are always compiled afresh.
	build := func(b *testing.B, out *gen.Output) *os.ProcessState {
		seq++
		if err := writeServerModule(dir, fmt.Sprintf("mcpgenbuild%d_%d", os.Getpid(), seq), root, mod, sum, out); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(goTool, "build", "-o", os.DevNull, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build of the generated server: %v\n%s", err, msg)
		}
		return cmd.ProcessState
	}
	// One tool first: the runtime and its dependencies into the build cache.
	small, err := gen.Generate(gen.Config{Package: "tools", Sources: scaleSources(1)})
	if err != nil {
		b.Fatal(gen.Report(err))
	}
	build(b, small)
	for _, n := range benchCounts(b, "MCPGEN_BENCH_BUILD_TOOLS", 100, 500, 1000) {
		b.Run(fmt.Sprintf("tools-%d", n), func(b *testing.B) {
			out, err := gen.Generate(gen.Config{Package: "tools", Sources: scaleSources(n)})
			if err != nil {
				b.Fatal(gen.Report(err))
			}
			var rss int64
			var cpu time.Duration
			for b.Loop() {
				st := build(b, out)
				if u, ok := st.SysUsage().(*syscall.Rusage); ok {
					rss = max(rss, u.Maxrss) // KiB on Linux
				}
				cpu += st.UserTime() + st.SystemTime()
			}
			if rss > 0 {
				b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
			b.ReportMetric(float64(lines(out))/float64(n), "lines/tool")
		})
	}
}

// writeServerModule writes, in dir, module path holding the generated
// files of out as package tools and a main that registers them, using the
// repository at root (go.mod mod, go.sum sum) through a replace directive.
func writeServerModule(dir, path, root string, mod, sum []byte, out *gen.Output) error {
	pkg := filepath.Join(dir, "tools")
	if err := os.RemoveAll(pkg); err != nil {
		return err
	}
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return err
	}
	for name, data := range out.Files {
		if err := os.WriteFile(filepath.Join(pkg, name), data, 0o644); err != nil {
			return err
		}
	}
	// The repository's own requirements, so the module graph is the one
	// its go.sum covers and nothing needs the network.
	var requires []string
	for _, block := range strings.Split(string(mod), "\nrequire ")[1:] {
		end := strings.Index(block, "\n)")
		if strings.HasPrefix(block, "(") && end > 0 {
			requires = append(requires, "require "+block[:end+2])
		}
	}
	goMod := fmt.Sprintf("module %s\n\ngo %s\n\nrequire github.com/mcpgen/mcpgen v0.0.0\n\nreplace github.com/mcpgen/mcpgen => %s\n\n%s\n",
		path, goVersion(mod), root, strings.Join(requires, "\n\n"))
	main := fmt.Sprintf(`package main

import (
	"fmt"

	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"%s/tools"
)

func main() {
	s := server.New(&mcp.Implementation{Name: "scale", Version: "1"})
	fmt.Println(tools.Register(s, tools.UnimplementedHandlers{}))
}
`, path)
	for name, data := range map[string][]byte{"go.mod": []byte(goMod), "go.sum": sum, "main.go": []byte(main)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// goVersion returns the go directive of go.mod mod.
func goVersion(mod []byte) string {
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "1.22"
}
