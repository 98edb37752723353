// Roles in the OpenAPI document (shared/openapi.ts): every session operation says who may call it — x-roles
// equal to the route table's roles (rolesOf: what the server's authorise() enforces), x-site-scoped equal to
// the table's siteScoped, a sentence in the description — and documents 403 exactly where a role is refused.
import { describe, expect, it } from 'vitest';
import { rolesOf, routes, type RouteDef } from '../../shared/api.js';
import { RoleSchema, type Role } from '../../shared/domain.js';
import { buildOpenApi, rolesSentence } from '../../shared/openapi.js';

type Op = {
  operationId: string;
  description?: string;
  security: unknown[];
  responses: Record<string, { description: string }>;
  'x-auth'?: string;
  'x-roles'?: Role[];
  'x-site-scoped'?: boolean;
};

const doc = buildOpenApi({ version: 'test' }) as { paths: Record<string, Record<string, Op>>; info: { description: string } };
const defs = Object.values(routes) as RouteDef[];
const opOf = (def: RouteDef): Op => {
  const op = doc.paths[def.path]?.[def.method.toLowerCase()];
  if (!op) throw new Error(`${def.method} ${def.path} is not in the document`);
  return op;
};
const ALL_ROLES = RoleSchema.options;

describe('OpenAPI: who may call each operation', () => {
  it('every session operation lists exactly the roles of the route table in x-roles', () => {
    const session = defs.filter((d) => d.auth === 'session');
    expect(session.length).toBeGreaterThan(10);
    for (const def of session) {
      const op = opOf(def);
      expect(op['x-auth'], def.operationId).toBe('session');
      expect(op['x-roles'], def.operationId).toEqual([...rolesOf(def)]);
      expect(op['x-roles']?.length, def.operationId).toBeGreaterThan(0);
      for (const r of op['x-roles'] ?? []) expect(ALL_ROLES).toContain(r);
      expect(op.security, def.operationId).toEqual([{ bearer: [] }]);
    }
  });

  it('routes without roles in the table are documented as admin only (the server default)', () => {
    const implicit = defs.filter((d) => d.auth === 'session' && d.roles === undefined);
    expect(implicit.length).toBeGreaterThan(0);
    for (const def of implicit) expect(opOf(def)['x-roles'], def.operationId).toEqual(['admin']);
  });

  it('x-site-scoped follows the table, and every route about one extension is site-scoped', () => {
    for (const def of defs.filter((d) => d.auth === 'session')) {
      expect(opOf(def)['x-site-scoped'], def.operationId).toBe(def.siteScoped === true);
      if (def.path.includes('{number}')) expect(def.siteScoped, `${def.operationId} acts on one extension`).toBe(true);
    }
    for (const name of ['listExtensions', 'listSites', 'events', 'bulkResetVoicemailPin'] as const) {
      expect(opOf(routes[name])['x-site-scoped'], name).toBe(true);
    }
    for (const name of ['getSession', 'listPinPolicies', 'setPinPolicy'] as const) {
      expect(opOf(routes[name])['x-site-scoped'], name).toBe(false);
    }
  });

  it('the description says who, in words that match x-roles', () => {
    for (const def of defs) {
      const op = opOf(def);
      expect(op.description, def.operationId).toBe(rolesSentence(def));
      if (def.auth !== 'session') {
        expect(op['x-roles'], def.operationId).toBeUndefined();
        expect(op['x-auth'], def.operationId).toBe(def.auth);
        expect(op.description).toMatch(def.auth === 'device' ? /^Who: phones/ : /^Who: anyone/);
        continue;
      }
      const roles = rolesOf(def);
      expect(op.description, def.operationId).toMatch(/^Who: /);
      for (const r of ALL_ROLES) {
        const plural = r === 'admin' ? 'admins' : 'receptionists';
        if (roles.includes(r)) expect(op.description, def.operationId).toMatch(new RegExp(`^Who: [^.]*\\b${plural}\\b`));
        else expect(op.description, def.operationId).toContain(`${plural.charAt(0).toUpperCase()}${plural.slice(1)} get 403 forbidden.`);
      }
      expect(op.description, def.operationId).toContain(def.siteScoped ? 'limited to sites' : 'Not limited by site');
    }
    expect(opOf(routes.setPinPolicy).description).toBe('Who: admins only. Receptionists get 403 forbidden. Not limited by site.');
    expect(opOf(routes.blockExtension).description).toMatch(/^Who: admins and receptionists\. An account limited to sites/);
  });

  it('403 is documented exactly where a role is refused, naming the role and what it may not do', () => {
    for (const def of defs.filter((d) => d.auth === 'session')) {
      const op = opOf(def);
      const refused = ALL_ROLES.filter((r) => !rolesOf(def).includes(r));
      const r403 = op.responses['403'];
      if (refused.length) {
        expect(r403, def.operationId).toBeDefined();
        expect(def.errors, `${def.operationId}: the table lists 403 too`).toContain(403);
        expect(r403?.description, def.operationId).toMatch(/^Forbidden \(code forbidden\): receptionists may not /);
        expect(def.forbidden, `${def.operationId} names what is forbidden`).toBeDefined();
        expect(r403?.description, def.operationId).toContain(def.forbidden as string);
      } else {
        expect(r403, `${def.operationId}: every role may call it, so no 403`).toBeUndefined();
      }
    }
  });

  it('the new operations are in the document with their roles', () => {
    expect(opOf(routes.setVoicemailTrusted)).toMatchObject({ 'x-roles': ['admin'], 'x-site-scoped': true });
    expect(opOf(routes.checkPinPolicy)).toMatchObject({ 'x-roles': ['admin'], 'x-site-scoped': true });
    expect(Object.keys(opOf(routes.checkPinPolicy).responses)).toEqual(expect.arrayContaining(['200', '403', '422']));
    // SPEC F3: receptionists list and reset lockouts and unban; the rest of the lockout routes are admin only
    for (const r of [routes.listExtensionLocks, routes.resetExtensionLocks, routes.listAddressBans, routes.unbanAddresses]) {
      expect(opOf(r)['x-roles'], r.operationId).toEqual(['admin', 'receptionist']);
    }
    for (const r of [routes.addAddressBan, routes.listAllowlist, routes.addAllowEntry, routes.deleteAllowEntry, routes.failureHistogram, routes.lockCorrelation, routes.getLockoutPolicy, routes.setLockoutPolicy]) {
      expect(opOf(r)['x-roles'], r.operationId).toEqual(['admin']);
    }
    expect(opOf(routes.lockCorrelation)['x-site-scoped']).toBe(true);
    expect(doc.info.description).toContain('x-roles');
  });
});
