// Drives the company cabinet, the public rating and the authority dashboard in the system's
// headless Chromium (playwright-core, no browser download). Signs in through the real login
// pages (the one-time code is read from the test's SMS sink), opens a report, accepts it,
// answers and resolves it, and screenshots every page. Prints a JSON report of what it saw.
// Usage: node cabinet-check.mjs BASE_URL SMS_SINK_URL SHOTS_DIR STAFF_PHONE AUTHORITY_PHONE REPORT_NUMBER REGION
import { chromium } from "playwright-core";

const [base, sink, shots, staffPhone, authorityPhone, number, region] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function signIn(page, phone) {
  await page.goto(base + "/cabinet");
  const redirectedTo = new URL(page.url()).pathname;
  await page.fill("#phone", phone);
  await Promise.all([page.waitForSelector("#code"), page.click("#send-code")]);
  const code = await (await fetch(`${sink}/sms/code?phone=${encodeURIComponent(phone)}`)).text();
  if (!/^\d{6}$/.test(code)) throw new Error(`no code for ${phone}: ${code}`);
  await page.fill("#code", code);
  await Promise.all([page.waitForNavigation(), page.click("#verify")]);
  return redirectedTo;
}

const statusOf = (page) => page.$eval("#status", (e) => e.dataset.status);

try {
  const out = {};
  const staff = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await staff.newPage();
  out.signedOutGoesTo = await signIn(page, staffPhone);
  out.landedOn = new URL(page.url()).pathname;
  const cookies = await staff.cookies();
  const session = cookies.find((c) => c.name === "cc_session");
  out.cookie = session && { httpOnly: session.httpOnly, sameSite: session.sameSite };
  out.list = await page.$$eval("tr.report", (rows) => rows.map((r) => ({
    number: r.querySelector("a").textContent,
    status: r.dataset.status,
    overdue: r.classList.contains("overdue"),
    background: getComputedStyle(r.querySelector("td")).backgroundColor,
  })));
  await page.screenshot({ path: `${shots}/cabinet.png`, fullPage: true });

  await Promise.all([page.waitForNavigation(), page.click(`text=${number}`)]);
  out.opened = { status: await statusOf(page), photos: await page.$$eval(".photos img", (i) => i.length) };
  await page.screenshot({ path: `${shots}/cabinet-report.png`, fullPage: true });

  await page.selectOption("#action", "accept");
  await Promise.all([page.waitForNavigation(), page.click("#change-status")]);
  out.afterAccept = await statusOf(page);
  await page.fill("#answer", "A plumber comes at 3 pm.");
  await Promise.all([page.waitForNavigation(), page.click("#send-answer")]);
  await page.selectOption("#action", "resolve");
  await page.fill("#comment", "Fixed: the pipe was replaced.");
  await Promise.all([page.waitForNavigation(), page.click("#change-status")]);
  out.afterResolve = await statusOf(page);
  out.history = await page.$$eval("#history tbody tr", (rows) => rows.map((r) =>
    [...r.querySelectorAll("td")].slice(1).map((td) => td.textContent)));
  await page.screenshot({ path: `${shots}/cabinet-resolved.png`, fullPage: true });

  await page.goto(`${base}/rating?region=${encodeURIComponent(region)}`);
  out.rating = await page.$$eval("tr.company", (rows) => rows.map((r) => ({
    id: r.dataset.id, total: r.querySelector(".total").textContent,
  })));
  await page.click("tr.why summary");
  await page.screenshot({ path: `${shots}/rating.png`, fullPage: true });

  const authority = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const dash = await authority.newPage();
  await signIn(dash, authorityPhone);
  out.authorityLandedOn = new URL(dash.url()).pathname;
  out.dashboard = await dash.$$eval("#companies tr.company", (rows) => rows.map((r) => ({
    id: r.dataset.id, overdue: r.querySelector(".overdue-n").textContent,
  })));
  await dash.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
