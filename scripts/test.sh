#!/usr/bin/env bash
# npm test: typecheck, lint, unit + integration (with a real Secret Service), build, e2e in Debian
# Chromium, and the Electron smoke test (which reports itself skipped where no binary exists).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dbus-run-session >/dev/null || missing+=(dbus)
command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v secret-tool >/dev/null || missing+=(libsecret-tools)
if [ ${#missing[@]} -gt 0 ]; then
  echo "npm test needs Debian packages that are missing: ${missing[*]}" >&2
  echo "Install them (as root):  apt-get update && apt-get install -y ${missing[*]} xvfb" >&2
  exit 3
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
step() { printf '\n== %s\n' "$*"; }

step "typecheck"; npm run -s typecheck
step "lint"; npx eslint . --max-warnings 0
node scripts/electronegativity.mjs   # Electron checklist scan, offline (issue 8)
node scripts/check-fuses.mjs         # fuses of a packaged app; says so and passes when none exists
step "build"; node scripts/build.mjs
step "unit + integration (real SQLite, real HTTP, real Secret Service)"
bash scripts/with-keyring.sh npx vitest run
step "e2e (Playwright + Debian Chromium, browser mode, real server, real keychain)"
bash scripts/with-keyring.sh npx playwright test -c test/e2e/playwright.config.ts
step "electron smoke"
node --input-type=module -e "const { findElectronBinary } = await import('./scripts/electron-binary.mjs'); const b = findElectronBinary(); if (!b.path) console.log('The Electron smoke test reports itself skipped here: ' + b.reason + '. The console ran in browser mode above.');"
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  xvfb-run -a npx playwright test -c test/electron/playwright.config.ts
else
  npx playwright test -c test/electron/playwright.config.ts
fi
