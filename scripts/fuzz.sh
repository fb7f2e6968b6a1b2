#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each.
#
#   scripts/fuzz.sh                       # every target, 10 s each
#   FUZZTIME=2m scripts/fuzz.sh           # longer (any go test -fuzztime value: 30s, 5m, 100000x)
#   FUZZ_TARGETS='Decode|Verify' scripts/fuzz.sh   # only targets matching an extended regexp
#   FUZZ_PACKAGES=./runtime/... scripts/fuzz.sh    # only these packages (default ./...)
#
# Targets are found with `go test -list '^Fuzz'`, so a new Fuzz function is
# picked up without editing this script. Each runs with `go test -run '^$'
# -fuzz '^Name$'`: its seed corpus (f.Add and testdata/fuzz/<Name>) first,
# then new inputs for FUZZTIME. Interesting inputs found go to the Go build
# cache, not the repository.
#
# A crash (a failing input, a panic, a hang) is written by go test to
# <package>/testdata/fuzz/<Name>/<hash>; this script prints that path and
# the command that re-runs it, goes on with the other targets and exits 1
# at the end. Fix the code, then commit the input as a regression seed.
# Exit 2: the targets could not be listed (a package does not build).
set -uo pipefail

cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10s}
# Minimizing each new interesting input takes up to a minute by default,
# which would eat a short run; crashers are minimized for as long.
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
FUZZ_TARGETS=${FUZZ_TARGETS:-.}
FUZZ_PACKAGES=${FUZZ_PACKAGES:-./...}

list=$(mktemp)
trap 'rm -f "$list" "$list.out"' EXIT

# shellcheck disable=SC2086 # FUZZ_PACKAGES may name several patterns
if ! go test -list '^Fuzz' $FUZZ_PACKAGES >"$list" 2>&1; then
	echo "fuzz.sh: listing the fuzz targets failed:" >&2
	grep -v '^Fuzz' "$list" >&2
	exit 2
fi

# go test -list prints a package's names, then "ok  <package> <time>".
targets=()
pending=()
while read -r first second _; do
	case "$first" in
	Fuzz*) pending+=("$first") ;;
	ok)
		for name in "${pending[@]}"; do
			targets+=("$second $name")
		done
		pending=()
		;;
	esac
done <"$list"

selected=()
for t in "${targets[@]}"; do
	if [[ ${t#* } =~ $FUZZ_TARGETS ]]; then
		selected+=("$t")
	fi
done
if [ ${#selected[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzz target matches '$FUZZ_TARGETS' in $FUZZ_PACKAGES" >&2
	exit 2
fi

echo "fuzz.sh: ${#selected[@]} targets, $FUZZTIME each"
failed=()
start=$SECONDS
for t in "${selected[@]}"; do
	pkg=${t% *}
	name=${t#* }
	t0=$SECONDS
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" >"$list.out" 2>&1
	rc=$?
	# go test's fuzzing engine sometimes ends a run whose time is up with
	# "context deadline exceeded" and no failing input (its coordinator
	# times out on a worker still busy with an input): no input failed, so
	# run once more; a real failure writes its input and fails again.
	if [ $rc -ne 0 ] && grep -q 'context deadline exceeded' "$list.out" && ! grep -q 'Failing input written' "$list.out"; then
		echo "      $name: the fuzzing engine ended without a failing input (context deadline exceeded); running it again"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" >"$list.out" 2>&1
		rc=$?
	fi
	# The last progress line holds the count of executions.
	execs=$(grep -o 'execs: [0-9]*' "$list.out" | tail -1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		printf 'ok    %-40s %s  %s executions, %ds\n' "$name" "$pkg" "${execs:-0}" $((SECONDS - t0))
		continue
	fi
	failed+=("$name")
	printf 'FAIL  %-40s %s  after %s executions, %ds\n' "$name" "$pkg" "${execs:-0}" $((SECONDS - t0))
	grep -v '^fuzz: elapsed' "$list.out" | sed 's/^/      /'
	crasher=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$list.out" | tail -1)
	if [ -n "$crasher" ]; then
		dir=$(go list -f '{{.Dir}}' "$pkg")
		echo "      crasher: $dir/$crasher"
		echo "      re-run:  go test -run '^${name}/${crasher##*/}\$' $pkg"
	fi
done

echo "fuzz.sh: ${#selected[@]} targets in $((SECONDS - start))s, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
