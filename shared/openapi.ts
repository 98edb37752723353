// OpenAPI 3.1 document generated from the route table and its zod schemas.
import { z } from 'zod';
import { ApiErrorSchema } from './errors.js';
import { routes, type RouteDef } from './api.js';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  401: 'Not authenticated (missing, expired or revoked token)',
  403: 'Refused (role, allowlist, or a wrong keypad password)',
  404: 'No such resource',
  409: 'Conflicts with the resource state (e.g. protection on a non-phone-terminal)',
  412: 'If-Match does not match the current ETag; the body carries the current version',
  422: 'Invalid input; details name each field and rule',
  428: 'If-Match header required',
};

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
      tags: [def.tag],
      security: def.auth === 'session' ? [{ bearer: [] }] : [],
    };
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
    for (const status of def.errors) {
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? 'Error',
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
        'Errors share one shape: {"error":{"code","message","details"}}. Writes to versioned resources need If-Match.',
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
