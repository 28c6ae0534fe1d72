// Shared by the browser tests: Debian's Chromium, headless, driven by
// playwright-core (no browser download). Each test gets a fresh profile.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.SIGNET_CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/// A persistent context on a throwaway --user-data-dir, removed on close.
export async function launch(contextOptions = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'signet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    ...contextOptions,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/// Reads the whole of stdin as JSON.
export async function readSpec() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}
