// Child process of test/integration/reliability-profile-kill.test.ts: the console host's profile writes in a
// tight loop, through the real ProfileStore (conf + atomically), until the parent SIGKILLs it.
//
// The versions are a pure function of a counter (profileVersion below), so the parent knows every file
// content that may ever be on disk. Version k is the office profile's k-th edit; the file also holds
// FILLER profiles, so it spans several pages and a torn write could not look whole.
//
//   node <bundle> <dir>   → reads the file (version k), prints "READY k", then for k+1, k+2, …: prints
//                           "W n" (about to write version n), saves it, prints "A n" (save returned).
// stdout to a pipe is synchronous on Linux, so a line printed before the kill is never lost.
import { ProfileStore } from '../../main/core/profiles.js';
import type { Profile } from '../../shared/rpc.js';

export const FILLER = 24;
export const OFFICE_ID = 'office';

/** The office profile as saved in version k (k ≥ 0); its length changes from one version to the next. */
export function officeProfile(k: number): Profile {
  return {
    id: OFFICE_ID,
    name: `Office v${k} ${'x'.repeat((k * 7) % 61)}`.trim(),
    url: `https://pbx-${k}.example.com:${5000 + (k % 1000)}/${'p'.repeat((k * 13) % 400)}`,
    username: `admin${k}`,
    kind: 'remote',
    tls: { mode: 'system' },
  };
}

/** The filler profiles (written once, in version 0). */
export function fillerProfile(i: number): Omit<Profile, 'id' | 'kind'> {
  return {
    name: `Branch ${String(i).padStart(2, '0')}`,
    url: `https://branch-${i}.pbx.example.com/${'b'.repeat(120)}`,
    username: `operator${i}`,
    tls: { mode: 'system' },
  };
}

/** Which version the store holds: the counter in the office profile's name (-1: no office profile yet). */
export function versionOf(profiles: Profile[]): number {
  const office = profiles.find((p) => p.id === OFFICE_ID);
  const m = office ? /^Office v(\d+)\b/.exec(office.name) : null;
  return m ? Number(m[1]) : -1;
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: reliability-profile-writer <dir>');
  const store = new ProfileStore({ cwd: dir });
  if (store.loadWarning) throw new Error(`the profile file was unreadable: ${store.loadWarning}`);
  let k = versionOf(store.list());
  if (k < 0) throw new Error('the parent creates version 0 first');
  process.stdout.write(`READY ${k}\n`);
  for (;;) {
    k++;
    const { id: _id, kind: _kind, ...input } = officeProfile(k);
    process.stdout.write(`W ${k}\n`);
    store.save({ id: OFFICE_ID, ...input });
    process.stdout.write(`A ${k}\n`);
  }
}

if (process.argv[1] && /reliability-profile-writer\.(ts|mjs)$/.test(process.argv[1])) main();
