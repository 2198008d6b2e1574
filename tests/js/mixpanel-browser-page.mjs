// Runs Mixpanel's official browser library ('mixpanel-browser' on npm), unchanged, in a page of an already running
// Chromium, against a LocalMixpanelServer on another origin, and prints on stdout, as one JSON object, every request the
// library made to the server, what the page saw of each answer, and what the library's callbacks were told.
//
// Usage: node mixpanel-browser-page.mjs '<settings JSON>'
//   settings: { cdpEndpoint, apiHost, token, init: { ...mixpanel.init options }, expectedRecords, callbacks, timeoutMs }
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { recordsIn } from './mixpanel-requests.mjs';

const require = createRequire(import.meta.url);
const settings = JSON.parse(process.argv[2]);
const apiOrigin = new URL(settings.apiHost).origin;
const library = await readFile(require.resolve('mixpanel-browser/dist/mixpanel.umd.js'));

// What the page does, as an app would: anonymous activity, a profile update held until identify, identify, then a
// profile, a group and an event. With callbacks on, each call reports what the library was told.
const scenario = `
(function () {
  var settings = window.__settings;
  var results = window.__results = { callbacks: [], expected: 0 };
  function cb(name) {
    if (!settings.callbacks) {
      return undefined;
    }

    results.expected++;
    return function (response) { results.callbacks.push({ name: name, response: response }); };
  }
  var options = { api_host: settings.apiHost };
  for (var key in settings.init) { options[key] = settings.init[key]; }
  mixpanel.init(settings.token, options);
  mixpanel.track('Viewed Landing', { campaign: 'spring' }, cb('track'));
  mixpanel.people.set({ first_seen: '2025-06-01T12:00:00' });
  mixpanel.identify('user-42');
  mixpanel.people.set({ plan: 'pro' }, cb('people.set'));
  mixpanel.people.increment('logins', 1, cb('people.increment'));
  mixpanel.get_group('company', 'acme').set({ industry: 'retail' }, cb('group.set'));
  mixpanel.track('Purchased', { amount: 9.99 }, cb('track'));
})();`;

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>mixpanel-browser against LocalMixpanelServer</title></head>
<body><script src="/mixpanel-browser.js"></script><script src="/scenario.js"></script></body></html>`;

const files = {
  '/': ['text/html; charset=utf-8', page],
  '/mixpanel-browser.js': ['text/javascript', library],
  '/scenario.js': ['text/javascript', scenario],
};
const site = http.createServer((request, response) => {
  const file = files[new URL(request.url, 'http://page').pathname];
  response.writeHead(file ? 200 : 404, { 'Content-Type': file ? file[0] : 'text/plain' });
  response.end(file ? file[1] : 'not found');
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
const pageUrl = `http://127.0.0.1:${site.address().port}/`;

// Observes (never changes) the page's XHRs: the status and body the library's code could read, after CORS.
const observeXhr = () => {
  const seen = (window.__xhr = []);
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__request = { method, url: String(url) };
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    this.addEventListener('loadend', () => seen.push({ ...this.__request, status: this.status, response: this.responseText }));
    return send.apply(this, arguments);
  };
};

const output = { library: require('mixpanel-browser/package.json').version, network: [], failed: [], xhr: [], pageErrors: [], callbacks: [] };
const browser = await chromium.connectOverCDP(settings.cdpEndpoint);
const context = await browser.newContext();
try {
  await context.addInitScript(observeXhr);
  await context.addInitScript((s) => { window.__settings = s; }, settings);
  const tab = await context.newPage();
  tab.on('pageerror', (error) => output.pageErrors.push(String(error)));

  let answered = 0;
  const allAnswered = new Promise((resolve) => {
    tab.on('response', (response) => {
      const request = response.request();
      if (!request.url().startsWith(apiOrigin)) {
        return;
      }

      const records = recordsIn(request).length;
      output.network.push({
        method: request.method(),
        path: new URL(request.url()).pathname,
        status: response.status(),
        contentType: response.headers()['content-type'] ?? null,
        records,
      });
      answered += response.ok() ? records : 0;
      if (answered >= settings.expectedRecords) {
        resolve();
      }
    });
  });
  tab.on('requestfailed', (request) => {
    if (request.url().startsWith(apiOrigin)) {
      output.failed.push({ method: request.method(), url: request.url(), error: request.failure()?.errorText ?? null });
    }
  });

  await tab.goto(pageUrl);
  let timer;
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), settings.timeoutMs); });
  output.timedOut = (await Promise.race([allAnswered, timedOut])) === 'timeout';
  clearTimeout(timer);

  // The network has answered; the page's own handlers run just after.
  const xhrs = output.network.filter((n) => !String(n.contentType).startsWith('image/')).length;
  await tab.waitForFunction(
    (x) => window.__xhr.length >= x && window.__results.callbacks.length >= window.__results.expected,
    xhrs,
    { timeout: settings.timeoutMs }).catch(() => { output.timedOut = true; });
  const seen = await tab.evaluate(() => ({ xhr: window.__xhr, callbacks: window.__results.callbacks }));
  output.xhr = seen.xhr
    .filter((x) => x.url.startsWith(apiOrigin))
    .map((x) => ({ method: x.method, path: new URL(x.url).pathname, status: x.status, response: x.response }));
  output.callbacks = seen.callbacks;
} finally {
  await context.close();
  await browser.close();
  site.close();
}

process.stdout.write(JSON.stringify(output) + '\n');
