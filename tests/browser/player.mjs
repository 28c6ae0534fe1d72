// Plays a signed HLS stream with hls.js, or a signed DASH stream with
// dash.js, in Debian's Chromium (Media Source Extensions), and reports how
// far playback got and what the player fetched.
//
// stdin: {"origin": "http://127.0.0.1:PORT", "url": "/private/…/master.m3u8?jwt=…",
//         "player": "hls" | "dash"}
// stdout: {"ended": bool, "currentTime": s, "duration": s, "errors": [...],
//          "requests": [{"url": ..., "status": ...}]}
//
// The page is given the server's origin (intercepted, never fetched), so
// the player's requests are same-origin and reach the real server.
import { fileURLToPath } from 'node:url';
import { launch, readSpec } from './lib.mjs';

// By file: dash.js's package exports do not name its browser bundle.
const LIBRARIES = {
  hls: fileURLToPath(new URL('./node_modules/hls.js/dist/hls.min.js', import.meta.url)),
  dash: fileURLToPath(new URL('./node_modules/dashjs/dist/modern/umd/dash.all.min.js', import.meta.url)),
};

const spec = await readSpec();
const browser = await launch();
let result;
try {
  const page = await browser.context.newPage();
  const requests = [];
  page.on('response', (r) => {
    if (r.url().startsWith(spec.origin)) requests.push({ url: r.url(), status: r.status() });
  });
  const pageUrl = `${spec.origin}/__player.html`;
  await page.route(pageUrl, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><html><body><video id="v" muted playsinline></video></body></html>',
    }),
  );
  await page.goto(pageUrl);
  await page.addScriptTag({ path: LIBRARIES[spec.player] });
  await page.evaluate(({ url, player }) => {
    const video = document.getElementById('v');
    window.playback = { ended: false, errors: [] };
    video.addEventListener('ended', () => { window.playback.ended = true; });
    video.addEventListener('error', () => {
      window.playback.errors.push(`video: ${video.error && video.error.message}`);
    });
    if (player === 'hls') {
      const hls = new window.Hls({ maxBufferLength: 10 });
      hls.on(window.Hls.Events.ERROR, (_, data) => {
        if (data.fatal) window.playback.errors.push(`hls.js: ${data.type} ${data.details}`);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => video.play());
    } else {
      const dash = window.dashjs.MediaPlayer().create();
      dash.on(window.dashjs.MediaPlayer.events.ERROR, (e) => {
        window.playback.errors.push(`dash.js: ${JSON.stringify(e.error || e)}`);
      });
      dash.initialize(video, url, true);
    }
  }, spec);
  await page.waitForFunction(
    () => window.playback.ended || window.playback.errors.length > 0,
    null,
    { timeout: 60000, polling: 100 },
  );
  const state = await page.evaluate(() => {
    const video = document.getElementById('v');
    return {
      ended: window.playback.ended,
      errors: window.playback.errors,
      currentTime: video.currentTime,
      duration: video.duration,
    };
  });
  result = { ...state, requests };
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
