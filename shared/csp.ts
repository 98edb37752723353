// The console's Content Security Policy, one source for every place that applies it: the browser-mode
// host's header, the Electron session's and app:// responses' header, and the <meta> tag in renderer/index.html
// (test/unit/csp.test.ts checks the tag matches).
const DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** For the <meta> tag: frame-ancestors is ignored there (and Chromium logs an error), so it is left out. */
export const CSP_META = DIRECTIVES.join('; ');
/** For HTTP headers. */
export const CSP_HEADER = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');
