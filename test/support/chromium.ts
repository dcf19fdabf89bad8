import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Frame, type Page } from 'puppeteer-core';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';

/**
 * Debian's chromium (apt-get install chromium; .ci/run installs it), driven by puppeteer-core,
 * headless, with a fresh profile and nothing that would reach the network by itself.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'de-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The text of the page and of its frames (the Web UI renders markdown in a sandboxed frame). The
 * page's globals are reached through globalThis: the project's TypeScript has no DOM types.
 */
export async function pageText(page: Page): Promise<string> {
  const texts = await Promise.all(page.frames().map((f) => f.evaluate(() => (globalThis as any).document.body?.innerText ?? '').catch(() => '')));
  return texts.join('\n');
}

/** polls the page's frames until `text` shows (the UI loads and refreshes on its own) */
export async function untilText(page: Page, text: string, read: (f: Frame) => Promise<string> = (f) => f.evaluate(() => (globalThis as any).document.body?.innerText ?? ''), timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const texts = await Promise.all(page.frames().map((f) => read(f).catch(() => '')));
    if (texts.some((t) => t.includes(text))) return;
    if (Date.now() > deadline) throw new Error(`"${text}" did not show on ${page.url()}:\n${texts.join('\n').slice(0, 3_000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** the README's snippet that sets the list's columns and saved views: the ```js block after its <!-- web-ui-views --> marker */
export function readmeViewsSnippet(): string {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- web-ui-views -->');
  const block = at >= 0 ? /```js\n([\s\S]*?)```/.exec(readme.slice(at)) : null;
  if (!block) throw new Error('README.md has no ```js block after a <!-- web-ui-views --> marker');
  return block[1]!;
}
