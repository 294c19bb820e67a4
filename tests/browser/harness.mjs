// How the browser tests (tests/browser/run.mjs) and the UI benchmark
// (bench/ui.mjs) start Debian's chromium: the same flags, driven by the
// playwright-core of this folder's lock file (never a downloaded browser).

import { chromium } from 'playwright-core';

/** Debian's chromium, or the one CHROMIUM names. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** What both pass: headless, no sandbox or GPU, nothing that goes online by itself. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * Chromium on the user-data dir `profile`, in Vietnamese on Vietnam's time,
 * with a 1200×900 window and the blank first page closed.
 */
export async function launchChromium(profile, executablePath = CHROMIUM) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, '--disable-sync'],
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    viewport: { width: 1200, height: 900 },
    deviceScaleFactor: 1,
  });
  try {
    for (const p of context.pages()) await p.close();
  } catch (e) {
    await context.close().catch(() => {});
    throw e;
  }
  return context;
}
