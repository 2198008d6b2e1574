// Walks people through the ASP.NET Core sample shop (samples/Mixpanel.Identity.AspNetCoreSample) in a page of an
// already running Chromium, as a person would: clicking its forms while its page runs Mixpanel's browser library. Waits
// until the library has delivered the events it tracked, then prints on stdout, as one JSON object, what each step
// showed and which anonymous id the library held after it.
//
// Usage: node sample-site-journey.mjs '<settings JSON>'
//   settings: { cdpEndpoint, siteUrl, apiHost, userAgent, steps: [{ action, name? }], expectedEvents, timeoutMs }
//   actions: visit (the shop's page), help (a page without the library), signup and login (with name), purchase, logout
import { chromium } from 'playwright-core';
import { recordsIn } from './mixpanel-requests.mjs';

const settings = JSON.parse(process.argv[2]);
const apiOrigin = new URL(settings.apiHost).origin;
const output = { steps: [], delivered: [], timedOut: false, pageErrors: [], failed: [] };

// Submits one of the page's forms and waits for the page the server answers with (after its redirect).
async function submit(tab, button) {
  await Promise.all([tab.waitForEvent('load'), tab.click(button)]);
}

const browser = await chromium.connectOverCDP(settings.cdpEndpoint);
const context = await browser.newContext({ userAgent: settings.userAgent });
try {
  const tab = await context.newPage();
  tab.on('pageerror', (error) => output.pageErrors.push(String(error)));

  // Events the library delivered, once each: it may send a batch again after a navigation cut its answer short.
  const delivered = new Map();
  let allDelivered;
  const everyEventDelivered = new Promise((resolve) => { allDelivered = resolve; });
  context.on('response', (response) => {
    const request = response.request();
    if (!request.url().startsWith(apiOrigin) || !response.ok()) {
      return;
    }

    for (const record of recordsIn(request)) {
      if (record.event && record.properties && record.properties.$insert_id) {
        delivered.set(record.properties.$insert_id, `${record.event} ${record.properties.distinct_id}`);
      }
    }

    if (delivered.size >= settings.expectedEvents) {
      allDelivered();
    }
  });
  context.on('requestfailed', (request) => {
    if (request.url().startsWith(apiOrigin)) {
      output.failed.push({ url: request.url(), error: request.failure()?.errorText ?? null });
    }
  });

  for (const step of settings.steps) {
    switch (step.action) {
      case 'visit':
        await tab.goto(settings.siteUrl);
        break;
      case 'help':
        await tab.goto(new URL('/help', settings.siteUrl).href);
        break;
      case 'signup':
      case 'login':
        await tab.fill(`#${step.action}-name`, step.name);
        await submit(tab, `#${step.action}`);
        break;
      case 'purchase':
      case 'logout':
        await submit(tab, `#${step.action}`);
        break;
      default:
        throw new Error(`unknown step ${step.action}`);
    }

    output.steps.push({
      action: step.action,
      path: new URL(tab.url()).pathname,
      ...(await tab.evaluate(() => ({
        status: document.getElementById('status')?.textContent ?? null,
        deviceId: window.mixpanel ? window.mixpanel.get_property('$device_id') : null,
      }))),
    });
  }

  let timer;
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), settings.timeoutMs); });
  output.timedOut = (await Promise.race([everyEventDelivered, timedOut])) === 'timeout';
  clearTimeout(timer);
  output.delivered = [...delivered.values()];
} finally {
  await context.close();
  await browser.close();
}

process.stdout.write(JSON.stringify(output) + '\n');
