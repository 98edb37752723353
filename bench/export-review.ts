// Offline review (issue 7): time of the findings rules and of the comparison of two exports on a
// 100,000-extension export, as the console gets them (parsed JSON). Budget: well under 1 s each.
import { diffExports, diffTotals } from '../shared/export-diff.js';
import type { PbxExport } from '../shared/export.js';
import { runFindings } from '../shared/findings.js';
import { FIXTURE_NOW, largeExport } from '../test/helpers/export-fixture.js';
import { median, round, writeResult } from './lib.js';

const N = 100_000;
const RUNS = 12;

function time(f: () => unknown): { minMs: number; medianMs: number } {
  f(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return { minMs: round(Math.min(...ms)), medianMs: round(median(ms)) };
}

const a = largeExport(N);
const b = largeExport(N);
// 1,000 extensions changed, 500 removed
for (let i = 0; i < b.extensions.length; i += 100) b.extensions[i]!.protection.enabled = !b.extensions[i]!.protection.enabled;
b.extensions.splice(5000, 500);
const parsedA = JSON.parse(JSON.stringify(a)) as PbxExport;
const parsedB = JSON.parse(JSON.stringify(b)) as PbxExport;

const findings = runFindings(parsedA, FIXTURE_NOW);
writeResult('export-review', {
  extensions: N,
  findingRows: findings.reduce((n, f) => n + f.count, 0),
  runFindings: time(() => runFindings(parsedA, FIXTURE_NOW)),
  diffChanged: { ...time(() => diffExports(parsedA, parsedB)), totals: diffTotals(diffExports(parsedA, parsedB)) },
  diffSameContent: time(() => diffExports(parsedA, a)),
});
