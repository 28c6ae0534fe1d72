// Makes JWT vectors with Node `jsonwebtoken`, using the call shape of Sirv's
// documented script. `node node.js` prints vectors at a fixed time (committed as
// node.json); `node node.js --fresh` prints them at the current time.
'use strict';
const jwt = require('jsonwebtoken');

const fresh = process.argv.includes('--fresh');
const NOW = fresh ? Math.floor(Date.now() / 1000) : 1700000000;
const LONG = '0123456789abcdef0123456789abcdef';
const out = [];
const add = (name, token, path, at, want, args) =>
  out.push({ lib: 'node-jsonwebtoken', name, token, path, now: NOW + at, want, args: args || null });

// The exact call of Sirv's docs; iat pinned so the vector is reproducible.
const sirv = jwt.sign({ args: { text: 'Hello' }, iat: NOW }, 'topsecret',
  { algorithm: 'HS256', expiresIn: 300, audience: '/example-image.jpg' });
add('sirv documented call', sirv, '/example-image.jpg', 10, 'ok', [['text', 'Hello']]);
add('sirv call, other file', sirv, '/example-image.jpg.bak', 10, 'audience mismatch');
add('sirv call, after expiry', sirv, '/example-image.jpg', 300, 'expired key');

const nested = jwt.sign({ args: { text: { size: 20, color: 'ff0000' }, w: 300 }, iat: NOW }, 'topsecret',
  { algorithm: 'HS256', expiresIn: 300, audience: ['/other/', '/private/'] });
add('audience array, nested args', nested, '/private/a.jpg', 10, 'ok',
  [['text.color', 'ff0000'], ['text.size', '20'], ['w', '300']]);
add('audience array, no match', nested, '/public/a.jpg', 10, 'audience mismatch');

const nbf = jwt.sign({ iat: NOW }, 'topsecret',
  { algorithm: 'HS256', expiresIn: 300, notBefore: 60, audience: '/' });
add('notBefore, too early', nbf, '/a.jpg', 10, 'not yet valid');
add('notBefore, in time', nbf, '/a.jpg', 70, 'ok', []);

add('keyid selects the rotated key',
  jwt.sign({ iat: NOW }, LONG, { algorithm: 'HS256', expiresIn: 300, audience: '/', keyid: '2024' }),
  '/a.jpg', 10, 'ok', []);
add('HS512 refused',
  jwt.sign({ iat: NOW }, 'topsecret', { algorithm: 'HS512', expiresIn: 300, audience: '/' }),
  '/a.jpg', 10, 'algorithm not allowed');
add('wrong secret',
  jwt.sign({ iat: NOW }, 'not-the-secret', { algorithm: 'HS256', expiresIn: 300, audience: '/' }),
  '/a.jpg', 10, 'signature mismatch');
add('no audience',
  jwt.sign({ iat: NOW }, 'topsecret', { algorithm: 'HS256', expiresIn: 300 }),
  '/a.jpg', 10, 'invalid payload');
add('no expiry',
  jwt.sign({ iat: NOW }, 'topsecret', { algorithm: 'HS256', audience: '/' }),
  '/a.jpg', 10, 'invalid payload');

process.stdout.write(JSON.stringify(out, null, 1) + '\n');
