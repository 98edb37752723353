// HTTP plumbing: the Fastify instance, one error shape, body parsing, and route registration from the
// route table of shared/api.ts (operationId → handler).
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_BASE, rolesOf, routes, type RouteDef, type RouteName } from '../shared/api.js';
import type { Role } from '../shared/domain.js';
import { AppError, issuesFromZod, validationError, type ErrorBody, type FieldIssue } from '../shared/errors.js';

export const BODY_LIMIT = 64 * 1024;

export interface RequestContext {
  req: FastifyRequest;
  reply: FastifyReply;
  def: RouteDef;
  params: unknown;
  query: unknown;
  body: unknown;
  /** Raw If-Match header value (present when the route needs it). */
  ifMatch: string | null;
  /** The socket address of the caller (IPv4-mapped IPv6 reduced to IPv4). Never a forwarded header. */
  address: string;
  userAgent: string | null;
}

/** Returned by a handler that took over the raw response (SSE). */
export const HIJACKED = Symbol('hijacked');

export type HandlerResult = { status?: number; body?: unknown; etag?: string; headers?: Record<string, string> } | typeof HIJACKED;

/**
 * A JSON body already serialised (a large document built as text, e.g. the configuration export): sent as it
 * is instead of through JSON.stringify. The handler vouches that it matches the route's response schema.
 */
export class JsonText {
  constructor(readonly text: string | Buffer) {}
}

/** Runs before the handler on routes with auth 'session'; returns what the handler gets as `session`. */
export type Authenticate<S> = (ctx: RequestContext) => S | Promise<S>;

export type Handlers<S> = {
  [K in RouteName]: (ctx: RequestContext & { session: S }) => HandlerResult | Promise<HandlerResult>;
};

export function normaliseAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  // a link-local IPv6 address comes with its zone (fe80::1%eth0); the zone is not part of the address
  if (address.includes('%')) address = address.slice(0, address.indexOf('%'));
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

export function errorReply(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: body });
}

/** OpenAPI path template → Fastify path: /extensions/{number} → /extensions/:number */
export function fastifyPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, ':$1');
}

const NoInput = z.object({}).strict();

/** zod issues → field issues; an unknown key becomes one issue per key, named by the key itself. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  const mapped = issuesFromZod(error);
  error.issues.forEach((issue, i) => {
    if (issue.code === 'unrecognized_keys') {
      const base = issue.path.map(String).join('.');
      for (const key of issue.keys) {
        // an empty key ("?=" or {"": 1}) still needs a field name a person can see
        const name = key === '' ? '(empty name)' : key;
        const field = base ? `${base}.${name}` : name;
        out.push({ field, rule: 'unknown_keys', message: `${field}: unknown field` });
      }
    } else out.push(mapped[i] as FieldIssue);
  });
  return out;
}

function collect(schema: z.ZodType | undefined, value: unknown, issues: FieldIssue[], where: string): unknown {
  if (!schema) {
    // No schema: accept nothing at all (unknown fields are refused everywhere).
    if (value === undefined || value === null) return undefined;
    const r = NoInput.safeParse(value, { reportInput: true });
    if (!r.success) {
      issues.push(
        ...fieldIssues(r.error).map((i) => ({ ...i, message: `${i.message} (this request takes no ${where})` })),
      );
    }
    return undefined;
  }
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  issues.push(...fieldIssues(r.error));
  return undefined;
}

export function createHttp(opts: { quiet: boolean }): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // long enough that a too-long extension number gets the schema's 422 naming the field
    routerOptions: { maxParamLength: 256 },
    // Requests Node's HTTP parser refuses (headers too large, not HTTP at all): same shape as everything else,
    // instead of Fastify's own {"error","message","statusCode"} body.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const [field, rule, message] =
        status === 431
          ? ['(headers)', 'max', '(headers): the request headers are larger than the limit']
          : status === 408
            ? ['(request)', 'timeout', '(request): the request did not arrive in time']
            : ['(request)', 'http', '(request): the request is not valid HTTP'];
      const body = JSON.stringify({ error: { code: 'validation_failed', message, details: [{ field, rule, message }] } });
      // end (not destroy): the answer is flushed before the connection closes
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
        );
      } else socket.destroy(err);
    },
    // Errors raised before routing (a badly encoded URL): same shape as everything else.
    frameworkErrors: (err, _req, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const message = tooLong ? '(url): the request URL is too long' : '(url): the request URL is not valid';
      void errorReply(reply, tooLong ? 414 : 400, {
        code: 'validation_failed',
        message,
        details: [{ field: '(url)', rule: tooLong ? 'max' : 'encoding', message }],
      });
    },
  });

  // JSON only, parsed by us so that a malformed body gets the one error shape. An empty body is "no body".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, text, done) => {
    const s = typeof text === 'string' ? text : text.toString('utf8');
    if (s.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(s));
    } catch {
      const message = '(body): the request body is not valid JSON';
      done(new AppError('validation_failed', message, 422, [{ field: '(body)', rule: 'json', message }]), undefined);
    }
  });

  // Any other content type: fine when there is no body at all (clients such as axios label even an empty
  // POST as a form), refused otherwise.
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, text, done) => {
    const s = typeof text === 'string' ? text : text.toString('utf8');
    if (s.length === 0) return done(null, undefined);
    const message = 'Content-Type: send the body as application/json';
    done(
      new AppError('validation_failed', message, 415, [{ field: 'Content-Type', rule: 'media_type', message }]),
      undefined,
    );
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    errorReply(reply, 404, { code: 'not_found', message: `No such endpoint: ${req.method} ${path.slice(0, 200)}` });
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof AppError) {
      if (err.status === 429) reply.header('Retry-After', String(Math.max(1, Math.ceil(err.extra?.retryAfterSeconds ?? 1))));
      return errorReply(reply, err.status, err.toBody());
    }
    const e = err as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
      return errorReply(reply, 413, {
        code: 'payload_too_large',
        message: `The request body is larger than the limit of ${BODY_LIMIT / 1024} KiB`,
      });
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      const message = 'Content-Type: send the body as application/json';
      return errorReply(reply, 415, {
        code: 'validation_failed',
        message,
        details: [{ field: 'Content-Type', rule: 'media_type', message }],
      });
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own client errors (bad content length, aborted body, …): same shape, no internals.
      const message = 'The request could not be read';
      return errorReply(reply, e.statusCode, {
        code: 'validation_failed',
        message,
        details: [{ field: '(request)', rule: e.code ?? 'bad_request', message }],
      });
    }
    if (!opts.quiet) console.error(`[reference-pbx] ${req.method} ${req.url} failed:`, err);
    return errorReply(reply, 500, { code: 'internal', message: 'Internal server error' });
  });

  return app;
}

const ROLE_NAME: Record<Role, string> = { admin: 'An admin', receptionist: 'A receptionist' };

/** 403 unless the session's role may call the route (the one place roles are enforced). */
export function authorise(def: RouteDef, role: Role): void {
  if (rolesOf(def).includes(role)) return;
  const what = def.forbidden ?? `call ${def.operationId}`;
  throw new AppError('forbidden', `${ROLE_NAME[role]} cannot ${what}`, 403);
}

/**
 * The admin allowlist (issue 6), before anything else: on every request under the management API's base path
 * (the login, the OpenAPI document and unknown paths included; not the health check, not the device API),
 * and on the web login page /login with its files,
 * before the body is even read. `admits` answers for the caller's address.
 */
export function gateManagement(app: FastifyInstance, admits: (address: string) => boolean): void {
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const login = path === '/login' || path.startsWith('/login/'); // the PBX's web login page (issue 6)
    if (!(login || path === API_BASE || path.startsWith(`${API_BASE}/`)) || path === `${API_BASE}/health`) return;
    const address = normaliseAddress(req.socket.remoteAddress);
    if (admits(address)) return;
    return errorReply(reply, 403, {
      code: 'address_not_allowed',
      message: `This PBX answers management requests only from the addresses on its admin allowlist; ${address} is not on it`,
    });
  });
}

/** Register every route of the table with its handler; validation, auth, roles and If-Match come from the table. */
export function registerRoutes<S extends { role: Role }>(
  app: FastifyInstance,
  handlers: Handlers<S>,
  authenticate: Authenticate<S>,
): void {
  for (const [name, def] of Object.entries(routes) as [RouteName, RouteDef][]) {
    const handler = handlers[name];
    if (!handler) throw new Error(`No handler for operation ${def.operationId}`);
    app.route({
      method: def.method,
      url: fastifyPath(def.path),
      handler: async (req, reply) => {
        const base: RequestContext = {
          req,
          reply,
          def,
          params: undefined,
          query: undefined,
          body: undefined,
          ifMatch: null,
          address: normaliseAddress(req.socket.remoteAddress),
          userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 512) : null,
        };
        // 1. who (before looking at the input, so an anonymous caller learns nothing about it)
        const session = def.auth === 'session' ? await authenticate(base) : (undefined as unknown as S);
        // 1b. may this role do it at all (before the input, too)
        if (def.auth === 'session') authorise(def, session.role);
        // 2. what: every field of params, query and body, all issues at once
        const issues: FieldIssue[] = [];
        base.params = collect(def.params, req.params, issues, 'path parameters');
        base.query = collect(def.query, req.query, issues, 'query parameters');
        base.body = def.method === 'GET' ? undefined : collect(def.body, req.body, issues, 'body');
        if (issues.length) throw validationError(issues);
        // 3. which version
        if (def.ifMatch) {
          const h = req.headers['if-match'];
          if (typeof h !== 'string' || h.trim() === '') {
            throw new AppError(
              'precondition_required',
              'If-Match header required: send the ETag of the version you are changing',
              428,
            );
          }
          base.ifMatch = h;
        }
        const result = await handler({ ...base, session });
        if (result === HIJACKED) return reply;
        if (result.etag) reply.header('etag', result.etag);
        for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
        reply.code(result.status ?? def.status);
        if (def.produces && typeof result.body === 'string') return reply.type(`${def.produces}; charset=utf-8`).send(result.body);
        if (result.body instanceof JsonText) return reply.type('application/json; charset=utf-8').send(result.body.text);
        if (result.body === undefined || def.response === null) return reply.send();
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
      },
    });
  }
}
