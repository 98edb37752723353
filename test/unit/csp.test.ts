import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CSP_HEADER, CSP_META } from '../../shared/csp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('content security policy', () => {
  it('the renderer page carries exactly the shared policy', () => {
    const html = readFileSync(path.join(root, 'renderer/index.html'), 'utf8');
    const m = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(m?.[1]).toBe(CSP_META);
  });
  it('allows no inline script, no eval, no remote origin, no framing', () => {
    expect(CSP_HEADER).toMatch(/script-src 'self'(;|$)/);
    expect(CSP_HEADER).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(CSP_HEADER).toMatch(/frame-ancestors 'none'/);
    expect(CSP_HEADER).toMatch(/object-src 'none'/);
  });
});
