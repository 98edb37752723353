// Issue 6: what the audit log's hash chain costs. (a) One audit row appended as the PBX does it (its own
// transaction, synchronous=FULL): chained (insert, previous hash, seal, head in meta) vs a plain insert on a
// second database. (b) Verifying the chain of ~100,000 rows (GET /api/v1/audit/verify walks them all).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, verifyAudit, verifyAuditAsync } from '../server/audit.js';
import { openDb } from '../server/db.js';
import { percentile, round, writeResult } from './lib.js';

const N = Number(process.env['BENCH_AUDIT_APPENDS'] ?? 3000);
const TOTAL = Number(process.env['BENCH_AUDIT_ROWS'] ?? 100_000);

const dirs = [mkdtempSync(join(tmpdir(), 'bench-audit-')), mkdtempSync(join(tmpdir(), 'bench-audit-plain-'))];
try {
  const db = openDb(dirs[0]!);
  const plainDb = openDb(dirs[1]!);
  const log = new AuditLog(db);
  const plain = plainDb.prepare('INSERT INTO audit (at, actor, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
  const row = {
    at: new Date().toISOString(), actor: 'device', address: '127.0.0.2', action: 'lockout.failure', target: 'extension:1001',
    detail: { credential: 'voicemail', failures: 3, window: 600 },
  };
  const time = (fn: () => void) => {
    const xs: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint();
      fn();
      xs.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    return { p50Us: round(percentile(xs, 50), 0), p99Us: round(percentile(xs, 99), 0) };
  };
  const chained = time(() => log.append(row));
  const bare = time(() => plain.run(row.at, row.actor, row.address, row.action, row.target, JSON.stringify(row.detail)));
  db.transaction(() => {
    for (let i = N; i < TOTAL; i++) log.append(row);
  })();
  const t0 = performance.now();
  const v = verifyAudit(db);
  const verifyMs = performance.now() - t0;
  if (!v.ok) throw new Error(`the chain should be intact: ${JSON.stringify(v.broken)}`);
  // (c) the longest time the event loop is held during GET /audit/verify's batched check (other requests wait
  // at most this long), and how long the whole batched check takes
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  }, 1);
  const t1 = performance.now();
  last = t1;
  const va = await verifyAuditAsync(db);
  const asyncMs = performance.now() - t1;
  clearInterval(ticker);
  if (!va.ok) throw new Error('the batched check should agree');
  console.log(
    `append one audit row (own transaction, fsync): chained p50 ${chained.p50Us} µs / p99 ${chained.p99Us} µs; plain insert p50 ${bare.p50Us} / p99 ${bare.p99Us} µs` +
      `\nverify ${v.checked} rows: ${round(verifyMs, 0)} ms in one pass (${round((verifyMs * 1000) / v.checked, 1)} µs per row); ` +
      `in batches: ${round(asyncMs, 0)} ms, the event loop held at most ${round(longest, 1)} ms at a time`,
  );
  writeResult('audit', {
    what: 'audit rows appended one per transaction (synchronous=FULL), chained vs plain; then the chain of all rows verified',
    appendChained: chained,
    appendPlain: bare,
    verifyRows: v.checked,
    verifyMs: round(verifyMs, 0),
    verifyBatchedMs: round(asyncMs, 0),
    verifyBatchedLongestBlockMs: round(longest, 1),
  });
  db.close();
  plainDb.close();
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
