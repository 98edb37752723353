// Crash-safe writes (main/core/atomic-file.ts): what a writer killed mid-write leaves behind is tidied once stale,
// and nothing else is touched.
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStaleTemps, writeFileAtomic } from '../../main/core/atomic-file.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('removeStaleTemps', () => {
  it('removes old temp files of that file only; keeps young ones, the file itself and others', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-atomic-'));
    const target = path.join(dir, 'vault.json');
    await writeFileAtomic(target, '{"v":1}');
    const old = '.vault.json.tmp-1234-0123456789ab';
    const young = '.vault.json.tmp-99-abcdefabcdef';
    const others = ['.other.json.tmp-1-0123456789ab', 'vault.json.tmp-1-0123456789ab', '.vault.jsonXtmp-1-0123456789ab', '.vault.json.tmp-1-xyz'];
    for (const name of [old, young, ...others]) writeFileSync(path.join(dir, name), 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const name of [old, ...others]) utimesSync(path.join(dir, name), hourAgo, hourAgo);
    // writeFileAtomic's own temp names match what is tidied
    expect(await removeStaleTemps(target)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([young, ...others, 'vault.json'].sort());
    expect(await removeStaleTemps(target, 0)).toBe(1);
    expect(readdirSync(dir)).not.toContain(young);
    expect(readdirSync(dir)).toContain('vault.json');
    expect(await removeStaleTemps(path.join(dir, 'missing', 'x.json'))).toBe(0);
  });

  it('the name is matched literally (dots are dots), in the pattern of the writer: pid and 12 hex digits', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-atomic-'));
    const target = path.join(dir, 'a.b.json');
    const mine = `.a.b.json.tmp-${process.pid}-${'c'.repeat(12)}`;
    const lookalike = `.aXb.json.tmp-${process.pid}-${'c'.repeat(12)}`;
    writeFileSync(path.join(dir, mine), 'x');
    writeFileSync(path.join(dir, lookalike), 'x');
    expect(await removeStaleTemps(target, 0)).toBe(1);
    expect(readdirSync(dir)).toEqual([lookalike]);
    await writeFileAtomic(target, 'x');
    expect(readdirSync(dir).sort()).toEqual([lookalike, 'a.b.json'].sort());
  });
});
