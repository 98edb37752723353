// The layer rules of ARCHITECTURE.md, checked on the real tree (lint enforces the same rules;
// this test makes `npm test` fail too, and proves the rules are not silently switched off).
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const here = path.dirname(fileURLToPath(import.meta.url));

const root = path.resolve(here, '../..');
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(rel));
    else if (/\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): string[] {
  const src = readFileSync(path.join(root, file), 'utf8');
  const re = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  const out: string[] = [];
  for (const m of src.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

describe('layer rules', () => {
  it('shared/ imports no node:*, no electron, no DOM libraries and no other layer', () => {
    const bad: string[] = [];
    for (const f of files('shared')) {
      for (const spec of importsOf(f)) {
        if (builtins.has(spec) || spec.startsWith('node:') || spec === 'electron' || spec === 'react' || spec === 'react-dom') bad.push(`${f}: ${spec}`);
        if (spec.startsWith('.') && !path.resolve(path.dirname(path.join(root, f)), spec).startsWith(path.join(root, 'shared'))) bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only main/electron/ imports electron', () => {
    const bad: string[] = [];
    for (const dir of ['shared', 'server', 'main', 'renderer/src', 'test', 'bench']) {
      for (const f of files(dir)) {
        if (f.startsWith(`main${path.sep}electron${path.sep}`) || f.startsWith('test/electron/')) continue;
        if (importsOf(f).some((s) => s === 'electron' || s.startsWith('electron/'))) bad.push(f);
      }
    }
    expect(bad).toEqual([]);
  });

  it('renderer/ imports no node builtins, no electron and no main/server code', () => {
    const bad: string[] = [];
    for (const f of files('renderer/src')) {
      for (const spec of importsOf(f)) {
        if (builtins.has(spec) || spec === 'electron' || spec === 'axios' || /(^|\/)(main|server)\//.test(spec)) bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('main/core never imports electron or the composition roots', () => {
    const bad = files('main/core').filter((f) => importsOf(f).some((s) => s === 'electron' || /\.\.\/(electron|browser)\//.test(s)));
    expect(bad).toEqual([]);
  });

  it('the lint rule catches a violation (so the rule is really on)', async () => {
    const eslint = new ESLint({ cwd: root });
    const [shared] = await eslint.lintText("import fs from 'node:fs';\nexport const x = fs;\n", { filePath: path.join(root, 'shared/probe.ts') });
    expect(shared!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
    const [core] = await eslint.lintText("import { app } from 'electron';\nexport const y = app;\n", { filePath: path.join(root, 'main/core/probe.ts') });
    expect(core!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
    const [win] = await eslint.lintText("import { app } from 'electron';\nexport const y = app;\n", { filePath: path.join(root, 'main/electron/probe.ts') });
    expect(win!.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  }, 60_000);
});
