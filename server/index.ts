// The reference PBX: management API (/api/v1) and device API (/device/v1) over SQLite.
import { mkdirSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { API_BASE } from '../shared/api.js';
import { deleteMeta, getMeta, openDb } from './db.js';
import { EventHub } from './events.js';
import { authenticator, createHandlers, openApiJson } from './handlers.js';
import { createHttp, gateManagement, registerRoutes } from './http.js';
import { registerLoginPage } from './login-page.js';
import { LockoutEngine } from './lockout.js';
import { HotDeskStore } from './hotdesk.js';
import { AdminAllowlistStore } from './admin-allowlist.js';
import { HOTDESK_SWEEP_MS } from './hotdesk-handlers.js';
import { Hasher, loadPepper } from './secrets.js';
import {
  ADMIN_PASSWORD_PENDING,
  regenerateAdminPassword,
  regenerateReceptionistPassword,
  seedDatabase,
  type SeedOption,
} from './seed.js';
import { Store } from './store.js';
import { CredentialRateLimiter, DEFAULT_CREDENTIAL_RATE, type RateLimitOptions } from './rate-limit.js';

export const SERVER_VERSION = '0.1.0';

export interface PbxServerOptions {
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = a free port. */
  port?: number;
  /** Applied only on first run (empty database). Default 'demo'. */
  seed?: SeedOption;
  clock?: () => Date;
  quiet?: boolean;
  /** argon2 gate: hashes in flight and the queue behind them (default: one per core, queue 64). */
  hasherLimits?: { concurrency: number; queue: number };
  /** How often to look for phones due for an automatic logout (default 30 s). */
  hotdeskSweepMs?: number;
  /** Password checks per address (logins, passkeys, HTTP Basic): default 30 per 10 s. */
  credentialRate?: RateLimitOptions;
  /** The WebAuthn relying party id for passkeys: the host name the /login page is opened with (default "localhost"). */
  webauthnRpId?: string;
}

export interface PbxServer {
  url: string;
  port: number;
  serverName: string;
  /** Only on the run that created the admin account; null afterwards. */
  initialAdminPassword: string | null;
  /** The seeded receptionist's password (demo data), on the same run as initialAdminPassword; else null. */
  initialReceptionistPassword: string | null;
  /** The argon2 gate (tests and benches hold its slots to see the PBX answer 429 deterministically). */
  hasher: Hasher;
  close(): Promise<void>;
}

/** The per-user data folder of the reference PBX. */
export function defaultDataDir(): string {
  const env = process.env;
  const app = join('pbx-warden', 'reference-pbx');
  if (process.platform === 'win32') {
    return join(env['APPDATA'] || join(homedir(), 'AppData', 'Roaming'), app);
  }
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', app);
  const xdg = env['XDG_DATA_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share'), app);
}

export async function startPbxServer(opts: PbxServerOptions): Promise<PbxServer> {
  const clock = opts.clock ?? (() => new Date());
  const quiet = opts.quiet ?? false;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });

  const db = openDb(opts.dataDir);
  let app: ReturnType<typeof createHttp> | undefined;
  try {
    const isNew = getMeta(db, 'created_at') === undefined;
    const hasher = new Hasher(loadPepper(opts.dataDir, isNew), opts.hasherLimits);
    let initialAdminPassword: string | null = null;
    let initialReceptionistPassword: string | null = null;
    if (isNew) {
      const seeded = await seedDatabase(db, hasher, opts.seed ?? 'demo', clock(), `Reference PBX (${hostname()})`);
      initialAdminPassword = seeded.adminPassword;
      initialReceptionistPassword = seeded.receptionistPassword;
    } else if (getMeta(db, ADMIN_PASSWORD_PENDING) !== undefined) {
      initialAdminPassword = await regenerateAdminPassword(db, hasher);
      initialReceptionistPassword = await regenerateReceptionistPassword(db, hasher);
    }
    const serverName = getMeta(db, 'server_name') ?? 'Reference PBX';
    const store = new Store(db);
    store.deleteExpiredSessions(clock().toISOString());
    const hub = new EventHub(store.lastAuditId());
    // SPEC F3: every state change is written before the answer (WAL + synchronous=FULL), so it survives kill -9.
    const lockout = new LockoutEngine(db, clock, (row) => store.audit(row));
    const hotdesk = new HotDeskStore(db, clock, (row) => store.audit(row));
    const allowlist = new AdminAllowlistStore(db);
    const rateLimit = new CredentialRateLimiter(opts.credentialRate ?? DEFAULT_CREDENTIAL_RATE);
    const webauthn = { rpId: opts.webauthnRpId ?? 'localhost', rpName: serverName };
    const deps = { store, hasher, hub, clock, lockout, hotdesk, allowlist, rateLimit, webauthn, serverName, version: SERVER_VERSION };

    app = createHttp({ quiet });
    gateManagement(app, (address) => allowlist.admits(address));
    registerRoutes(app, createHandlers(deps), authenticator(deps));
    const openApi = openApiJson(SERVER_VERSION);
    app.get(`${API_BASE}/openapi.json`, (_req, reply) => {
      reply.type('application/json; charset=utf-8').send(openApi);
    });
    // issue 6: the PBX's own web login page (password or passkey; registers passkeys)
    registerLoginPage(app, { serverName, rpId: webauthn.rpId });

    const host = opts.host ?? '127.0.0.1';
    await app.listen({ host, port: opts.port ?? 0 });
    const http = app;
    // SPEC F4 auto-logout: phones idle too long or past their site's daily logout time (also checked on reads)
    const sweeper = setInterval(() => {
      try {
        const events = db.transaction(() => hotdesk.sweep())();
        for (const ev of events) hub.publish(ev);
      } catch (err) {
        if (!quiet) console.error('hot-desk auto-logout failed:', err);
      }
    }, opts.hotdeskSweepMs ?? HOTDESK_SWEEP_MS);
    sweeper.unref();
    deleteMeta(db, ADMIN_PASSWORD_PENDING);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
    const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;

    let closing: Promise<void> | undefined;
    return {
      url: `http://${urlHost}:${port}`,
      port,
      serverName,
      initialAdminPassword,
      initialReceptionistPassword,
      hasher,
      close() {
        closing ??= (async () => {
          clearInterval(sweeper);
          hub.closeAll();
          await http.close();
          db.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    db.close();
    throw err;
  }
}
