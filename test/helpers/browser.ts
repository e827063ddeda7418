/** Debian's Chromium through playwright-core, for the browser tests (scripts/install-browser.sh installs it). */
import { chromium, type Browser } from 'playwright-core';

// Flags for a headless run as root on an offline machine: no sandbox (root), no background calls to the internet.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A new browser (playwright-core gives each launch an empty profile of its own); the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
