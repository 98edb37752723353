// OpenAPI 3.1 document generated from the route table and its zod schemas.
import { z } from 'zod';
import { ApiErrorSchema } from './errors.js';
import { rolesOf, routes, type RouteDef } from './api.js';
import { RoleSchema, type Role } from './domain.js';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  401: 'Not authenticated (missing, expired or revoked token)',
  403: 'Refused',
  404: 'No such resource',
  409: 'Conflicts with the resource state (e.g. protection on a non-phone-terminal)',
  412: 'If-Match does not match the current ETag; the body carries the current version',
  422: 'Invalid input; details name each field and rule',
  428: 'If-Match header required',
};

const ROLE_PLURAL: Record<Role, string> = { admin: 'admins', receptionist: 'receptionists' };

/** Every role the server knows. */
const ALL_ROLES: readonly Role[] = RoleSchema.options;

/** The roles that may not call a session route (they get 403 forbidden before the input is looked at). */
function excludedRoles(def: RouteDef): Role[] {
  const allowed = rolesOf(def);
  return ALL_ROLES.filter((r) => !allowed.includes(r));
}

/**
 * Who may call an operation, as a sentence for its description (the same data is in x-roles,
 * x-site-scoped and x-auth for machines).
 */
export function rolesSentence(def: RouteDef): string {
  if (def.auth === 'none') return 'Who: anyone (no session).';
  if (def.auth === 'device') return 'Who: phones (device API, no session).';
  const list = rolesOf(def).map((r) => ROLE_PLURAL[r]);
  const who = list.length === 1 ? `${list[0]} only` : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  const excluded = excludedRoles(def).map((r) => ROLE_PLURAL[r]);
  const refused = excluded.length ? ` ${capitalize(excluded.join(' and '))} get 403 forbidden.` : '';
  const scope = def.siteScoped
    ? " An account limited to sites sees and acts on the extensions of its sites only (another site's extension: 404 not_found)."
    : ' Not limited by site.';
  return `Who: ${who}.${refused}${scope}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Convert one schema, hoisting named ($defs) schemas into components. */
function convert(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const js = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  const defs = (js['$defs'] ?? {}) as Record<string, Json>;
  delete js['$defs'];
  delete js['$schema'];
  const id = (js['id'] as string | undefined) ?? undefined;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(node as Json)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
          out[k] = `#/components/schemas/${v.slice('#/$defs/'.length)}`;
        } else if (k === 'id' && typeof v === 'string') {
          // zod meta id: becomes the component name, not a schema keyword
        } else out[k] = rewrite(v);
      }
      return out;
    }
    return node;
  };
  for (const [name, def] of Object.entries(defs)) components[name] = rewrite(def);
  const body = rewrite(js) as Json;
  if (id) {
    components[id] = body;
    return { $ref: `#/components/schemas/${id}` };
  }
  return body;
}

function parametersOf(def: RouteDef, components: Json): Json[] {
  const out: Json[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (!schema) return;
    const js = convert(schema, 'input', components);
    const props = (js['properties'] ?? {}) as Record<string, Json>;
    const required = new Set((js['required'] as string[] | undefined) ?? []);
    for (const [name, s] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
  };
  add(def.params, 'path');
  add(def.query, 'query');
  if (def.ifMatch) {
    out.push({
      name: 'If-Match', in: 'header', required: true,
      description: 'The ETag of the version being changed', schema: { type: 'string' },
    });
  }
  return out;
}

export function buildOpenApi(info: { version: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  const errorRef = convert(ApiErrorSchema, 'output', components);
  for (const def of Object.values(routes) as RouteDef[]) {
    const op: Json = {
      operationId: def.operationId,
      summary: def.summary,
      description: rolesSentence(def),
      tags: [def.tag],
      security: def.auth === 'session' ? [{ bearer: [] }] : [],
      'x-auth': def.auth,
    };
    if (def.auth === 'session') {
      op['x-roles'] = [...rolesOf(def)];
      op['x-site-scoped'] = def.siteScoped === true;
    }
    const params = parametersOf(def, components);
    if (params.length) op['parameters'] = params;
    if (def.body) {
      op['requestBody'] = {
        required: true,
        content: { 'application/json': { schema: convert(def.body, 'input', components) } },
      };
    }
    const responses: Json = {};
    if (def.stream) {
      responses[String(def.status)] = {
        description: 'text/event-stream of typed events',
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      };
    } else if (def.produces) {
      responses[String(def.status)] = { description: `Success (${def.produces})`, content: { [def.produces]: { schema: { type: 'string' } } } };
    } else if (def.response) {
      const r: Json = {
        description: 'Success',
        content: { 'application/json': { schema: convert(def.response, 'output', components) } },
      };
      if (def.etag) r['headers'] = { ETag: { schema: { type: 'string' }, description: 'Version tag for If-Match' } };
      responses[String(def.status)] = r;
    } else {
      responses[String(def.status)] = { description: 'Success, no body' };
    }
    const excluded = def.auth === 'session' ? excludedRoles(def) : [];
    const statuses = excluded.length && !def.errors.includes(403) ? [...def.errors, 403].sort((a, b) => a - b) : def.errors;
    for (const status of statuses) {
      let description = ERROR_TEXT[status] ?? 'Error';
      if (status === 403 && def.auth === 'session' && excluded.length) {
        description = `Forbidden (code forbidden): ${excluded.map((r) => ROLE_PLURAL[r]).join(' and ')} may not ${def.forbidden ?? `call ${def.operationId}`}`;
      } else if (status === 403 && def.auth === 'device') {
        description = 'Refused: one answer for every reason (wrong password or PIN, unknown extension, not allowed)';
      }
      responses[String(status)] = {
        description,
        content: { 'application/json': { schema: errorRef } },
      };
    }
    op['responses'] = responses;
    const pathItem = (paths[def.path] ??= {});
    pathItem[def.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'PBX Warden reference PBX — management and device API',
      version: info.version,
      description:
        'Errors share one shape: {"error":{"code","message","details"}}. Writes to versioned resources need If-Match. ' +
        'Roles: every session operation lists the roles that may call it in x-roles (admin, receptionist; others get ' +
        '403 forbidden before the input is looked at) and whether an account limited to sites sees only the ' +
        'extensions of its sites in x-site-scoped; x-auth says which authentication it takes (session, device, none).',
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /api/v1/session' },
      },
    },
  };
}
