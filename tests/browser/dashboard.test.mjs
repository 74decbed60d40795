// dashboard.test.mjs - the dashboard of 'queuectl web' as a person uses it, in a real headless
// Chromium (Debian's) driven by playwright-core: counts change live while a worker drains
// jobs, filters, a job's output arrives while it runs, a dead job is retried by clicking,
// hostile commands stay text, and the pages fit a phone and dark mode.  Screenshots go to
// $SCREENSHOTS (default: a temporary directory, printed).
//
// Usage: QUEUECTL=build/queuectl node tests/browser/dashboard.test.mjs
// Every wait is for a condition with a deadline (playwright's timeouts), never a sleep.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const QUEUECTL = process.env.QUEUECTL;
if (!QUEUECTL) throw new Error('QUEUECTL must name the queuectl binary');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const tmp = mkdtempSync(join(tmpdir(), 'queuectl-browser-'));
const shots = process.env.SCREENSHOTS || join(tmp, 'screenshots');
mkdirSync(shots, { recursive: true });
const env = { ...process.env, QUEUECTL_HOME: join(tmp, 'home') };
delete env.QUEUECTL_DB;
const children = [];
let checks = 0;

function check(cond, what) {
  checks++;
  if (!cond) throw new Error('check failed: ' + what);
}
function q(...args) {
  return execFileSync(QUEUECTL, args, { env, encoding: 'utf8' }).trim();
}
function state(id) {
  return JSON.parse(q('info', '--json', id)).state;
}
async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error('timed out waiting for: ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}
// Its stderr (a worker's log) goes to a file, shown if the test fails.
const log = join(tmp, 'log');
function start(args) {
  const p = spawn(QUEUECTL, args, { env, stdio: ['ignore', 'pipe', openSync(log, 'a')] });
  children.push(p);
  return p;
}
function stop(p) {
  return new Promise((res) => { if (p.exitCode !== null) res(); else { p.once('exit', res); p.kill('SIGTERM'); } });
}

const server = start(['web', '--listen', '127.0.0.1:0']);
const base = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/^serving (http:\/\/[^/]+)\//m);
    if (m) resolve(m[1]);
  });
  server.once('exit', () => reject(new Error('queuectl web exited')));
});

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const dialogs = [];
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => { throw e; });
  page.setDefaultTimeout(20000);

  // --- The overview goes live and sees a job enqueued by the CLI appear.
  await page.goto(base + '/#/');
  await page.locator('#live', { hasText: 'live' }).waitFor();
  const pending = page.locator('#counts [data-state="pending"] .n');
  await pending.filter({ hasText: /^0$/ }).waitFor();
  q('enqueue', '--id', 'first', 'echo hello from the cli');
  await pending.filter({ hasText: /^1$/ }).waitFor();
  check(true, 'a CLI enqueue appears live');
  await page.locator('#queues td', { hasText: 'default' }).waitFor();

  // --- Counts change while a worker drains jobs.
  for (let i = 0; i < 5; i++) q('enqueue', '--queue', 'batch', `echo job ${i}`);
  await pending.filter({ hasText: /^6$/ }).waitFor();
  const completed = page.locator('#counts [data-state="completed"] .n');
  const worker = start(['worker', 'start', '--count', '2']);
  await page.locator('#workers td', { hasText: '/ 2' }).waitFor();
  await completed.filter({ hasText: /^6$/ }).waitFor();
  await pending.filter({ hasText: /^0$/ }).waitFor();
  await page.locator('svg.chart rect.completed').first().waitFor();
  check(true, 'the chart shows completed attempts');
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

  // --- Jobs: filtered by state and queue, searched by command text and id prefix.
  await page.goto(base + '/#/jobs');
  await page.locator('#jobs tr[data-id="first"]').waitFor();
  await page.selectOption('select[name="queue"]', 'batch');
  await page.click('form.filters button[type="submit"]');
  await until('6 -> 5 rows', async () => (await page.locator('#jobs tbody tr').count()) === 5);
  await page.fill('input[name="command"]', 'job 3');
  await page.click('form.filters button[type="submit"]');
  await until('one row', async () => (await page.locator('#jobs tbody tr').count()) === 1);
  check((await page.locator('#jobs tbody td.cmd').textContent()) === 'echo job 3', 'command search');
  await page.goto(base + '/#/jobs?id=fir');
  await until('id prefix', async () => (await page.locator('#jobs tbody tr').count()) === 1 &&
    (await page.locator('#jobs tbody tr').getAttribute('data-id')) === 'first');
  await page.goto(base + '/#/jobs?state=completed');
  await until('completed ones', async () => (await page.locator('#jobs tbody tr').count()) === 6);
  check((await page.locator('#jobs tbody td.state-completed').count()) === 6, 'state filter');

  // --- A job page: its output arrives while the attempt runs, then its end.
  const go = join(tmp, 'go');
  q('enqueue', '--id', 'slow', `echo first line; while [ ! -e ${go} ]; do sleep 0.05; done; echo second line`);
  await page.goto(base + '/#/job/slow');
  await page.locator('#output', { hasText: 'first line' }).waitFor();
  check(!(await page.locator('#output').textContent()).includes('second line'), 'not ahead of the job');
  await page.locator('dd[data-field="state"]', { hasText: 'processing' }).waitFor();
  writeFileSync(go, '');
  await page.locator('#output', { hasText: 'second line' }).waitFor();
  await page.locator('dd[data-field="state"]', { hasText: 'completed' }).waitFor();
  await page.locator('#attempts td.state-completed').waitFor();
  await page.screenshot({ path: join(shots, 'job.png'), fullPage: true });

  // --- The dead letter queue: retry a dead job by clicking.
  q('enqueue', '--id', 'doomed', '--max-retries', '0', 'echo about to fail; exit 7');
  await until('doomed is dead', () => state('doomed') === 'dead');
  await stop(worker);
  await page.goto(base + '/#/dlq');
  const doomed = page.locator('#jobs tr[data-id="doomed"]');
  await doomed.waitFor();
  check((await doomed.locator('td.cmd').first().textContent()) === 'exit status 7', 'last error shown');
  await page.screenshot({ path: join(shots, 'dlq.png'), fullPage: true });
  await doomed.locator('input[type="checkbox"]').check();
  await page.click('text=Retry selected');
  await until('doomed is pending', () => state('doomed') === 'pending');
  await doomed.waitFor({ state: 'detached' });

  // --- Hostile commands are shown as text: no element made of them, no script run.
  const hostile = ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>',
    '"><svg onload=alert(3)>'];
  hostile.forEach((c, i) => q('enqueue', '--id', `x${i}`, '--queue', 'xss', c));
  await page.goto(base + '/#/jobs?queue=xss');
  await until('3 hostile rows', async () => (await page.locator('#jobs tbody tr').count()) === 3);
  const shown = await page.locator('#jobs tbody td.cmd').allTextContents();
  check(JSON.stringify(shown) === JSON.stringify(hostile), 'commands shown exactly as text');
  check((await page.locator('main img, main svg:not(.chart), main script').count()) === 0, 'no element from a command');
  await page.goto(base + '/#/job/x0');
  await page.locator('dd[data-field="command"]', { hasText: '<img src=x onerror=alert(1)>' }).waitFor();
  check((await page.locator('main img').count()) === 0, 'no img on the job page');
  check(dialogs.length === 0, 'no dialog fired: ' + dialogs.join(', '));

  // --- Phone width, and dark mode.
  await page.setViewportSize({ width: 375, height: 740 });
  for (const [name, hash] of [['phone-overview', '#/'], ['phone-jobs', '#/jobs'], ['phone-dlq', '#/dlq']]) {
    await page.goto(base + '/' + hash);
    await page.locator('main h1').waitFor();
    await page.locator('#live', { hasText: 'live' }).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 375, `${name}: the page is ${width}px wide at 375px`);
    await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(base + '/#/');
  await page.locator('#counts').waitFor();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  check(r + g + b < 150, 'dark background in dark mode: ' + bg);
  await page.screenshot({ path: join(shots, 'phone-dark.png'), fullPage: true });
  console.log('screenshots in ' + shots);
  console.log(`ok: ${checks} checks`);
} catch (e) {
  if (page) await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  console.error('FAIL: ' + e.message + ' (screenshots in ' + shots + ')');
  if (existsSync(log)) console.error(readFileSync(log, 'utf8'));
  process.exitCode = 1;
} finally {
  await browser.close();
  for (const p of children) await stop(p);
  if (!process.exitCode && !process.env.SCREENSHOTS) rmSync(tmp, { recursive: true, force: true });
  else if (existsSync(join(tmp, 'home'))) rmSync(join(tmp, 'home'), { recursive: true, force: true });
}
