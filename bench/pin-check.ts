// Policy check time per PIN in the renderer's engine (Chromium) and in Node: the same shared code
// (shared/pin-policy.ts) the console uses for live feedback and the server uses to enforce.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPin, defaultPinPolicy, pinRules } from '../shared/pin-policy.js';
import { launchChromium, round, writeResult } from './lib.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = 200_000;
const PINS = ['482604', '111234', '123456', '654321', '1234', '9087', '482604771', '13579', '1001', '70123'];

function nodeRun(): { checkUs: number; rulesUs: number } {
  const policy = defaultPinPolicy('voicemail_pin');
  const ctx = { kind: 'voicemail_pin' as const, extension: '1001', defaultPin: '739184' };
  for (let i = 0; i < 20_000; i++) checkPin(PINS[i % PINS.length]!, policy, ctx);
  let t0 = performance.now();
  for (let i = 0; i < N; i++) checkPin(PINS[i % PINS.length]!, policy, ctx);
  const checkUs = ((performance.now() - t0) * 1000) / N;
  t0 = performance.now();
  for (let i = 0; i < N; i++) pinRules(PINS[i % PINS.length]!, policy, ctx);
  const rulesUs = ((performance.now() - t0) * 1000) / N;
  return { checkUs, rulesUs };
}

async function main() {
  const bundle = await build({
    entryPoints: [path.join(root, 'shared/pin-policy.ts')], bundle: true, format: 'iife', globalName: 'PinPolicy',
    write: false, platform: 'browser', target: 'es2022', minify: true,
  });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.setContent('<!doctype html><title>bench</title>');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  // A string, so no bundler helper leaks into the page.
  const chromium = (await page.evaluate(`(() => {
    const { checkPin, pinRules, defaultPinPolicy } = PinPolicy;
    const pins = ${JSON.stringify(PINS)};
    const policy = defaultPinPolicy('voicemail_pin');
    const ctx = { kind: 'voicemail_pin', extension: '1001', defaultPin: '739184' };
    for (let i = 0; i < 20000; i++) checkPin(pins[i % pins.length], policy, ctx);
    let t0 = performance.now();
    for (let i = 0; i < ${N}; i++) checkPin(pins[i % pins.length], policy, ctx);
    const checkUs = ((performance.now() - t0) * 1000) / ${N};
    t0 = performance.now();
    for (let i = 0; i < ${N}; i++) pinRules(pins[i % pins.length], policy, ctx);
    const rulesUs = ((performance.now() - t0) * 1000) / ${N};
    return { checkUs, rulesUs };
  })()`)) as { checkUs: number; rulesUs: number };
  await browser.close();
  const node = nodeRun();
  writeResult('pin-check', {
    what: `one PIN checked against the essensys voicemail policy (extension and default given), mean over ${N} calls, µs`,
    chromium: { checkPinUs: round(chromium.checkUs, 3), pinRulesUs: round(chromium.rulesUs, 3) },
    node: { checkPinUs: round(node.checkUs, 3), pinRulesUs: round(node.rulesUs, 3) },
  });
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
