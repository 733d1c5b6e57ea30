// Chromium driven by playwright-core: the build the global setup made ready
// (test/support/chromium.js: @sparticuz/chromium from npm, or CHROMIUM_PATH).
// No fallback and no skip: without it, the browser tests fail and say why.
import { chromium, type Browser } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  const executablePath = process.env.NANGO_TEST_CHROMIUM;
  if (!executablePath) throw new Error('no Chromium for the browser tests: run them through `npm test` (its global setup unpacks @sparticuz/chromium), or set CHROMIUM_PATH');
  const libraries = process.env.NANGO_TEST_CHROMIUM_LIBS;
  return chromium.launch({
    executablePath,
    headless: true,
    ...(libraries ? { env: { ...process.env, LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } } : {}),
    // The machine's network is closed: keep Chromium from calling home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
