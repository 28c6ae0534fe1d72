// signet console: browse, upload, preview with options, signed URLs and
// srcset snippets, over the REST API of this (admin) listener.
//
// The bearer token lives in this closure only (never in storage), so closing
// the tab ends the session. Everything shown that comes from data (file
// names, messages, URLs) is set with textContent / value, never as HTML.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  let session = null; // { token }
  let folder = '/';
  let continuation = null;
  let selected = null; // full path of the selected file
  let listSeq = 0; // only the newest folder load may fill the table
  let jwtKeys = null; // whether the server signs JWTs (learned once per session)
  let previewTimer = null;
  let previewSeq = 0; // only the newest preview request may show
  let statsTimer = null;
  let lastStats = null;

  // ---- helpers -------------------------------------------------------

  function show(el, on) { el.hidden = !on; }

  function fail(el, message) {
    el.textContent = message || '';
    show(el, !!message);
  }

  function joinPath(dir, name) {
    return (dir.endsWith('/') ? dir : dir + '/') + name;
  }

  function formatBytes(n) {
    if (!Number.isFinite(n)) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function toast(message) {
    const t = $('toast');
    t.textContent = message;
    show(t, true);
    setTimeout(() => show(t, false), 1800);
  }

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // Calls the REST API; a 401 ends the session and returns to sign-in.
  async function api(method, path, body) {
    const headers = {};
    if (session) headers.Authorization = 'Bearer ' + session.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!r.ok) {
      const message = (data && data.message) || ('HTTP ' + r.status);
      if (r.status === 401 && session) {
        signOut('Your session has expired; sign in again.');
      }
      throw new ApiError(r.status, message);
    }
    return data;
  }

  // ---- session -------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    fail($('sign-in-error'), '');
    try {
      const data = await api('POST', '/v2/token', {
        clientId: $('client-id').value,
        clientSecret: $('client-secret').value,
        expiresIn: Number($('session-length').value),
      });
      session = { token: data.token };
      jwtKeys = null;
      $('client-secret').value = '';
      show($('sign-in'), false);
      show($('workspace'), true);
      show($('sign-out'), true);
      show($('stats'), true);
      startStats();
      await openFolder('/');
    } catch (e) {
      fail($('sign-in-error'), e.status === 401 ? 'Wrong client ID or secret.' : e.message);
    }
  }

  function signOut(message) {
    session = null;
    selected = null;
    clearInterval(statsTimer);
    statsTimer = null;
    show($('workspace'), false);
    show($('detail'), false);
    show($('sign-out'), false);
    show($('stats'), false);
    show($('sign-in'), true);
    fail($('sign-in-error'), message || '');
    $('listing').tBodies[0].replaceChildren();
    $('uploads').replaceChildren();
  }

  // ---- browsing ------------------------------------------------------

  function renderCrumbs() {
    const nav = $('crumbs');
    nav.replaceChildren();
    const parts = folder.split('/').filter(Boolean);
    const link = (label, path) => {
      const a = document.createElement('a');
      a.textContent = label;
      a.addEventListener('click', () => openFolder(path));
      return a;
    };
    nav.append(link('media', '/'));
    let path = '';
    for (const p of parts) {
      path += '/' + p;
      nav.append(' / ', link(p, path));
    }
  }

  async function openFolder(path) {
    folder = path;
    continuation = null;
    listSeq += 1;
    $('listing').tBodies[0].replaceChildren();
    renderCrumbs();
    await loadPage();
  }

  async function loadPage() {
    fail($('browser-error'), '');
    const seq = listSeq;
    let q = '/v2/files/readdir?dirname=' + encodeURIComponent(folder);
    if (continuation) q += '&continuation=' + encodeURIComponent(continuation);
    try {
      const data = await api('GET', q);
      if (seq !== listSeq) return; // a newer load replaced this one
      const body = $('listing').tBodies[0];
      const entries = (data.contents || []).slice().sort((a, b) =>
        (b.isDirectory - a.isDirectory) || String(a.filename).localeCompare(String(b.filename)));
      for (const e of entries) body.append(row(e));
      continuation = data.continuation || null;
      show($('more'), !!continuation);
    } catch (e) {
      fail($('browser-error'), e.message);
    }
  }

  function row(entry) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    const size = document.createElement('td');
    const mtime = document.createElement('td');
    name.textContent = entry.filename;
    if (entry.isDirectory) name.className = 'folder';
    size.textContent = entry.isDirectory ? '' : formatBytes(entry.size);
    mtime.textContent = entry.mtime ? new Date(entry.mtime).toLocaleString() : '';
    tr.append(name, size, mtime);
    const path = joinPath(folder, entry.filename);
    tr.dataset.path = path;
    tr.addEventListener('click', () => {
      if (entry.isDirectory) {
        openFolder(path);
      } else {
        for (const r of tr.parentNode.children) r.classList.remove('selected');
        tr.classList.add('selected');
        selectFile(path);
      }
    });
    return tr;
  }

  // ---- uploads -------------------------------------------------------

  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => openFolder(folder), 150);
  }

  function upload(files) {
    for (const file of files) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      const bar = document.createElement('progress');
      const state = document.createElement('span');
      name.textContent = file.name;
      bar.max = 100;
      bar.value = 0;
      state.textContent = '0 %';
      li.append(name, bar, state);
      $('uploads').append(li);

      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/v2/files/upload?filename=' + encodeURIComponent(joinPath(folder, file.name)));
      xhr.setRequestHeader('Authorization', 'Bearer ' + (session ? session.token : ''));
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          state.textContent = bar.value + ' %';
        }
      });
      xhr.addEventListener('load', () => {
        if (xhr.status === 200) {
          bar.value = 100;
          state.textContent = 'done';
          li.classList.add('done');
          refreshSoon();
        } else if (xhr.status === 401) {
          signOut('Your session has expired; sign in again.');
        } else {
          let message = 'HTTP ' + xhr.status;
          try { message = JSON.parse(xhr.responseText).message || message; } catch (_) { /* keep */ }
          state.textContent = 'failed';
          state.title = message;
          li.classList.add('failed');
          fail($('browser-error'), file.name + ': ' + message);
        }
      });
      xhr.addEventListener('error', () => {
        state.textContent = 'failed';
        li.classList.add('failed');
      });
      xhr.send(file);
    }
  }

  function setUpDrop() {
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer && e.dataTransfer.files.length) upload(e.dataTransfer.files);
    });
    $('file-input').addEventListener('change', (e) => {
      upload(e.target.files);
      e.target.value = '';
    });
  }

  // ---- preview and options -------------------------------------------

  const IMAGE = /\.(jpe?g|png|gif|webp|avif|bmp|tiff?)$/i;

  function options() {
    const out = {};
    for (const el of $('options').elements) {
      if (el.name && el.value.trim() !== '') out[el.name] = el.value.trim();
    }
    return out;
  }

  function selectFile(path) {
    selected = path;
    $('detail-name').textContent = path;
    show($('detail'), true);
    show($('signed-out'), false);
    show($('srcset-out'), false);
    fail($('signer-error'), '');
    fail($('srcset-error'), '');
    refreshPreview();
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 250);
  }

  async function refreshPreview() {
    if (!selected) return;
    const path = selected;
    const seq = ++previewSeq;
    const image = IMAGE.test(path);
    fail($('preview-error'), '');
    const opts = image ? options() : {};
    try {
      const data = await api('POST', '/v2/files/sign', {
        filename: path,
        expiresIn: 600,
        ...(await placed(opts, 'auto')),
      });
      if (seq !== previewSeq) return;
      const a = $('preview-url');
      a.textContent = data.url;
      a.href = data.url;
      const img = $('preview');
      show(img, image);
      // What the preview shows, readable by scripts (and tests).
      img.dataset.options = new URLSearchParams(opts).toString();
      if (image) img.src = data.url;
      else fail($('preview-error'), 'Not an image: open the URL to see it.');
    } catch (e) {
      if (seq === previewSeq) fail($('preview-error'), e.message);
    }
  }

  // Where the options go: in the token for a JWT (a JWT URL ignores overlay
  // options in its query, so what the preview shows is what the URL gives),
  // in the query otherwise. `auto` signs with a JWT when the server can.
  async function placed(opts, sign, extraSecure = {}) {
    if (sign === 'auto') {
      if (jwtKeys === null) {
        const probe = await api('POST', '/v2/files/sign', { filename: selected, sign: 'auto' });
        jwtKeys = !!probe.token;
      }
      sign = jwtKeys ? 'jwt' : 'auto';
    }
    if (sign === 'jwt') return { sign, secureParams: { ...opts, ...extraSecure } };
    return { sign, insecureParams: opts, secureParams: extraSecure };
  }

  // `name=value` lines → object; blank lines skipped.
  function pairs(text) {
    const out = {};
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (!t) continue;
      const i = t.indexOf('=');
      if (i <= 0) throw new Error('Secure params: "' + t + '" is not name=value');
      out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
    }
    return out;
  }

  // The signing fields of a request for these options, from the Signed URL form.
  async function signRequest(opts) {
    const f = $('signer').elements;
    const expires = Number(f.expiresIn.value);
    if (!Number.isInteger(expires) || expires < 1) throw new Error('Expires in: whole seconds, at least 1');
    return { expiresIn: expires, ...(await placed(opts, f.sign.value, pairs(f.secure.value))) };
  }

  async function makeSigned(event) {
    event.preventDefault();
    fail($('signer-error'), '');
    try {
      const data = await api('POST', '/v2/files/sign', {
        filename: selected,
        ...(await signRequest(options())),
      });
      $('signed-url').value = data.url;
      $('signed-open').href = data.url;
      show($('signed-out'), true);
    } catch (e) {
      fail($('signer-error'), e.message);
    }
  }

  function attr(s) {
    return String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;')
      .replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  async function makeSrcset(event) {
    event.preventDefault();
    fail($('srcset-error'), '');
    try {
      const f = $('srcset-form').elements;
      const widths = f.widths.value.split(',').map((w) => w.trim()).filter(Boolean).map(Number);
      if (!widths.length || widths.some((w) => !Number.isInteger(w) || w < 1)) {
        throw new Error('Widths: whole numbers separated by commas, e.g. 320,640,1280');
      }
      // The widths come from the list: a fixed w/h would make every candidate the same.
      const params = options();
      for (const k of ['w', 'h', 'width', 'height', 'scale.width', 'scale.height']) delete params[k];
      const data = await api('POST', '/v2/files/srcset', {
        filename: selected,
        widths,
        ...(await signRequest(params)),
      });
      const last = data.urls.length ? data.urls[data.urls.length - 1].url : '';
      $('srcset-snippet').value =
        '<img src="' + attr(last) + '"\n     srcset="' + attr(data.srcset) +
        '"\n     sizes="' + attr(f.sizes.value) + '" alt="">';
      show($('srcset-out'), true);
    } catch (e) {
      fail($('srcset-error'), e.message);
    }
  }

  async function copy(event) {
    const target = $(event.target.dataset.copy);
    try {
      await navigator.clipboard.writeText(target.value);
    } catch (_) {
      target.select();
      document.execCommand('copy');
    }
    toast('Copied');
  }

  // ---- metrics -------------------------------------------------------

  function parseMetrics(text) {
    const sum = (name) => {
      let total = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
          total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
        }
      }
      return total;
    };
    return {
      at: performance.now(),
      hits: sum('signet_cache_hits_total'),
      misses: sum('signet_cache_misses_total'),
      requests: sum('signet_requests_total'),
      bytes: sum('signet_cache_bytes'),
    };
  }

  async function pollStats() {
    try {
      const r = await fetch('/metrics', { cache: 'no-store', credentials: 'omit' });
      if (!r.ok) return;
      const now = parseMetrics(await r.text());
      const lookups = now.hits + now.misses;
      $('stat-hit').textContent = lookups ? ((now.hits / lookups) * 100).toFixed(1) + ' %' : '–';
      $('stat-bytes').textContent = formatBytes(now.bytes);
      if (lastStats && now.at > lastStats.at) {
        const rate = (now.requests - lastStats.requests) / ((now.at - lastStats.at) / 1000);
        $('stat-rps').textContent = Math.max(0, rate).toFixed(1);
      }
      lastStats = now;
    } catch (_) { /* the next poll tries again */ }
  }

  function startStats() {
    lastStats = null;
    pollStats();
    clearInterval(statsTimer);
    statsTimer = setInterval(pollStats, 5000);
  }

  // ---- wiring --------------------------------------------------------

  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut(''));
  $('more').addEventListener('click', loadPage);
  $('options').addEventListener('input', schedulePreview);
  $('options').addEventListener('change', schedulePreview);
  $('options').addEventListener('submit', (e) => e.preventDefault());
  $('preview').addEventListener('error', () => {
    if (selected) fail($('preview-error'), 'The preview did not load: check the options (open the URL to see the error).');
  });
  $('signer').addEventListener('submit', makeSigned);
  $('srcset-form').addEventListener('submit', makeSrcset);
  for (const b of document.querySelectorAll('button.copy')) b.addEventListener('click', copy);
  setUpDrop();
})();
