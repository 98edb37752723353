// One live connection to one PBX: login with the password from the secret store, transparent
// re-login when the session expires, the live event stream, and an online/offline state with
// retry and backoff that the renderer shows as a banner.
import { routes } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { AppError } from '../../shared/errors.js';
import type { PbxEvent } from '../../shared/events.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { PbxClient, type CallOptions, type DownloadOptions, type PbxClientOptions } from './pbx-client.js';
import type { RouteDef } from '../../shared/api.js';

export interface SecretAccess {
  get(key: string): Promise<string | null>;
  /** Where the session token is kept between runs (optional: without them the token lives in memory only). */
  set?(key: string, value: string): Promise<void>;
  delete?(key: string): Promise<void>;
}

/** The keychain account under which a connection's session token is kept (with its expiry). */
export function tokenKeyFor(profile: Profile, scope?: string): string {
  return `pbx-token:${profile.id}:${profile.username}@${scope ?? profile.url}`;
}

/** Refresh a session this long before it expires: a fifth of its lifetime, at most 5 minutes, at least 2 s. */
export function refreshLeadMs(lifetimeMs: number): number {
  return Math.max(2000, Math.min(5 * 60_000, lifetimeMs / 5));
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
  state: 'disconnected', profileId: null, username: null, role: null, server: null, message: null, retryAt: null, noPassword: false,
};

/** What an offline spell's error means, for the banner's headline. */
export function offlineReasonOf(err: AppError | undefined): NonNullable<ConnectionStatus['offlineReason']> {
  if (!err) return 'unreachable';
  if (err.code === 'tls_error') return 'certificate';
  if (err.code === 'pbx_unreachable') return err.status === 504 ? 'slow' : 'unreachable';
  return 'server_error';
}

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
  /** The current token's expiry (ms epoch) and the timer that refreshes it before then. */
  private expiresAt: number | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private tokenKey: string | null = null;
  private tokenScope: string | undefined = undefined;
  /** Bumped whenever the current connection is replaced or dropped: late results of an older one are ignored. */
  private generation = 0;
  /** Whether the live event stream is open now (it alone notices a PBX that comes back after it broke). */
  private streamUp = false;
  /** The next check that the PBX answers again, after a call failed while the event stream stayed open. */
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
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
    if (gen === this.generation && this.status.state === 'offline') this.setStatus({ state: 'online', message: null, retryAt: null, offlineReason: null });
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
      // '' is a real answer: the account has no password (chosen explicitly on the Connect screen)
      const password = typedPassword ?? (await this.secrets.get(key));
      if (password === null || password === undefined) {
        throw new AppError('secret_missing', `No password is saved for “${profile.name}”. Enter it to connect.`, 401);
      }
      client = new PbxClient({ baseUrl: profile.url, tls: profile.tls, ...this.clientOptions });
      const tokenKey = tokenKeyFor(profile, secretScope);
      // a session kept from an earlier run of this console (still valid on the PBX): no new login needed
      const kept = typedPassword === undefined ? await this.keptSession(client, tokenKey, profile.username) : null;
      const session = kept ?? (await client.call(routes.createSession, { body: { username: profile.username, password } })).data;
      token = session.token;
      const who = (await client.call(routes.getSession, { token })).data;
      this.tokenKey = tokenKey;
      this.tokenScope = secretScope;
      this.sessionStarted(gen, token, session.expiresAt);
      this.client = client;
      this.profile = profile;
      this.secretKey = key;
      this.typedPassword = typedPassword ?? null;
      this.token = token;
      this.setStatus({
        state: 'online', profileId: profile.id, username: session.username, role: session.role, server: who.server,
        message: null, retryAt: null, noPassword: session.noPassword,
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
        this.streamUp = s.up;
        if (s.up) return this.markOnline(gen);
        this.setStatus({
          state: 'offline',
          message: s.error?.message ?? 'Lost the connection to the PBX',
          retryAt: Date.now() + (s.retryInMs ?? 1000),
          offlineReason: offlineReasonOf(s.error),
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
      if (password === null && key) password = await this.secrets.get(key).catch(() => null);
      if (gen !== this.generation) throw notConnected();
      if (password === null) {
        const message = `No password is saved for “${profile.name}” any more; enter it to connect again`;
        this.giveUp(gen, profile, message);
        throw new AppError('secret_missing', message, 401);
      }
      let token: string;
      let expiresAt: string;
      try {
        ({ token, expiresAt } = (await client.call(routes.createSession, { body: { username: profile.username, password } })).data);
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
      this.sessionStarted(gen, token, expiresAt);
    })();
    const tracked = attempt.finally(() => {
      if (this.relogin === tracked) this.relogin = null;
    });
    this.relogin = tracked;
    return tracked;
  }

  /**
   * The connected account itself changed on the PBX through this console (SPEC F5): a new username (renamed in
   * its login settings), a new password (or none), so a later re-login uses what is true now. The caller keeps
   * the saved profile and secret in step; `secretKey` is where the password is kept from now on.
   */
  accountChanged(change: { username?: string; password?: string; noPassword?: boolean; secretKey?: string }): ConnectionStatus {
    if (!this.profile || (this.status.state !== 'online' && this.status.state !== 'offline')) return this.status;
    if (change.username !== undefined && change.username !== this.profile.username) {
      this.profile = { ...this.profile, username: change.username };
      // the kept token moves to the new name's keychain entry (a crash must not leave it under the old one)
      const oldKey = this.tokenKey;
      this.tokenKey = tokenKeyFor(this.profile, this.tokenScope);
      if (oldKey && oldKey !== this.tokenKey) {
        void this.secrets.delete?.(oldKey).catch(() => undefined);
        if (this.token && this.expiresAt !== null) {
          void this.secrets.set?.(this.tokenKey, JSON.stringify({ token: this.token, expiresAt: new Date(this.expiresAt).toISOString() })).catch(() => undefined);
        }
      }
    }
    if (change.secretKey !== undefined) this.secretKey = change.secretKey;
    if (change.password !== undefined) this.typedPassword = change.password;
    const patch: Partial<ConnectionStatus> = {};
    if (change.username !== undefined) patch.username = change.username;
    if (change.noPassword !== undefined) patch.noPassword = change.noPassword;
    if (Object.keys(patch).length) this.setStatus(patch);
    return this.status;
  }

  /** The profile of the current connection (null when none). */
  get currentProfile(): Profile | null {
    return this.profile;
  }

  /**
   * A session token kept in the keychain by an earlier run, if it is still valid on the PBX for this username;
   * else null (and the kept copy is forgotten).
   */
  private async keptSession(client: PbxClient, tokenKey: string, username: string) {
    const raw = await this.secrets.get(tokenKey).catch(() => null);
    if (!raw) return null;
    try {
      const kept = JSON.parse(raw) as { token?: unknown; expiresAt?: unknown };
      if (typeof kept.token !== 'string' || typeof kept.expiresAt !== 'string') throw new Error('not a kept session');
      if (Date.parse(kept.expiresAt) - Date.now() < 2_000) throw new Error('expired');
      const who = (await client.call(routes.getSession, { token: kept.token })).data;
      if (who.username !== username) throw new Error('another account');
      return { token: kept.token, expiresAt: who.expiresAt, username: who.username, role: who.role, noPassword: who.noPassword };
    } catch {
      await this.secrets.delete?.(tokenKey).catch(() => undefined);
      return null;
    }
  }

  /** A new token is in use: keep it in the keychain (best effort) and refresh it before it expires. */
  private sessionStarted(gen: number, token: string, expiresAt: string): void {
    if (gen !== this.generation) return;
    this.expiresAt = Date.parse(expiresAt);
    const key = this.tokenKey;
    if (key) void this.secrets.set?.(key, JSON.stringify({ token, expiresAt })).catch(() => undefined);
    this.scheduleRefresh(gen);
  }

  private scheduleRefresh(gen: number, inMs?: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (this.expiresAt === null) return;
    const remaining = this.expiresAt - Date.now();
    // at least 5 s apart: a console clock far ahead of the PBX's would otherwise refresh in a tight loop
    const delay = inMs ?? Math.max(5_000, remaining - refreshLeadMs(remaining));
    this.refreshTimer = setTimeout(() => void this.refreshSession(gen), Math.min(delay, 2 ** 31 - 1));
    this.refreshTimer.unref?.();
  }

  /**
   * Exchange the token for a fresh one before it expires (POST /session/refresh), so a console left open never
   * meets an expired session and no screen is lost. Refused (revoked meanwhile): log in again with the password.
   * PBX unreachable: try again in 15 s (the session may still be valid when it is back).
   */
  async refreshSession(gen = this.generation): Promise<void> {
    const client = this.client;
    const token = this.token;
    if (gen !== this.generation || !client || !token) return;
    try {
      const next = (await client.call(routes.refreshSession, { token })).data;
      if (gen !== this.generation) {
        await client.call(routes.deleteSession, { token: next.token }).catch(() => undefined);
        return;
      }
      this.token = next.token;
      this.sessionStarted(gen, next.token, next.expiresAt);
      // the stream opened with the old token was ended by the PBX; it reopens with the new one
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof AppError && err.code === 'unauthorized') {
        await this.reauthenticate().catch(() => undefined);
        return;
      }
      this.scheduleRefresh(gen, 15_000);
    }
  }

  /** When the current token expires (ms epoch), null when not connected. */
  get sessionExpiresAt(): number | null {
    return this.expiresAt;
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
    return this.withSession((token) => client.call(def, { ...opts, token }));
  }

  /**
   * A large document route's body as text with its suggested file name (issue 7: the configuration export,
   * ~74 MB for 100,000 extensions): not parsed by the client, bounded by `maxBytes`. Same session handling.
   */
  async download<R extends RouteDef>(def: R, opts: Omit<CallOptions, 'token'> & DownloadOptions) {
    const client = this.requireClient();
    return this.withSession((token) => client.download(def, { ...opts, token }));
  }

  /** Send with the session token; re-login once on 401; report reachability. */
  private async withSession<T>(send: (token: string | null) => Promise<T>): Promise<T> {
    const gen = this.generation;
    try {
      let result: T;
      const sent = this.token;
      try {
        result = await send(sent);
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
        // refreshed while this call was under way: try once with the new token before logging in again
        if (this.token !== sent && this.token !== null) {
          try {
            result = await send(this.token);
            this.markOnline(gen);
            return result;
          } catch (again) {
            if (!(again instanceof AppError && again.code === 'unauthorized')) throw again;
          }
        }
        await this.reauthenticate();
        result = await send(this.token);
      }
      this.markOnline(gen);
      return result;
    } catch (err) {
      if (err instanceof AppError && err.code === 'pbx_unreachable' && gen === this.generation && this.status.state === 'online') {
        this.setStatus({ state: 'offline', message: err.message, retryAt: Date.now() + 1000, offlineReason: offlineReasonOf(err) });
        // the event stream is still open, so it will not report the PBX back: ask the PBX ourselves
        if (this.streamUp) this.probeLater(gen, 0);
      }
      throw err;
    }
  }

  /**
   * A call failed (the PBX too slow, or unreachable) while the event stream stayed open: nothing else would notice
   * that the PBX answers again, so ask it (GET /session) after 1 s, then with backoff up to 30 s, until it does.
   */
  private probeLater(gen: number, attempt: number): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    const wait = Math.min(30_000, 1000 * 2 ** attempt);
    if (attempt > 0) this.setStatus({ retryAt: Date.now() + wait });
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      const client = this.client;
      if (gen !== this.generation || this.status.state !== 'offline' || !client || !this.streamUp) return;
      client.call(routes.getSession, { token: this.token }).then(
        () => this.markOnline(gen),
        (err: unknown) => {
          if (gen !== this.generation || this.status.state !== 'offline') return;
          // the PBX answered (the session may have ended: the next call logs in again)
          if (err instanceof AppError && (err.code === 'unauthorized' || err.status < 500)) return this.markOnline(gen);
          const e = err instanceof AppError ? err : undefined;
          if (e) this.setStatus({ message: e.message, offlineReason: offlineReasonOf(e) });
          this.probeLater(gen, attempt + 1);
        },
      );
    }, wait);
    this.probeTimer.unref?.();
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
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    this.expiresAt = null;
    this.tokenKey = null;
    this.client = null;
    this.token = null;
    this.typedPassword = null;
    this.profile = null;
    this.secretKey = null;
    this.relogin = null;
    this.streamUp = false;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  /** Close the stream, log out (best effort) and forget the current connection. */
  private async teardown(): Promise<void> {
    this.closeEvents?.();
    this.closeEvents = null;
    const client = this.client;
    const token = this.token;
    const tokenKey = this.tokenKey;
    this.clearState();
    if (client) {
      if (token) await client.call(routes.deleteSession, { token }).catch(() => undefined);
      client.close();
    }
    // logged out: the kept copy is worthless now
    if (tokenKey) await this.secrets.delete?.(tokenKey).catch(() => undefined);
  }
}

function notConnected(): AppError {
  return new AppError('not_connected', 'Not connected to a PBX. Choose a PBX to connect to.', 409);
}
