// Drives the web console like a person would: a wrong password, sign in,
// drag-and-drop upload with progress, browse, preview with options, a JWT URL
// and a srcset snippet, hostile file names, an expired session.
//
// stdin: {"console": "http://127.0.0.1:P/console", "clientId", "clientSecret",
//         "photo": "/path/hero.jpg", "hostileName": "...", "shots": "/dir"}
// stdout: JSON facts for the Rust side to check against the server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, readSpec } from './lib.mjs';

const spec = await readSpec();
const facts = {};
const check = (ok, message) => {
  if (!ok) throw new Error('console check failed: ' + message);
};

const browser = await launch({ viewport: { width: 1280, height: 1000 } });
try {
  const page = await browser.context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => { pageErrors.push('dialog: ' + d.message()); d.dismiss(); });
  await page.goto(spec.console);

  // A wrong password shows an error and stays on sign-in.
  await page.fill('#client-id', spec.clientId);
  await page.fill('#client-secret', 'not-the-secret');
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#sign-in-error:not([hidden])');
  facts.wrongPassword = await page.textContent('#sign-in-error');
  check(await page.isHidden('#workspace'), 'workspace shown after a wrong password');
  await page.screenshot({ path: join(spec.shots, 'console-sign-in.png') });

  // Sign in.
  await page.fill('#client-secret', spec.clientSecret);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#workspace:not([hidden])');
  facts.storage = await page.evaluate(() => ({
    local: localStorage.length,
    session: sessionStorage.length,
    cookie: document.cookie,
  }));

  // Upload by drag and drop: the photo and a file with a hostile name.
  const files = [
    { name: 'hero.jpg', type: 'image/jpeg', b64: readFileSync(spec.photo).toString('base64') },
    { name: spec.hostileName, type: 'text/plain', b64: Buffer.from('hostile').toString('base64') },
  ];
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, files);
  await page.dispatchEvent('#drop', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll('#uploads li')];
    return items.length === 2 && items.every((li) => li.classList.contains('done'));
  }, null, { timeout: 30000 });
  facts.progress = await page.$$eval('#uploads progress', (bars) => bars.map((b) => b.value));

  // Both are listed; the hostile name is text, not markup.
  await page.waitForFunction((name) =>
    [...document.querySelectorAll('#listing td:first-child')].some((td) => td.textContent === name),
  spec.hostileName);
  facts.listed = await page.$$eval('#listing td:first-child', (tds) => tds.map((td) => td.textContent));
  facts.injected = await page.evaluate(() => ({
    xss: window.__xss === undefined ? null : window.__xss,
    imgs: document.querySelectorAll('#listing img').length,
    scripts: document.querySelectorAll('#listing script').length,
  }));
  await page.screenshot({ path: join(spec.shots, 'console-browse.png') });

  // Pagination: a folder of 105 files lists 100, then the rest on "Load more".
  const rows = () => page.$$eval('#listing tbody tr', (trs) => trs.length);
  await page.click('#listing tr[data-path="/many"]');
  await page.waitForFunction(() => document.querySelectorAll('#listing tbody tr').length === 100
    && !document.getElementById('more').hidden);
  facts.firstPage = await rows();
  await page.click('#more');
  await page.waitForFunction(() => document.querySelectorAll('#listing tbody tr').length === 105
    && document.getElementById('more').hidden);
  facts.allPages = await rows();
  facts.manyNames = await page.$$eval('#listing td:first-child', (tds) => new Set(tds.map((td) => td.textContent)).size);
  await page.click('#crumbs a');
  await page.waitForSelector('#listing tr[data-path="/hero.jpg"]');

  // Preview: select the photo, then change w and text and see it change.
  await page.click('#listing tr[data-path="/hero.jpg"]');
  await page.waitForFunction(() => {
    const img = document.getElementById('preview');
    return img.src && img.complete && img.naturalWidth > 0;
  });
  facts.initialWidth = await page.$eval('#preview', (img) => img.naturalWidth);
  const waitFor = async (predicate, arg) => page.waitForFunction(predicate, arg, { timeout: 60000 });
  await page.fill('#options input[name=w]', '300');
  await waitFor(() => {
    const img = document.getElementById('preview');
    return img.dataset.options === 'w=300' && img.complete && img.naturalWidth === 300;
  });
  facts.widthAfter = await page.$eval('#preview', (img) => img.naturalWidth);
  await page.locator('#preview').screenshot({ path: join(spec.shots, 'preview-plain.png') });
  await page.fill('#options input[name=text]', 'HELLO');
  await page.fill('#options input[name="text.color"]', 'ff0000');
  await waitFor(() => {
    const img = document.getElementById('preview');
    return /text=HELLO/.test(img.dataset.options) && /ff0000/.test(img.dataset.options)
      && img.complete && img.naturalWidth === 300;
  });
  facts.previewUrl = await page.textContent('#preview-url');
  facts.previewOptions = await page.$eval('#preview', (img) => img.dataset.options);
  await page.locator('#preview').screenshot({ path: join(spec.shots, 'preview-text.png') });

  // A JWT URL with a secure param and an expiry, then loaded in the browser.
  await page.selectOption('#signer select[name=sign]', 'jwt');
  await page.fill('#signer input[name=expiresIn]', '600');
  await page.fill('#signer textarea[name=secure]', 'text.opacity=100\n');
  await page.click('#signer button[type=submit]');
  await page.waitForSelector('#signed-out:not([hidden])');
  facts.jwtUrl = await page.inputValue('#signed-url');
  const loaded = await browser.context.newPage();
  const response = await loaded.goto(facts.jwtUrl);
  facts.jwtLoad = { status: response.status(), contentType: response.headers()['content-type'] };
  await loaded.close();

  // A srcset snippet.
  await page.fill('#srcset-form input[name=widths]', '100,200,400');
  await page.click('#srcset-form button[type=submit]');
  await page.waitForSelector('#srcset-out:not([hidden])');
  facts.srcset = await page.inputValue('#srcset-snippet');

  // Metrics in the header (the first poll runs at sign-in; wait for another).
  await page.waitForFunction(() => /%$/.test(document.getElementById('stat-hit').textContent), null, { timeout: 15000 });
  facts.stats = {
    hit: await page.textContent('#stat-hit'),
    rps: await page.textContent('#stat-rps'),
  };
  facts.pageErrors = pageErrors;
  await page.screenshot({ path: join(spec.shots, 'console-preview.png'), fullPage: true });

  // An expired session returns to sign-in: sign in again for 5 seconds (an
  // option the test adds; the console sends whatever the select says).
  await page.click('#sign-out');
  await page.evaluate(() => {
    const s = document.getElementById('session-length');
    s.add(new Option('5 s', '5'));
    s.value = '5';
  });
  await page.fill('#client-id', spec.clientId);
  await page.fill('#client-secret', spec.clientSecret);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#workspace:not([hidden])');
  await page.waitForTimeout(6500);
  await page.click('#crumbs a');
  await page.waitForSelector('#sign-in:not([hidden])');
  facts.expired = await page.textContent('#sign-in-error');
  check(await page.isHidden('#workspace'), 'workspace still shown after expiry');
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(facts));
