// One live connection to one PBX: login with the password from the secret store, transparent
// re-login when the session expires, the live event stream, and an online/offline state with
// retry and backoff that the renderer shows as a banner.
import { routes } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { AppError } from '../../shared/errors.js';
import type { PbxEvent } from '../../shared/events.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { PbxClient, type CallOptions } from './pbx-client.js';
import type { RouteDef } from '../../shared/api.js';

export interface SecretAccess {
  get(key: string): Promise<string | null>;
}

export interface ConnectionEvents {
  onStatus(status: ConnectionStatus): void;
  onPbxEvent(event: PbxEvent): void;
}

/** The keychain account under which a profile's password is kept. */
export function secretKeyFor(profile: Profile, scope?: string): string {
  return `pbx-password:${profile.id}:${profile.username}@${scope ?? profile.url}`;
}

const DISCONNECTED: ConnectionStatus = {
  state: 'disconnected', profileId: null, username: null, role: null, server: null, message: null, retryAt: null,
};

export class ConnectionManager {
  private client: PbxClient | null = null;
  private profile: Profile | null = null;
  private secretKey: string | null = null;
  private token: string | null = null;
  private password: string | null = null;
  private closeEvents: (() => void) | null = null;
  private status: ConnectionStatus = DISCONNECTED;
  private relogin: Promise<void> | null = null;

  constructor(
    private readonly secrets: SecretAccess,
    private readonly events: ConnectionEvents,
    private readonly clientOptions: { timeoutMs?: number; retries?: number; backoffMs?: number } = {},
  ) {}

  getStatus(): ConnectionStatus {
    return this.status;
  }

  private setStatus(patch: Partial<ConnectionStatus>): void {
    this.status = { ...this.status, ...patch };
    this.events.onStatus(this.status);
  }

  /**
   * Connect to a profile. The password comes from the argument (just typed by the user) or from the
   * secret store; the caller saves a typed one once it worked.
   */
  async connect(profile: Profile, typedPassword?: string, secretScope?: string): Promise<ConnectionStatus> {
    await this.disconnect(false);
    const key = secretKeyFor(profile, secretScope);
    const password = typedPassword ?? (await this.secrets.get(key));
    if (!password) {
      throw new AppError('secret_missing', `No password is saved for “${profile.name}”. Enter it to connect.`, 401);
    }
    const client = new PbxClient({ baseUrl: profile.url, tls: profile.tls, ...this.clientOptions });
    this.setStatus({ ...DISCONNECTED, state: 'connecting', profileId: profile.id, username: profile.username });
    let session;
    try {
      session = (await client.call(routes.createSession, { body: { username: profile.username, password } })).data;
    } catch (err) {
      client.close();
      this.setStatus({ ...DISCONNECTED });
      throw err;
    }
    const who = (await client.call(routes.getSession, { token: session.token })).data;
    this.client = client;
    this.profile = profile;
    this.secretKey = key;
    this.password = password;
    this.token = session.token;
    this.setStatus({
      state: 'online', profileId: profile.id, username: session.username, role: session.role, server: who.server,
      message: null, retryAt: null,
    });
    this.startEvents();
    return this.status;
  }

  private startEvents(): void {
    const client = this.client;
    if (!client) return;
    this.closeEvents = client.openEvents(
      () => this.token,
      (ev) => this.events.onPbxEvent(ev),
      (s) => {
        if (s.up) {
          if (this.status.state !== 'online') this.setStatus({ state: 'online', message: null, retryAt: null });
          return;
        }
        if (s.error?.code === 'unauthorized') {
          void this.reauthenticate().catch(() => undefined);
        }
        this.setStatus({
          state: 'offline',
          message: s.error?.message ?? 'Lost the connection to the PBX',
          retryAt: Date.now() + (s.retryInMs ?? 1000),
        });
      },
    );
  }

  /** Log in again with the saved password (session expired or revoked). */
  private async reauthenticate(): Promise<void> {
    if (!this.relogin) {
      this.relogin = (async () => {
        const client = this.requireClient();
        const profile = this.profile!;
        const password = this.password ?? (this.secretKey ? await this.secrets.get(this.secretKey) : null);
        if (!password) throw new AppError('secret_missing', 'The saved password is gone; connect again', 401);
        const s = (await client.call(routes.createSession, { body: { username: profile.username, password } })).data;
        this.token = s.token;
      })().finally(() => {
        this.relogin = null;
      });
    }
    return this.relogin;
  }

  private requireClient(): PbxClient {
    if (!this.client) throw new AppError('not_connected', 'Not connected to a PBX. Choose a PBX to connect to.', 409);
    return this.client;
  }

  /** Call the PBX with the session token; re-login once on 401; report reachability. */
  async call<R extends RouteDef>(def: R, opts: Omit<CallOptions, 'token'> = {}) {
    const client = this.requireClient();
    try {
      try {
        return await client.call(def, { ...opts, token: this.token });
      } catch (err) {
        if (err instanceof AppError && err.code === 'unauthorized') {
          await this.reauthenticate();
          return await client.call(def, { ...opts, token: this.token });
        }
        throw err;
      }
    } catch (err) {
      if (err instanceof AppError && err.code === 'pbx_unreachable' && this.status.state === 'online') {
        this.setStatus({ state: 'offline', message: err.message, retryAt: Date.now() + 1000 });
      }
      throw err;
    }
  }

  /** All extensions, fetched page by page (the console keeps a local index for instant filtering). */
  async allExtensions(): Promise<Extension[]> {
    const items: Extension[] = [];
    let cursor: string | undefined;
    do {
      const query: Record<string, string | number | undefined> = { limit: 1000, sort: 'number', cursor };
      const page = (await this.call(routes.listExtensions, { query })).data;
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  async disconnect(notify = true): Promise<ConnectionStatus> {
    this.closeEvents?.();
    this.closeEvents = null;
    const client = this.client;
    const token = this.token;
    this.client = null;
    this.token = null;
    this.password = null;
    this.profile = null;
    this.secretKey = null;
    if (client) {
      if (token) await client.call(routes.deleteSession, { token }).catch(() => undefined);
      client.close();
    }
    this.status = DISCONNECTED;
    if (notify) this.events.onStatus(this.status);
    return this.status;
  }
}
