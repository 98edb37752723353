// One live connection to one PBX: login with the password from the secret store, transparent
// re-login when the session expires, the live event stream, and an online/offline state with
// retry and backoff that the renderer shows as a banner.
import { routes } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { AppError } from '../../shared/errors.js';
import type { PbxEvent } from '../../shared/events.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { PbxClient, type CallOptions, type PbxClientOptions } from './pbx-client.js';
import type { RouteDef } from '../../shared/api.js';

export interface SecretAccess {
  get(key: string): Promise<string | null>;
}

/** Options passed to every PbxClient the manager creates (tests shorten the timings). */
export type ConnectionClientOptions = Pick<PbxClientOptions, 'timeoutMs' | 'retries' | 'backoffMs' | 'streamIdleTimeoutMs'>;

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

/** The message shown when re-login with the saved password is refused (the password changed on the PBX). */
export function refusedPasswordMessage(profile: Profile): string {
  return `The saved password for ${profile.name} was refused; enter it again`;
}

export class ConnectionManager {
  private client: PbxClient | null = null;
  private profile: Profile | null = null;
  private secretKey: string | null = null;
  private token: string | null = null;
  /** Only a password typed for this connection (it may not be saved); a saved one is read again when needed. */
  private typedPassword: string | null = null;
  private closeEvents: (() => void) | null = null;
  private status: ConnectionStatus = DISCONNECTED;
  private relogin: Promise<void> | null = null;
  /** Bumped whenever the current connection is replaced or dropped: late results of an older one are ignored. */
  private generation = 0;
  /** connect/disconnect run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: SecretAccess,
    private readonly events: ConnectionEvents,
    private readonly clientOptions: ConnectionClientOptions = {},
  ) {}

  getStatus(): ConnectionStatus {
    return this.status;
  }

  /** The current session token (tests: revoke it on the PBX to simulate a session ended elsewhere). */
  get sessionToken(): string | null {
    return this.token;
  }

  private setStatus(patch: Partial<ConnectionStatus>): void {
    this.status = { ...this.status, ...patch };
    this.events.onStatus(this.status);
  }

  /** Back online after an offline spell (a call went through, or the event stream reopened). */
  private markOnline(gen: number): void {
    if (gen === this.generation && this.status.state === 'offline') this.setStatus({ state: 'online', message: null, retryAt: null });
  }

  /** Attach a note to a live connection's status (e.g. "connected, but the password could not be saved"). */
  annotate(message: string | null): ConnectionStatus {
    if (this.status.state === 'online' || this.status.state === 'offline') this.setStatus({ message });
    return this.status;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Connect to a profile. The password comes from the argument (just typed by the user) or from the
   * secret store; the caller saves a typed one once it worked. Connects and disconnects are serialised:
   * the last one called wins, and no stream of an earlier one survives it.
   */
  connect(profile: Profile, typedPassword?: string, secretScope?: string): Promise<ConnectionStatus> {
    return this.serial(() => this.doConnect(profile, typedPassword, secretScope));
  }

  private async doConnect(profile: Profile, typedPassword: string | undefined, secretScope: string | undefined): Promise<ConnectionStatus> {
    await this.teardown();
    const gen = this.generation;
    const key = secretKeyFor(profile, secretScope);
    let client: PbxClient | null = null;
    let token: string | null = null;
    this.setStatus({ ...DISCONNECTED, state: 'connecting', profileId: profile.id, username: profile.username });
    try {
      const password = typedPassword ?? (await this.secrets.get(key));
      if (!password) {
        throw new AppError('secret_missing', `No password is saved for “${profile.name}”. Enter it to connect.`, 401);
      }
      client = new PbxClient({ baseUrl: profile.url, tls: profile.tls, ...this.clientOptions });
      const session = (await client.call(routes.createSession, { body: { username: profile.username, password } })).data;
      token = session.token;
      const who = (await client.call(routes.getSession, { token })).data;
      this.client = client;
      this.profile = profile;
      this.secretKey = key;
      this.typedPassword = typedPassword ?? null;
      this.token = token;
      this.setStatus({
        state: 'online', profileId: profile.id, username: session.username, role: session.role, server: who.server,
        message: null, retryAt: null,
      });
      this.startEvents(gen, client);
      return this.status;
    } catch (err) {
      if (client) {
        const c = client;
        if (token) await c.call(routes.deleteSession, { token }).catch(() => undefined);
        c.close();
      }
      if (this.client === client) this.clearState();
      this.setStatus({ ...DISCONNECTED });
      throw err;
    }
  }

  private startEvents(gen: number, client: PbxClient): void {
    this.closeEvents = client.openEvents(
      () => this.token,
      (ev) => {
        if (gen === this.generation) this.events.onPbxEvent(ev);
      },
      (s) => {
        if (gen !== this.generation) return;
        if (s.up) return this.markOnline(gen);
        this.setStatus({
          state: 'offline',
          message: s.error?.message ?? 'Lost the connection to the PBX',
          retryAt: Date.now() + (s.retryInMs ?? 1000),
        });
      },
      { onUnauthorized: () => this.reauthenticate() },
    );
  }

  /**
   * Log in again (session expired or revoked) with the password typed for this connection, else the
   * saved one. A refused password is not tried again (that would trip the PBX's lockout): the
   * connection is dropped and the status says to enter the password again.
   */
  private reauthenticate(): Promise<void> {
    if (this.relogin) return this.relogin;
    const gen = this.generation;
    const client = this.client;
    const profile = this.profile;
    const key = this.secretKey;
    if (!client || !profile) return Promise.reject(notConnected());
    const attempt = (async () => {
      let password = this.typedPassword;
      if (!password && key) password = await this.secrets.get(key).catch(() => null);
      if (gen !== this.generation) throw notConnected();
      if (!password) {
        const message = `No password is saved for “${profile.name}” any more; enter it to connect again`;
        this.giveUp(gen, profile, message);
        throw new AppError('secret_missing', message, 401);
      }
      let token: string;
      try {
        token = (await client.call(routes.createSession, { body: { username: profile.username, password } })).data.token;
      } catch (err) {
        if (err instanceof AppError && err.code === 'invalid_credentials' && gen === this.generation) {
          const message = refusedPasswordMessage(profile);
          this.giveUp(gen, profile, message);
          throw new AppError('invalid_credentials', message, 401);
        }
        throw err;
      }
      if (gen !== this.generation) {
        await client.call(routes.deleteSession, { token }).catch(() => undefined);
        throw notConnected();
      }
      this.token = token;
    })();
    const tracked = attempt.finally(() => {
      if (this.relogin === tracked) this.relogin = null;
    });
    this.relogin = tracked;
    return tracked;
  }

  /** Drop the connection for good after a failed re-login; the status keeps the profile and says why. */
  private giveUp(gen: number, profile: Profile, message: string): void {
    if (gen !== this.generation) return;
    const client = this.client;
    this.closeEvents?.();
    this.closeEvents = null;
    this.clearState();
    client?.close();
    this.setStatus({ ...DISCONNECTED, profileId: profile.id, username: profile.username, message });
  }

  private requireClient(): PbxClient {
    if (!this.client) throw notConnected();
    return this.client;
  }

  /** Call the PBX with the session token; re-login once on 401; report reachability. */
  async call<R extends RouteDef>(def: R, opts: Omit<CallOptions, 'token'> = {}) {
    const client = this.requireClient();
    const gen = this.generation;
    try {
      let result;
      try {
        result = await client.call(def, { ...opts, token: this.token });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
        await this.reauthenticate();
        result = await client.call(def, { ...opts, token: this.token });
      }
      this.markOnline(gen);
      return result;
    } catch (err) {
      if (err instanceof AppError && err.code === 'pbx_unreachable' && gen === this.generation && this.status.state === 'online') {
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

  disconnect(notify = true): Promise<ConnectionStatus> {
    return this.serial(async () => {
      await this.teardown();
      this.status = DISCONNECTED;
      if (notify) this.events.onStatus(this.status);
      return this.status;
    });
  }

  private clearState(): void {
    this.generation++;
    this.client = null;
    this.token = null;
    this.typedPassword = null;
    this.profile = null;
    this.secretKey = null;
    this.relogin = null;
  }

  /** Close the stream, log out (best effort) and forget the current connection. */
  private async teardown(): Promise<void> {
    this.closeEvents?.();
    this.closeEvents = null;
    const client = this.client;
    const token = this.token;
    this.clearState();
    if (client) {
      if (token) await client.call(routes.deleteSession, { token }).catch(() => undefined);
      client.close();
    }
  }
}

function notConnected(): AppError {
  return new AppError('not_connected', 'Not connected to a PBX. Choose a PBX to connect to.', 409);
}
