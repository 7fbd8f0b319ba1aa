// Drives the public map page in the system's headless Chromium (playwright-core, no browser
// download): waits for the data, screenshots it, unticks one utility and reports what the list
// shows before and after; with a fourth argument it then ticks the utility again, unticks that
// kind (emergency/planned) and reports that too.
// Usage: node map-check.mjs BASE_URL SCREENSHOT.png UTILITY_TO_HIDE [KIND_TO_HIDE]
import { chromium } from "playwright-core";

const [base, shot, hide, hideKind] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await page.goto(base + "/map");
  await page.waitForSelector("body[data-ready='1']", { timeout: 15000 });
  const count = () => page.$$eval("#list li", (l) => l.map((li) => li.dataset.utility));
  const markers = () => page.$$eval("path.outage", (p) => p.length);
  const before = { list: await count(), markers: await markers() };
  await page.screenshot({ path: shot });
  await page.uncheck(`input[name="utility"][value="${hide}"]`);
  const after = { list: await count(), markers: await markers() };
  await page.screenshot({ path: shot.replace(/\.png$/, "-filtered.png") });
  let afterKind = null;
  if (hideKind) {
    await page.check(`input[name="utility"][value="${hide}"]`);
    await page.uncheck(`input[name="kind"][value="${hideKind}"]`);
    afterKind = { list: await count(), markers: await markers() };
    await page.screenshot({ path: shot.replace(/\.png$/, "-kind.png") });
  }
  console.log(JSON.stringify({ before, after, afterKind }));
} finally {
  await browser.close();
}
