package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/examples/trading/market"
)

const dataDir = "../../data"

// TestDataIsFresh fails when the committed history is not what the
// generator makes: after a change to either, run go generate in ../../data.
func TestDataIsFresh(t *testing.T) {
	files, err := generate()
	require.NoError(t, err)
	committed, err := filepath.Glob(filepath.Join(dataDir, "*.csv"))
	require.NoError(t, err)
	var names []string
	for _, path := range committed {
		names = append(names, filepath.Base(path))
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(files)), names, "series files in %s", dataDir)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil {
			continue // reported above
		}
		// Compared as text, so a failure shows the first differing lines.
		if !assert.Equal(t, string(want), string(got), "%s is stale: run go generate in examples/trading/data", name) {
			return
		}
	}
}

func TestEveryInstrumentHasAWalk(t *testing.T) {
	for _, inst := range market.Instruments() {
		w, ok := walks[inst.Symbol]
		if assert.True(t, ok, inst.Symbol) {
			assert.Greater(t, w.annualVol, 0.0, inst.Symbol)
			assert.Greater(t, w.volumeLots, int64(0), inst.Symbol)
		}
	}
	assert.Len(t, walks, len(market.Instruments()), "walks for symbols that are not instruments")
}

func TestWriteReplacesSeriesAndRemovesStaleOnes(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"XAUUSD_1h.csv": "dropped", "SPY_1h.csv": "old", "data.go": "kept"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	require.NoError(t, write(dir, map[string][]byte{"SPY_1h.csv": []byte("new"), "SPY_1d.csv": []byte("added")}))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	got := map[string]string{}
	for _, e := range entries {
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		got[e.Name()] = string(content)
	}
	assert.Equal(t, map[string]string{"SPY_1h.csv": "new", "SPY_1d.csv": "added", "data.go": "kept"}, got)
}
