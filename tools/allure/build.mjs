#!/usr/bin/env node
// `make report`'s last step: Allure results -> ONE self-contained HTML file, offline.
//
//   node tools/allure/build.mjs [RESULTS_DIR] [OUTPUT_DIR]
//   (defaults: reports/allure-results, reports/allure-report; relative to the current folder)
//
// Runs the pinned Allure 3 CLI of this folder (`npm ci` here installs it; no Java, no
// network after that) with allurerc.mjs (Awesome report, singleFile), then removes the
// analytics tag the Awesome template always adds: a certification report opened in a lab
// must not call out to a third party (and offline it would only fail to load).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const results = resolve(process.argv[2] ?? "reports/allure-results");
const output = resolve(process.argv[3] ?? "reports/allure-report");
const cli = join(here, "node_modules", "allure", "cli.js");

if (!existsSync(cli)) {
  console.error(`allure is not installed: run \`npm ci\` in ${here} (make report does)`);
  process.exit(2);
}
if (!existsSync(results)) {
  console.error(`no allure results in ${results}: run the plan with --alluredir ${results}`);
  process.exit(2);
}
rmSync(output, { recursive: true, force: true });
const run = spawnSync(
  process.execPath,
  [cli, "generate", results, "--config", join(here, "allurerc.mjs"), "--output", output],
  { stdio: "inherit", cwd: here, env: { ...process.env, ALLURE_RESULTS: results } },
);
if (run.status !== 0) {
  process.exit(run.status ?? 1);
}
const index = join(output, "index.html");
const html = readFileSync(index, "utf8");
const analytics =
  /\s*<script async src="https:\/\/www\.googletagmanager\.com[^"]*"><\/script>\s*<script>[\s\S]*?gtag\('config'[\s\S]*?<\/script>/;
const offline = html.replace(analytics, "");
if (/<(script|link|img)[^>]+(src|href)="https?:/.test(offline)) {
  console.error(`${index} still loads something from the network`);
  process.exit(1);
}
writeFileSync(index, offline);
console.log(`allure report: ${index} (${(offline.length / 1e6).toFixed(1)} MB, one file)`);
