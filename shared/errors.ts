// One error shape for the management API and the console RPC.
// Codes are stable strings; messages are for people and name the field and the rule.
import { z } from 'zod';

export const ErrorCodes = [
  'validation_failed',
  'unauthorized',
  'invalid_credentials',
  'forbidden',
  'not_found',
  'precondition_required',
  'precondition_failed',
  'protection_not_supported',
  'protection_not_enabled',
  'protection_password_required',
  'protection_password_invalid',
  'keypad_rejected',
  'pin_policy_violation',
  'extension_inactive',
  'conflict',
  'ban_covers_you',
  'mac_in_use',
  'template_in_use',
  'not_logged_in',
  'network_not_configured',
  'address_not_allowed',
  'allowlist_excludes_you',
  'last_admin',
  'payload_too_large',
  'rate_limited',
  'internal',
  // console-side codes
  'unknown_channel',
  'invalid_payload',
  'not_connected',
  'pbx_unreachable',
  'pbx_error',
  'tls_error',
  'keychain_unavailable',
  'vault_locked',
  'vault_passphrase_wrong',
  'vault_exists',
  'vault_missing',
  'profile_not_found',
  'profile_invalid',
  'secret_missing',
  // issue 7: exported configuration files (encrypted envelope)
  'export_invalid',
  'export_passphrase_wrong',
  'export_tampered',
  // issue 7: the read-only review of an exported file
  'export_passphrase_required',
  'read_only',
  'not_in_export',
  // issue 7: a desktop-only action (native dialogs, PDF) asked in browser mode
  'not_supported',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

/** One failed rule of one field. */
export const FieldIssueSchema = z.object({
  field: z.string(),
  rule: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

export const ErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(FieldIssueSchema).optional(),
  /** For 412: the current version of the resource, so a client can show both versions. */
  current: z.unknown().optional(),
  currentEtag: z.string().optional(),
  /** For 429: how long to wait before trying again (seconds), from the PBX's Retry-After. */
  retryAfterSeconds: z.number().nonnegative().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const ApiErrorSchema = z.object({ error: ErrorBodySchema }).meta({ id: 'Error' });
export type ApiError = z.infer<typeof ApiErrorSchema>;

export interface ErrorExtra {
  current?: unknown;
  currentEtag?: string;
  retryAfterSeconds?: number;
}

/** A typed, expected failure. Everything else is a bug and is reported as `internal`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: FieldIssue[];
  readonly extra?: ErrorExtra;
  constructor(
    code: ErrorCode,
    message: string,
    status = 400,
    details?: FieldIssue[],
    extra?: ErrorExtra,
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    if (details) this.details = details;
    if (extra) this.extra = extra;
  }
  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.details) body.details = this.details;
    if (this.extra?.current !== undefined) body.current = this.extra.current;
    if (this.extra?.currentEtag !== undefined) body.currentEtag = this.extra.currentEtag;
    if (this.extra?.retryAfterSeconds !== undefined) body.retryAfterSeconds = this.extra.retryAfterSeconds;
    return body;
  }
}

/** Turn zod issues into field/rule/message triples a person can act on. */
export function issuesFromZod(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = prefix && path ? `${prefix}.${path}` : prefix || path || '(root)';
    return { field, rule: ruleOf(issue), message: `${field}: ${issue.message}` };
  });
}

function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // zod 4 puts `input` on an issue only when parsing with { reportInput: true } (parseOrThrow does);
      // without it, fall back to zod's default message, which names what it received.
      const missing = 'input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message);
      return missing ? 'required' : `type_${issue.expected}`;
    }
    case 'too_small':
      return 'min';
    case 'too_big':
      return 'max';
    case 'invalid_format':
      return issue.format === 'regex' ? 'pattern' : `format_${issue.format}`;
    case 'invalid_value':
      return 'one_of';
    case 'unrecognized_keys':
      return 'unknown_keys';
    case 'custom':
      return (issue.params?.['rule'] as string | undefined) ?? 'custom';
    default:
      return issue.code;
  }
}

export function validationError(issues: FieldIssue[], code: ErrorCode = 'validation_failed'): AppError {
  const first = issues[0];
  const message = first
    ? issues.length === 1
      ? first.message
      : `${first.message} (and ${issues.length - 1} more)`
    : 'Invalid input';
  return new AppError(code, message, 422, issues);
}

/** Parse with a schema or throw a typed validation error naming each field and rule. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = '',
  code: ErrorCode = 'validation_failed',
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw validationError(issuesFromZod(result.error, prefix), code);
  return result.data;
}
