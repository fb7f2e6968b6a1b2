// Judges a run of the MCP conformance suite against the expected failures.
//
//   node conformance-check.mjs RESULTS_DIR SCENARIOS_FILE EXPECTED_FAILURES_FILE
//
// RESULTS_DIR is the suite's --output-dir: one server-<scenario>-<time>/
// folder with checks.json per scenario that ran. SCENARIOS_FILE is the output
// of `conformance list --server`: the scenarios that should have run.
// EXPECTED_FAILURES_FILE lists one scenario per line with a "# reason".
//
// A scenario fails when one of its checks is a FAILURE, or when it left no
// results. Exits 1 when a scenario fails that is not listed, or a listed one
// is unknown to the suite; a listed scenario that now passes is only a
// warning, so that a fix landing elsewhere does not break the build.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [resultsDir, scenariosFile, expectedFile] = process.argv.slice(2);
if (!expectedFile) {
  console.error('usage: node conformance-check.mjs RESULTS_DIR SCENARIOS_FILE EXPECTED_FAILURES_FILE');
  process.exit(2);
}

// "  - tools-call-image [2025-06-18,2025-11-25]"
const scenarios = readFileSync(scenariosFile, 'utf8')
  .split('\n')
  .map((l) => /^\s+- (\S+)/.exec(l)?.[1])
  .filter(Boolean);
if (scenarios.length === 0) {
  console.error(`conformance: no scenarios listed in ${scenariosFile}`);
  process.exit(1);
}

const expected = new Map(); // scenario -> reason
readFileSync(expectedFile, 'utf8')
  .split('\n')
  .forEach((line, i) => {
    const [name, ...reason] = line.split('#');
    const scenario = name.trim();
    if (!scenario) return;
    if (!reason.join('#').trim()) {
      console.error(`${expectedFile}:${i + 1}: ${scenario}: give the reason after "#"`);
      process.exit(1);
    }
    expected.set(scenario, reason.join('#').trim());
  });

const checksOf = new Map(); // scenario -> checks
for (const dir of existsSync(resultsDir) ? readdirSync(resultsDir) : []) {
  const m = /^server-(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/.exec(dir);
  const file = join(resultsDir, dir, 'checks.json');
  if (m && existsSync(file)) checksOf.set(m[1], JSON.parse(readFileSync(file, 'utf8')));
}

let checksPassed = 0;
let checksFailed = 0;
let warnings = 0;
const failed = [];
const unexpected = [];
const nowPassing = [];
for (const scenario of scenarios) {
  const checks = checksOf.get(scenario);
  const count = (status) => (checks ?? []).filter((c) => c.status === status).length;
  const ok = checks !== undefined && count('FAILURE') === 0;
  checksPassed += count('SUCCESS');
  checksFailed += checks === undefined ? 1 : count('FAILURE');
  warnings += count('WARNING');
  const mark = ok ? 'ok  ' : expected.has(scenario) ? 'xfail' : 'FAIL';
  const notes = [];
  if (checks === undefined) notes.push('no results (the scenario crashed; see the log)');
  for (const c of checks ?? []) {
    if (c.status === 'FAILURE' || c.status === 'WARNING') {
      notes.push(`${c.status.toLowerCase()}: ${c.name}: ${c.errorMessage ?? c.description}`);
    }
  }
  console.log(`${mark} ${scenario} (${count('SUCCESS')}/${count('SUCCESS') + count('FAILURE')} checks)`);
  for (const n of notes) console.log(`       ${n}`);
  if (!ok) failed.push(scenario);
  if (!ok && !expected.has(scenario)) unexpected.push(scenario);
  if (ok && expected.has(scenario)) nowPassing.push(scenario);
}
const unknown = [...expected.keys()].filter((s) => !scenarios.includes(s));

console.log('');
for (const s of failed.filter((s) => expected.has(s))) {
  console.log(`expected failure: ${s} # ${expected.get(s)}`);
}
for (const s of nowPassing) {
  console.log(`warning: ${s} passes now; remove it from ${expectedFile}`);
}
for (const s of unknown) {
  console.log(`error: ${expectedFile} lists ${s}, which the suite does not have`);
}
for (const s of unexpected) {
  console.log(`error: ${s} failed and is not an expected failure`);
}
console.log(
  `Scenarios: ${scenarios.length - failed.length} of ${scenarios.length} passed, ` +
    `${failed.length - unexpected.length} expected failures, ${warnings} warnings (SHOULD-level checks)`,
);
console.log(`Total: ${checksPassed} passed, ${checksFailed} failed`);
process.exit(unexpected.length > 0 || unknown.length > 0 ? 1 : 0);
