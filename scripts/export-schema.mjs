// npm run schema: write docs/export.schema.json from shared/export.ts (PbxExportSchema) with zod's toJSONSchema.
// `--check` exits 1 when the committed file differs from a fresh generation.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'docs', 'export.schema.json');
const { exportJsonSchemaText } = await tsImport('../shared/export-json-schema.ts', import.meta.url);
const text = exportJsonSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = '';
  }
  if (current !== text) {
    console.error(`${path.relative(root, target)} is out of date: run npm run schema`);
    process.exit(1);
  }
  console.log(`${path.relative(root, target)} is up to date`);
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)} (${text.length} bytes)`);
}
