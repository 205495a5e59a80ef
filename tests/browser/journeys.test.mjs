// Browser journeys of the Countersign console: Debian's chromium, driven by
// playwright-core, against the real `countersign serve` on loopback with a
// fresh SQLite file. Every page visited is checked with axe-core (no serious
// or critical violation) and photographed at desktop and 360 px widths.
//
// Run by scripts/browser-test.sh (which installs what it needs):
//   BIN=target/debug/countersign node --test tests/browser/journeys.test.mjs
//
// What the server needs is set up as an installation would: the sample
// directory loaded through the real change control (one administrator
// imports, another approves), accounts with `countersign user add`, codes
// sent through a real SMTP listener on loopback (below), sample messages
// judged through the API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const BIN = path.resolve(process.env.BIN || path.join(REPO, 'target/debug/countersign'));
const SHOTS = process.env.SHOTS || path.join(REPO, 'target/console-screenshots');
const AXE = readFileSync(path.join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');
const WORK = mkdtempSync(path.join(os.tmpdir(), 'countersign-browser-'));
const ENV = {
  ...process.env,
  COUNTERSIGN_DB: path.join(WORK, 'countersign.db'),
  COUNTERSIGN_AUDIT_KEY: path.join(WORK, 'audit.key'),
};
delete ENV.COUNTERSIGN_CONFIG;
delete ENV.COUNTERSIGN_ACTOR;

const axeResults = [];
let server; let base; let browser; let smtp;
const mail = []; // { rcpt: [...], data }

function cs(...args) {
  return execFileSync(BIN, args, { env: ENV, cwd: WORK, encoding: 'utf8' });
}

// ---- a real SMTP listener for the codes (RFC 5321, the part a client uses)
function startSmtp() {
  return new Promise((resolve) => {
    const srv = net.createServer((sock) => {
      let buf = ''; let inData = false; let cur = { rcpt: [], data: '' };
      sock.write('220 sink.test ESMTP\r\n');
      sock.on('data', (chunk) => {
        buf += chunk.toString('latin1');
        for (;;) {
          if (inData) {
            const end = buf.indexOf('\r\n.\r\n');
            if (end < 0) return;
            cur.data = buf.slice(0, end);
            buf = buf.slice(end + 5);
            inData = false;
            mail.push(cur);
            cur = { rcpt: [], data: '' };
            sock.write('250 2.0.0 queued\r\n');
            continue;
          }
          const nl = buf.indexOf('\r\n');
          if (nl < 0) return;
          const line = buf.slice(0, nl); buf = buf.slice(nl + 2);
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO' || verb === 'HELO') sock.write('250-sink.test\r\n250 8BITMIME\r\n');
          else if (verb === 'MAIL') sock.write('250 2.1.0 ok\r\n');
          else if (verb === 'RCPT') { cur.rcpt.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, '$1').toLowerCase()); sock.write('250 2.1.5 ok\r\n'); }
          else if (verb === 'DATA') { inData = true; sock.write('354 go ahead\r\n'); }
          else if (verb === 'QUIT') { sock.end('221 bye\r\n'); return; }
          else if (verb === 'RSET' || verb === 'NOOP') sock.write('250 ok\r\n');
          else sock.write('502 5.5.2 not here\r\n');
        }
      });
      sock.on('error', () => {});
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

// A plain SMTP client: one message, each reply awaited.
function smtpSend(port, from, to, raw) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const data = raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const steps = ['EHLO client.test', `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA',
      `${data}${data.endsWith('\r\n') ? '' : '\r\n'}.`, 'QUIT'];
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const lines = buf.split('\r\n'); buf = lines.pop();
      for (const line of lines) {
        if (/^\d{3}-/.test(line)) continue;
        if (!/^[23]/.test(line)) { sock.destroy(); reject(new Error(`SMTP: ${line}`)); return; }
        const next = steps.shift();
        if (next === undefined) { sock.end(); resolve(); return; }
        sock.write(`${next}\r\n`);
      }
    });
    sock.on('error', reject);
  });
}

// Waits for the notice a form's success shows; a refusal fails with its words.
async function done(page, text) {
  const alert = page.locator('[role=alert]');
  await Promise.race([page.getByText(text).first().waitFor(), alert.first().waitFor()]);
  if (await alert.count()) throw new Error(`refused on ${page.url()}: ${await alert.first().innerText()}`);
}

async function codeSentTo(address) {
  for (let i = 0; i < 100; i++) {
    const m = [...mail].reverse().find((x) => x.rcpt.includes(address.toLowerCase()));
    const found = m && /verification code is (\d+) (\d+)\./.exec(m.data.replace(/=\r\n/g, ''));
    if (found) { mail.splice(mail.indexOf(m), 1); return found[1] + found[2]; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code was mailed to ${address}`);
}

// ---- TOTP (RFC 6238, SHA-1, 6 digits, 30 s): what an authenticator app does
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = ''; const out = [];
  for (const c of text.replace(/[=\s]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}
function totpAt(secret, step) {
  const msg = Buffer.alloc(8); msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', secret).update(msg).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
// A code of a step the account has not used yet (the server accepts one step
// either side and refuses a step used before).
async function freshCode(user) {
  for (;;) {
    const current = Math.floor(Date.now() / 1000 / 30);
    const step = Math.max(current, (user.lastStep ?? 0) + 1);
    if (step <= current + 1) { user.lastStep = step; return totpAt(user.secret, step); }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// ---- pages: axe-core and screenshots
async function check(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => await globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeResults.push({ page: name, url: page.url(), violations: result.violations.map((v) => `${v.id} (${v.impact})`), passes: result.passes.length });
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${name}`);
  const size = page.viewportSize();
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: path.join(SHOTS, `${name}-360.png`), fullPage: true });
  await page.setViewportSize(size);
  assert.ok(overflow <= 1, `${name} scrolls sideways at 360 px (${overflow} px)`);
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.cspViolations = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) page.cspViolations.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(base)) throw new Error(`request outside the server: ${r.url()}`); });
  return page;
}

// The first sign-in of an account: one-time password, new password, and
// (for roles that need it) TOTP enrolment from the key shown on the page.
async function setUp(page, user, shots) {
  await page.goto(`${base}/console/signin`);
  if (shots) await check(page, 'signin');
  await page.getByLabel('Username').fill(user.name);
  await page.getByLabel('Password', { exact: true }).fill(user.otp);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/setup$/, { timeout: 10_000 }).catch(async (e) => {
    throw new Error(`${user.name} did not reach setup: ${await page.locator('main').innerText()}`, { cause: e });
  });
  if (shots) await check(page, 'setup');
  user.password = 'Correct-Horse-Battery-2026';
  await page.getByLabel('One-time password').fill(user.otp);
  await page.getByLabel('New password').fill(user.password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Change password' }).click()]);
  if (user.mfa) {
    await page.getByRole('button', { name: 'Enrol an authenticator app' }).click();
    await page.locator('figure.qr svg').waitFor();
    if (shots) await check(page, 'totp-enrol');
    user.secret = base32(await page.locator('code.secret').innerText());
    await page.getByLabel('First code from the app').fill(await freshCode(user));
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Confirm' }).click()]);
  }
  await page.waitForURL((u) => !u.pathname.startsWith('/console/setup') && !u.pathname.startsWith('/console/signin'));
}

// Signing in is two steps for an account with TOTP: the password, then the
// code on its own page.
async function signIn(page, user, shots) {
  await page.goto(`${base}/console/signin`);
  await page.getByLabel('Username').fill(user.name);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (user.mfa) {
    await page.getByLabel('Authenticator code').waitFor();
    if (shots) await check(page, 'signin-totp');
    await page.getByLabel('Authenticator code').fill(await freshCode(user));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
  }
  await page.waitForURL((u) => !u.pathname.startsWith('/console/signin'));
}

// A DMARC aggregate report (RFC 7489 appendix C) for our domain: one
// source aligned, one not.
function aggregateReport() {
  const begin = Math.floor(Date.now() / 1000) - 2 * 86400;
  const rec = (ip, count, ok) => `<record><row><source_ip>${ip}</source_ip><count>${count}</count>`
    + `<policy_evaluated><disposition>${ok ? 'none' : 'reject'}</disposition><dkim>${ok ? 'pass' : 'fail'}</dkim>`
    + `<spf>${ok ? 'pass' : 'fail'}</spf></policy_evaluated></row><identifiers><header_from>acme.example</header_from>`
    + `</identifiers><auth_results><spf><domain>acme.example</domain><result>${ok ? 'pass' : 'fail'}</result></spf>`
    + '</auth_results></record>';
  return '<?xml version="1.0"?><feedback><report_metadata><org_name>receiver.test</org_name>'
    + '<email>dmarc@receiver.test</email><report_id>journeys-1</report_id>'
    + `<date_range><begin>${begin}</begin><end>${begin + 86399}</end></date_range></report_metadata>`
    + '<policy_published><domain>acme.example</domain><p>reject</p></policy_published>'
    + rec('192.0.2.10', 120, true) + rec('203.0.113.66', 7, false) + '</feedback>';
}

async function api(method, route, token, body, type = 'application/json') {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return json;
}

const people = {};

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // The directory, through the real change control.
  cs('directory', 'init', '--org-name', 'Acme', '--org-domain', 'acme.example', '--staff-id', 'S-1002',
    '--name', 'Priya Raman', '--email', 'priya.raman@acme.example', '--phone', '+15555550102');
  cs('directory', 'init', '--org-name', 'Acme', '--org-domain', 'acme.example', '--staff-id', 'S-1009',
    '--name', 'Lee Hart', '--email', 'lee.hart@acme.example', '--phone', '+15555550109');
  const imported = JSON.parse(cs('directory', 'import', '--format', 'json', '--actor', 'S-1002', '--reason',
    'initial load', '--json', path.join(REPO, 'samples/directory.json')));
  cs('directory', 'approve', imported.change_request, '--actor', 'S-1009', '--reason', 'checked');
  // The vendor's signing key, enrolled through the same change control.
  const keyFile = path.join(WORK, 'contoso.key');
  const pub = /public key:\s*(\S+)/.exec(cs('vendor', 'keygen', '--out', keyFile))[1];
  const keyChange = JSON.parse(cs('directory', 'add', 'key', '--vendor', 'contoso-it', '--public-key', pub,
    '--reason', 'enrolment', '--actor', 'S-1002', '--json'));
  cs('directory', 'approve', keyChange.change_request, '--actor', 'S-1009', '--reason', 'checked');
  people.vendorKey = keyFile;
  // Our domain's posture: one DMARC aggregate report, as `dmarc ingest` stores it.
  const report = path.join(WORK, 'aggregate.xml');
  writeFileSync(report, aggregateReport());
  cs('dmarc', 'ingest', report);
  const add = (name, role, ...extra) => {
    const otp = cs('user', 'add', '--role', role, ...extra, name).trim().split('\n').pop().trim();
    people[name] = { name, otp, mfa: ['approver', 'relationship_manager', 'security_admin'].includes(role) };
  };
  add('sam', 'analyst', '--staff-id', 'S-1001');
  add('feeder', 'analyst');
  add('alex', 'approver');
  add('priya', 'relationship_manager', '--staff-id', 'S-1002');
  add('lee', 'security_admin', '--staff-id', 'S-1009');
  add('jordan', 'employee', '--employee-id', 'E-2001');
  add('raman', 'security_admin', '--staff-id', 'S-1002');

  smtp = await startSmtp();
  server = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--zone', path.join(REPO, 'samples/samples.zone'),
    '--smtp-relay', `smtp://127.0.0.1:${smtp.address().port}`,
    '--smtp-listen', '127.0.0.1:0', '--smtp-downstream', `127.0.0.1:${smtp.address().port}`],
  { env: ENV, cwd: WORK, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d) => { log += d; });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      const p = /smtp on [0-9.]+:(\d+)/.exec(out);
      if (m && p) { people.smtpPort = Number(p[1]); resolve(m[1]); }
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
  });

  // Sample messages judged through the API, as a help-desk gateway would.
  const feeder = people.feeder;
  const first = await api('POST', '/api/v1/session', null, { username: 'feeder', password: feeder.otp });
  await api('POST', '/api/v1/me/password', first.token, { current_password: feeder.otp, new_password: 'Correct-Horse-Battery-2026' });
  const token = (await api('POST', '/api/v1/session', null, { username: 'feeder', password: 'Correct-Horse-Battery-2026' })).token;
  for (const line of readFileSync(path.join(REPO, 'samples/manifest.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const m = JSON.parse(line);
    const q = new URLSearchParams({ client_ip: m.ip, helo: m.helo, mail_from: m.mail_from, rcpt: m.rcpt });
    const raw = readFileSync(path.join(REPO, 'samples', m.file));
    await api('POST', `/api/v1/messages?${q}`, token, raw, 'message/rfc822');
  }
  // Two messages through SMTP ingress that the policy quarantines.
  for (const file of ['messages/02-spoofed-it-support.eml', 'messages/07-unparsable.eml']) {
    await smtpSend(people.smtpPort, 'it-support@acme.example', 'servicedesk@acme.example',
      readFileSync(path.join(REPO, 'samples', file), 'latin1'));
  }
  // A phone request opened by hand for a privileged vendor's access: the
  // policy asks for a callback, a code and two approvals.
  const manual = await api('POST', '/api/v1/cases', token, {
    channel: 'phone', claim: 'Dana from Contoso IT', vendor_id: 'contoso-it',
    contact_email: 'dana.whitfield@contoso-it.example', request_kinds: ['access_grant', 'remote_access'],
    summary: 'Grant remote access to the payroll server for maintenance', numbers_given: ['+15559990000'],
  });
  people.manualCase = manual.case.id;

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  if (smtp) smtp.close();
  writeFileSync(path.join(SHOTS, 'axe-results.json'), JSON.stringify(axeResults, null, 2));
  const serious = axeResults.filter((r) => r.violations.some((v) => /serious|critical/.test(v))).length;
  console.log(`axe-core: ${axeResults.length} page checks, ${serious} with serious or critical violations; all found: ${JSON.stringify([...new Set(axeResults.flatMap((r) => r.violations))])}`);
  console.log(`screenshots (desktop and 360 px): ${SHOTS}`);
});

test('every person signs in for the first time: password changed, TOTP enrolled from the QR page', async () => {
  for (const name of ['sam', 'alex', 'priya', 'lee', 'jordan', 'raman']) {
    const page = await newPage();
    await setUp(page, people[name], name === 'alex');
    people[name].page = page;
  }
});

test('an approver signs in with password and TOTP in a fresh browser', async () => {
  const page = await newPage();
  await signIn(page, people.alex, true);
  assert.match(page.url(), /\/console\/approvals$/);
  await check(page, 'approvals');
  await page.context().close();
});

test('an analyst finds a held case in the queue, calls back and checks the code', async () => {
  const page = people.sam.page;
  await page.goto(`${base}/console/overview`);
  // Verdicts, case ages, and the identities the sample messages imitate.
  assert.equal(await page.locator('svg.chart').count(), 3);
  const imitated = await page.locator('table', { hasText: 'Identity' }).locator('tbody tr').count();
  assert.ok(imitated >= 1, 'the sample attacks imitate at least one identity');
  await check(page, 'overview');
  await page.goto(`${base}/console/queue`);
  await check(page, 'queue');
  await page.getByLabel('Verdict').selectOption('hold');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/verdict=hold/);
  await check(page, 'queue-filtered');
  await page.locator('a[href^="/console/messages/"]').first().click();
  await page.getByRole('heading', { name: 'Findings' }).waitFor();
  await check(page, 'message');

  await page.goto(`${base}/console/cases/${people.manualCase}`);
  await check(page, 'case');
  const body = await page.locator('main').innerText();
  assert.match(body, /Do not use: \+15559990000/);
  await page.getByLabel('Number called').selectOption({ index: 0 });
  await page.getByLabel('Confirmed the request').check();
  await page.getByRole('button', { name: 'Record callback' }).click();
  await done(page, 'the callback is recorded');

  const dest = await page.getByLabel('Send to (directory)').locator('option').first().getAttribute('value');
  await page.getByLabel('Send to (directory)').selectOption(dest);
  await page.getByRole('button', { name: 'Send code' }).click();
  await done(page, 'a code was sent');
  const code = await codeSentTo(dest.split(':')[1]);
  await page.getByLabel('Code read back by the requester').fill(code);
  await page.getByRole('button', { name: 'Check code' }).click();
  await done(page, 'the code was checked');

  await page.getByRole('button', { name: 'Issue a challenge' }).click();
  await done(page, 'a challenge was issued');
  const challengeFile = path.join(WORK, 'challenge.json');
  writeFileSync(challengeFile, await page.locator('pre.challenge').innerText());
  const jws = cs('vendor', 'sign', '--key', people.vendorKey, challengeFile).trim();
  await page.getByLabel('Signed answer from the vendor (JWS)').fill(jws);
  await page.getByRole('button', { name: 'Check signature' }).click();
  await done(page, "the vendor's signature was checked");
  await check(page, 'case-after-code');
});

test('two approvers approve in two browser contexts, then the analyst releases', async () => {
  for (const name of ['alex', 'priya']) {
    const page = people[name].page;
    await page.goto(`${base}/console/approvals`);
    await page.getByRole('link', { name: people.manualCase }).click();
    await page.getByLabel('Fresh authenticator code').fill(await freshCode(people[name]));
    await page.getByRole('button', { name: 'Approve' }).click();
    await done(page, 'your approval is recorded');
  }
  const page = people.sam.page;
  await page.goto(`${base}/console/cases/${people.manualCase}`);
  await page.getByText('verified', { exact: true }).first().waitFor();
  await page.getByRole('button', { name: 'Release for action' }).click();
  await done(page, 'released for action');
  await check(page, 'case-released');
  const timeline = await page.locator('table').last().innerText();
  assert.match(timeline, /approv/);
});

test('an employee checks a caller who claims to be IT', async () => {
  const page = people.jordan.page;
  await page.goto(`${base}/console/it`);
  await check(page, 'it-reference');
  await page.getByLabel('Staff ID they gave').fill('S-1001');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByText('Current member of IT').waitFor();
  await check(page, 'staff-card');
  await page.getByRole('button', { name: /Verify the caller/ }).click();
  await page.waitForURL(/\/console\/it\/verify\//);
  const text = await page.locator('main').innerText();
  assert.match(text, /no open ticket/i);
  await check(page, 'caller-verification');
  // The page shows the address masked; the code goes to S-1001's directory email.
  assert.match(text, /sent to s\*+@acme\.example/);
  await page.getByLabel('Code the caller read back').fill(await codeSentTo('sam.okafor@acme.example'));
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByText(/verified: this is/i).waitFor();
});

test('an employee reports a suspicious offer and sees it under My reports', async () => {
  const page = people.jordan.page;
  await page.goto(`${base}/console/report`);
  await check(page, 'report');
  await page.getByLabel('How did they contact you?').selectOption('phone');
  await page.getByLabel('Who did they say they were?').fill('Mike from IT');
  await page.getByLabel('Their number or address').fill('+44 20 7946 0999');
  await page.getByLabel('Tech support / fixing a problem').check();
  await page.getByLabel('To install or run a remote-access tool').check();
  await page.getByLabel('What happened, in your words').fill('Said my laptop was slow and asked me to install a remote tool.');
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('heading', { name: 'Report received' }).waitFor();
  await page.goto(`${base}/console/reports`);
  await check(page, 'my-reports');
  assert.match(await page.locator('tbody').innerText(), /received/);
});

test('a second report with the same number joins a campaign the administrator contains', async () => {
  const page = people.jordan.page;
  await page.goto(`${base}/console/report`);
  await page.getByLabel('How did they contact you?').selectOption('phone');
  await page.getByLabel('Who did they say they were?').fill('Mike, IT support');
  await page.getByLabel('Their number or address').fill('+442079460999');
  await page.getByLabel('An MFA code or reset').check();
  await page.getByLabel('What happened, in your words').fill('Called again, asked for my MFA code.');
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('heading', { name: 'Report received' }).waitFor();
  const lee = people.lee.page;
  await lee.goto(`${base}/console/campaigns`);
  await check(lee, 'campaigns');
  await lee.locator('tbody a').first().click();
  await lee.getByRole('heading', { name: 'Indicators' }).waitFor();
  assert.match(await lee.locator('main').innerText(), /\+442079460999/);
  await check(lee, 'campaign');
  await lee.getByLabel('Status', { exact: true }).selectOption('contained');
  await lee.getByRole('button', { name: 'Set status' }).click();
  await lee.locator('.lead .badge', { hasText: 'contained' }).waitFor();
});

test('the security team triages a report and the reporter sees the outcome', async () => {
  const lee = people.lee.page;
  await lee.goto(`${base}/console/triage`);
  await check(lee, 'triage');
  const report = lee.locator('article', { hasText: 'Mike from IT' });
  await report.getByLabel('Outcome').selectOption('malicious');
  await report.getByLabel('Note for the reporter').fill('A known scam; we blocked the number.');
  await report.getByRole('button', { name: /Record outcome/ }).click();
  await done(lee, 'the outcome is recorded');
  const jordan = people.jordan.page;
  await jordan.goto(`${base}/console/reports`);
  const rows = await jordan.locator('tbody').innerText();
  assert.match(rows, /triaged/);
  assert.doesNotMatch(rows.split('\n').find((l) => /triaged/.test(l)) ?? '', /Not yet reviewed/);
});

test('a security administrator releases a quarantined message', async () => {
  const page = people.lee.page;
  await page.goto(`${base}/console/quarantine`);
  await check(page, 'quarantine');
  const before = await page.locator('article').count();
  assert.ok(before >= 1, 'something is quarantined');
  await page.locator('article').first().getByLabel('Why release it').fill('reviewed: harmless test message');
  await page.locator('article').first().getByRole('button', { name: 'Release to the help desk' }).click();
  await done(page, 'the message was released');
  assert.equal(await page.locator('article').count(), before - 1);
});

test('a directory change requested by one administrator is approved by another', async () => {
  const lee = people.lee.page;
  await lee.goto(`${base}/console/directory`);
  await check(lee, 'directory');
  await lee.getByText('Request a new contact').click();
  await lee.getByLabel('Vendor', { exact: true }).selectOption('contoso-it');
  await lee.getByLabel('Name', { exact: true }).fill('Ravi Patel');
  await lee.getByLabel('Email', { exact: true }).fill('ravi.patel@contoso-it.example');
  await lee.getByLabel('Phone', { exact: true }).fill('+15555550143');
  await lee.getByLabel('Role at the vendor').fill('field engineer');
  await lee.getByLabel('Why', { exact: true }).fill('new engineer on the contract');
  await lee.getByRole('button', { name: 'Request the change' }).click();
  await done(lee, 'the change is requested');
  assert.match(await lee.locator('main').innerText(), /Your own request: another administrator approves it/);
  const raman = people.raman.page;
  await raman.goto(`${base}/console/directory`);
  const request = raman.locator('article', { hasText: 'ravi.patel@contoso-it.example' });
  await request.getByLabel('Why approve').fill('checked with the contract owner');
  await request.getByRole('button', { name: /Approve request/ }).click();
  await done(raman, 'the change is approved and applied');
  assert.match(await raman.locator('table').nth(1).innerText(), /Ravi Patel/);
});

test('a CSV import names its bad line in the preview, then is applied through a second administrator', async () => {
  const lee = people.lee.page;
  await lee.goto(`${base}/console/directory/import`);
  await check(lee, 'directory-import');
  const header = 'vendor,name,email,phones,role,status';
  const good1 = 'contoso-it,Mia Novak,mia.novak@contoso-it.example,+15555550161,support engineer,active';
  const bad = 'contoso-it,Theo Marsh,theo.marsh-at-contoso,+15555550162,account manager,active';
  await lee.getByLabel('What the file holds').selectOption('contacts');
  await lee.getByLabel('The CSV, with its header line').fill([header, good1, bad].join('\n'));
  await lee.getByLabel('Why (kept with the change request)').fill('new team at Contoso');
  await lee.getByRole('button', { name: 'Preview' }).click();
  await lee.getByRole('heading', { name: /Bad lines/ }).waitFor();
  const issues = await lee.locator('table.issues tbody').innerText();
  assert.match(issues, /^3\s+email\s+invalid email "theo\.marsh-at-contoso"/m);
  assert.equal(await lee.getByRole('button', { name: /Request these/ }).count(), 0, 'nothing can be requested with a bad line');
  await check(lee, 'import-preview-bad');
  await lee.getByLabel('The CSV, with its header line').fill([header, good1, bad.replace('theo.marsh-at-contoso', 'theo.marsh@contoso-it.example')].join('\n'));
  await lee.getByRole('button', { name: 'Preview' }).click();
  await lee.getByRole('button', { name: 'Request these 2 change(s)' }).waitFor();
  await check(lee, 'import-preview');
  await lee.getByRole('button', { name: 'Request these 2 change(s)' }).click();
  await done(lee, 'the import is requested');
  assert.match(await lee.locator('article', { hasText: 'theo.marsh@contoso-it.example' }).innerText(), /Your own request/);
  const raman = people.raman.page;
  await raman.goto(`${base}/console/directory`);
  const request = raman.locator('article', { hasText: 'theo.marsh@contoso-it.example' });
  await request.getByLabel('Why approve').fill('checked the contract change');
  await request.getByRole('button', { name: /Approve request/ }).click();
  await done(raman, 'the change is approved and applied');
  const contacts = await raman.locator('table').nth(1).innerText();
  assert.match(contacts, /Mia Novak/);
  assert.match(contacts, /Theo Marsh/);
});

test('vendor reviews due are shown, overdue marked, and a review is recorded; vendor keys listed', async () => {
  const lee = people.lee.page;
  await lee.goto(`${base}/console/directory/keys`);
  await check(lee, 'directory-keys');
  assert.match(await lee.locator('tbody').innerText(), /Contoso[\s\S]*valid/);
  await lee.goto(`${base}/console/directory/reviews`);
  await check(lee, 'directory-reviews');
  const card = lee.locator('article', { hasText: 'contoso-it' });
  if (await card.count()) {
    await card.getByLabel(/What was checked/).fill('contacts and numbers confirmed with the vendor');
    await card.getByRole('button', { name: /Record the review/ }).click();
    await done(lee, 'the review is recorded');
  } else {
    // Reviewed at enrolment and not due within 30 days: nothing to record.
    assert.match(await lee.locator('main').innerText(), /No active vendor is due for review/);
  }
});

test('an analyst verifies a caller who claims to be an employee', async () => {
  const page = people.sam.page;
  await page.goto(`${base}/console/callers`);
  await check(page, 'callers');
  await page.getByLabel('Employee ID the caller gave').fill('E-2001');
  await page.getByRole('button', { name: /Send a code/ }).click();
  await page.waitForURL(/\/console\/callers\/v/);
  const text = await page.locator('main').innerText();
  // The code went to the employee's directory email, shown masked.
  assert.match(text, /sent to j\*+@acme\.example/);
  await check(page, 'caller-verification-analyst');
  await page.getByLabel('Code the caller read back').fill(await codeSentTo('j.doe@acme.example'));
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByText(/verified: this is/i).waitFor();
});

test('a security administrator reads the posture of our domains', async () => {
  const lee = people.lee.page;
  await lee.goto(`${base}/console/posture`);
  const img = lee.locator('img.chart');
  await img.waitFor();
  assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the chart loads');
  const main = await lee.locator('main').innerText();
  assert.match(main, /127 message\(s\) reported; 120 aligned/);
  assert.match(main, /203\.0\.113\.66[\s\S]*never aligned/);
  await check(lee, 'posture');
});

test('a security administrator searches the audit log and verifies the chain', async () => {
  const page = people.lee.page;
  await page.goto(`${base}/console/audit`);
  await page.getByLabel('Action starts with').fill('change.');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/action=change/);
  assert.match(await page.locator('tbody').innerText(), /change\.approve/);
  await check(page, 'audit');
  await page.getByRole('button', { name: 'Verify the whole chain' }).click();
  await done(page, 'Chain intact');
});

test('keyboard: the first Tab shows the skip link with a visible focus, Enter moves to the content', async () => {
  const page = people.sam.page;
  await page.goto(`${base}/console/queue`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement; const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return { text: el.textContent, outline: st.outlineStyle, width: st.outlineWidth, left: r.left, top: r.top };
  });
  assert.equal(focused.text, 'Skip to content');
  assert.notEqual(focused.outline, 'none');
  assert.ok(focused.left >= 0 && focused.top >= 0, 'the focused skip link is on screen');
  await page.keyboard.press('Enter');
  // The fragment navigation lands a moment after the key press.
  await page.waitForURL(/#main$/, { timeout: 5000 });
  assert.match(page.url(), /#main$/);
  // Every form control on the page has a label (axe checks it too) and can be reached by Tab.
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => document.activeElement.closest('main') !== null);
  assert.ok(next, 'Tab after the skip link lands inside the content');
});

test('a form without its CSRF token and a page of another role are refused', async () => {
  const page = people.sam.page;
  const refused = await page.request.post(`${base}/console/signout`, { form: { nothing: 'x' }, maxRedirects: 0 });
  assert.equal(refused.status(), 403);
  const stillIn = await page.goto(`${base}/console/queue`);
  assert.equal(stillIn.status(), 200);
  const employee = people.jordan.page;
  const wrongRole = await employee.goto(`${base}/console/queue`);
  assert.equal(wrongRole.status(), 403);
  for (const route of ['/console/directory/import', '/console/posture', '/console/callers']) {
    assert.equal((await employee.goto(`${base}${route}`)).status(), 403, route);
  }
  await employee.goto(`${base}/console/queue`);
  assert.match(await employee.locator('main').innerText(), /Not for your role/);
  await check(employee, 'refused');
  for (const name of ['sam', 'alex', 'priya', 'lee', 'jordan', 'raman']) {
    assert.deepEqual(people[name].page.cspViolations, [], `CSP violations seen by ${name}`);
  }
});
