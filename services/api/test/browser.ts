import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { REPO } from "./helpers";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(REPO, ".test-results/screenshots");

/**
 * Debian's chromium, installed with apt when missing (scripts/ensure-system.sh should install it
 * for CI); never a browser downloaded by a package.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  const r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], {
    stdio: "inherit",
    env,
  });
  if (r.status !== 0 || !existsSync(CHROMIUM))
    throw new Error("chromium is not installed and apt-get could not install it");
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
