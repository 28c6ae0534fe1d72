// Loads a page with <img srcset sizes> at each viewport in a fresh browser
// and reports what Chromium chose and fetched, with a screenshot of the image.
//
// stdin: {"srcset": "...", "sizes": "100vw", "viewports":
//         [{"width": 375, "height": 700, "dpr": 2, "screenshot": "/tmp/a.png"}]}
// stdout: one JSON array, an entry per viewport.
import { writeFileSync } from 'node:fs';
import { launch, readSpec } from './lib.mjs';

const spec = await readSpec();
const results = [];
for (const vp of spec.viewports) {
  const browser = await launch({
    viewport: { width: vp.width, height: vp.height },
    deviceScaleFactor: vp.dpr,
  });
  try {
    const page = await browser.context.newPage();
    const fetched = [];
    page.on('response', async (r) => {
      if (r.request().resourceType() !== 'image') return;
      const h = await r.allHeaders();
      fetched.push({
        url: r.url(),
        status: r.status(),
        contentType: h['content-type'] || null,
        vary: h['vary'] || null,
        accept: (await r.request().allHeaders())['accept'] || null,
      });
    });
    const html = `<!doctype html><html><head><meta name="viewport" content="width=device-width">
<style>html,body{margin:0;padding:0;background:#fff}img{display:block;width:100%;height:auto}</style>
</head><body><img id="hero" alt="hero"></body></html>`;
    await page.setContent(html);
    // Set srcset from script so no attribute escaping is involved.
    await page.evaluate(({ srcset, sizes }) => {
      const img = document.getElementById('hero');
      img.sizes = sizes;
      img.srcset = srcset;
    }, spec);
    await page.waitForFunction(() => {
      const img = document.getElementById('hero');
      return img.complete && img.naturalWidth > 0;
    }, null, { timeout: 60000 });
    const info = await page.evaluate(() => {
      const img = document.getElementById('hero');
      const box = img.getBoundingClientRect();
      return {
        currentSrc: img.currentSrc,
        naturalWidth: img.naturalWidth,
        naturalHeight: img.naturalHeight,
        box: { x: box.x, y: box.y, width: box.width, height: box.height },
      };
    });
    const shot = await page.screenshot({
      clip: { x: 0, y: 0, width: info.box.width, height: info.box.height },
    });
    writeFileSync(vp.screenshot, shot);
    results.push({ viewport: vp, ...info, fetched });
  } finally {
    await browser.close();
  }
}
process.stdout.write(JSON.stringify(results));
