// npm run bench: build, then each benchmark in turn (they print their figures and write bench/results/).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const all = ['list-api', 'startup', 'filter', 'table-peer', 'pin-check', 'bulk-reset', 'lockout', 'lockout-ui', 'hotdesk-ui', 'audit', 'api-auth', 'export', 'export-review'];
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, ['scripts/build.mjs']);
for (const name of only.length ? only : all) {
  console.log(`\n=== bench ${name}`);
  run('bash', ['scripts/with-keyring.sh', process.execPath, 'node_modules/tsx/dist/cli.mjs', `bench/${name}.ts`]);
}
