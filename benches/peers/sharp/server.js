// Benchmark peer: sharp (libvips) behind Node's http module, resizing files
// from one folder — the engine of Next.js image optimization and the nearest
// stand-in for imgproxy that runs here. Benchmark code only (`make bench`).
//
//   node server.js PORT ROOT
//   GET /<file>?w=512&h=512&q=80&format=jpeg|webp|avif|gif[&effort=N][&animated=1]
//     → fit inside w×h (every frame of an animation with animated=1)
"use strict";
const http = require("node:http");
const path = require("node:path");
const sharp = require("sharp");

const [port, root] = process.argv.slice(2);
// No libvips operation cache: every request does its work, as in signet's
// uncached runs. Thread pool and concurrency are sharp's defaults.
sharp.cache(false);

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(400).end();
      return;
    }
    const w = Number(url.searchParams.get("w")) || null;
    const h = Number(url.searchParams.get("h")) || null;
    const quality = Number(url.searchParams.get("q")) || 80;
    const format = url.searchParams.get("format") || "jpeg";
    // sharp's own default unless asked (AVIF: 4 of 0-9).
    const effort = url.searchParams.get("effort");
    const options = effort === null ? { quality } : { quality, effort: Number(effort) };
    try {
      const animated = url.searchParams.get("animated") === "1";
      const body = await sharp(file, { animated })
        .rotate()
        .resize(w, h, { fit: "inside", withoutEnlargement: true })
        .toFormat(format, options)
        .toBuffer();
      res.writeHead(200, { "content-type": `image/${format}`, "content-length": body.length });
      res.end(body);
    } catch (e) {
      res.writeHead(e.message.includes("missing") ? 404 : 500).end(String(e.message));
    }
  })
  .listen(Number(port), "127.0.0.1", () => console.log(`sharp ${sharp.versions.sharp} on ${port}`));
