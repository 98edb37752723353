// Live events of the management API (SSE, GET /api/v1/events), typed.
import { z } from 'zod';
import { ChangeSourceSchema, ExtensionSchema } from './domain.js';
import { CredentialKindSchema, PinPolicySchema } from './pin-policy.js';
import { AddressBanSchema, AllowEntrySchema, ExtensionLockSchema, LockCredentialSchema, LockoutPolicySchema } from './lockout.js';
import { DeviceSchema, HotDeskRowSchema } from './hotdesk.js';

export const ProtectionChangedEventSchema = z.object({
  type: z.literal('protection.changed'),
  id: z.number().int(),
  at: z.string(),
  number: z.string(),
  source: ChangeSourceSchema,
  by: z.string(),
  address: z.string(),
  extension: ExtensionSchema,
});

export const HelloEventSchema = z.object({
  type: z.literal('hello'),
  id: z.number().int(),
  at: z.string(),
  server: z.string(),
});

/** A server setting changed (today: the PIN policy of one credential kind). */
export const SettingsChangedEventSchema = z.object({
  type: z.literal('settings.changed'),
  id: z.number().int(),
  at: z.string(),
  setting: z.literal('pin_policy'),
  kind: CredentialKindSchema,
  by: z.string(),
  address: z.string(),
  policy: PinPolicySchema,
  version: z.number().int(),
});

/** Where a credential change came from: the console/API, the phone (device API), or the server itself. */
export const CredentialChangeSourceSchema = z.enum(['console', 'device', 'system']);

/**
 * A credential of an extension was set, reset to the default, or changed from the phone. Carries what
 * happened and the extension's metadata (its `credentials` say set / default / when) — never a value.
 */
export const CredentialsChangedEventSchema = z.object({
  type: z.literal('credentials.changed'),
  id: z.number().int(),
  at: z.string(),
  number: z.string(),
  kind: CredentialKindSchema,
  action: z.enum(['set', 'reset', 'device_change']),
  source: CredentialChangeSourceSchema,
  by: z.string(),
  address: z.string(),
  extension: ExtensionSchema,
});

/**
 * A number was deactivated (custom credentials removed, PIN back to default, protection off), activated,
 * or marked trusted / not trusted for voicemail (`extension.voicemailTrusted` says which).
 */
export const ExtensionChangedEventSchema = z.object({
  type: z.literal('extension.changed'),
  id: z.number().int(),
  at: z.string(),
  number: z.string(),
  action: z.enum(['deactivated', 'activated', 'voicemail_trusted']),
  by: z.string(),
  address: z.string(),
  extension: ExtensionSchema,
});

/**
 * An extension credential's lock state changed (SPEC F3): a counted failure, a new lock, escalation to
 * permanent, a reset by an admin or receptionist, a success that cleared the counter, or expiry seen.
 * `lock` is the dashboard row after the change (failures 0 and not blocked once cleared).
 */
export const LockoutChangedEventSchema = z.object({
  type: z.literal('lockout.changed'),
  id: z.number().int(),
  at: z.string(),
  number: z.string(),
  credential: LockCredentialSchema,
  action: z.enum(['failure', 'locked', 'permanent', 'reset', 'cleared']),
  /** "device" for failures, the account name for resets. */
  by: z.string(),
  address: z.string(),
  lock: ExtensionLockSchema,
});

/** An address ban was added (auto or manual) or removed; `ban` is the row (as it was, for a removal). */
export const BanChangedEventSchema = z.object({
  type: z.literal('ban.changed'),
  id: z.number().int(),
  at: z.string(),
  action: z.enum(['added', 'removed']),
  by: z.string(),
  address: z.string(),
  ban: AddressBanSchema,
});

/** The allowlist or the lockout policy changed. */
export const LockoutSettingsChangedEventSchema = z.object({
  type: z.literal('lockout.settings_changed'),
  id: z.number().int(),
  at: z.string(),
  by: z.string(),
  address: z.string(),
  what: z.enum(['allowlist', 'policy']),
  allowlist: z.array(AllowEntrySchema).optional(),
  policy: LockoutPolicySchema.optional(),
});

/**
 * A phone's hot-desk state changed (SPEC F4): a login (live at once, or waiting for a reboot), the reboot
 * done, a logout from the phone, a logout because the extension logged in on another phone (moved), a forced
 * logout by staff, or an automatic one (idle or the site's daily time). `row` is the extension's hot-desk row
 * after the change (null when it no longer has one); `siteId` is the extension's site (else the phone's).
 */
export const HotDeskChangedEventSchema = z.object({
  type: z.literal('hotdesk.changed'),
  id: z.number().int(),
  at: z.string(),
  action: z.enum(['logged_in', 'needs_reboot', 'rebooted', 'logged_out', 'moved', 'forced_logout', 'auto_logout']),
  /** "device", the account name, or "system" (auto-logout). */
  by: z.string(),
  address: z.string(),
  number: z.string().nullable(),
  siteId: z.string(),
  device: DeviceSchema,
  row: HotDeskRowSchema.nullable(),
});

/** An extension mapping was created, changed or deleted; `row` is the extension's row after it (or null). */
export const HotDeskMappingChangedEventSchema = z.object({
  type: z.literal('hotdesk.mapping_changed'),
  id: z.number().int(),
  at: z.string(),
  action: z.enum(['created', 'updated', 'deleted']),
  by: z.string(),
  address: z.string(),
  number: z.string(),
  siteId: z.string(),
  row: HotDeskRowSchema.nullable(),
});

/** Hot-desk settings changed: templates (or a brand's default), a site's settings, the global passwords, phones. */
export const HotDeskSettingsChangedEventSchema = z.object({
  type: z.literal('hotdesk.settings_changed'),
  id: z.number().int(),
  at: z.string(),
  what: z.enum(['templates', 'site', 'passwords', 'devices']),
  by: z.string(),
  address: z.string(),
});

/** A login token of `username` was created (a login) or revoked; only that account's sessions hear of it. */
export const TokenChangedEventSchema = z.object({
  type: z.literal('token.changed'),
  id: z.number().int(),
  at: z.string(),
  action: z.enum(['created', 'revoked']),
  username: z.string(),
  count: z.number().int(),
  by: z.string(),
  address: z.string(),
});

/**
 * Admin login security changed (issue 6): an account was created, changed, renamed, deleted or got a new
 * password, or the admin allowlist was saved. Admins' consoles reload what they show; never a secret.
 */
export const AdminChangedEventSchema = z.object({
  type: z.literal('admin.changed'),
  id: z.number().int(),
  at: z.string(),
  what: z.enum(['accounts', 'allowlist']),
  /** The account concerned (accounts), under its new name after a rename. */
  username: z.string().nullable(),
  by: z.string(),
  address: z.string(),
});

export const PbxEventSchema = z
  .discriminatedUnion('type', [
    ProtectionChangedEventSchema,
    HelloEventSchema,
    SettingsChangedEventSchema,
    CredentialsChangedEventSchema,
    ExtensionChangedEventSchema,
    LockoutChangedEventSchema,
    BanChangedEventSchema,
    LockoutSettingsChangedEventSchema,
    HotDeskChangedEventSchema,
    HotDeskMappingChangedEventSchema,
    HotDeskSettingsChangedEventSchema,
    TokenChangedEventSchema,
    AdminChangedEventSchema,
  ])
  .meta({ id: 'Event' });
export type PbxEvent = z.infer<typeof PbxEventSchema>;
export type PbxEventType = PbxEvent['type'];

/** Incremental parser for a text/event-stream body (WHATWG rules, the subset servers use). */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  constructor(private readonly onEvent: (ev: { event: string; data: string; id?: string }) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const sepLen = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      this.buffer = this.buffer.slice(nl + sepLen);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        const ev: { event: string; data: string; id?: string } = {
          event: this.event || 'message',
          data: this.data.join('\n'),
        };
        if (this.id !== undefined) ev.id = this.id;
        this.onEvent(ev);
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}
