// Walks people through the ASP.NET Core sample shop (samples/Mixpanel.Identity.AspNetCoreSample) in a page of an
// already running Chromium, as a person would: clicking its forms while its page runs Mixpanel's browser library. Keeps
// the browser open until the file doneFile exists (the caller makes it once Mixpanel's server has every event the
// library tracked, which it sends on a timer and from later pages), then prints on stdout, as one JSON object, what each
// step showed and which anonymous id the library held after it.
//
// Usage: node sample-site-journey.mjs '<settings JSON>'
//   settings: { cdpEndpoint, siteUrl, apiHost, userAgent, steps: [{ action, name?, browserEvents }], doneFile, timeoutMs }
//   browserEvents: how many events the library tracks on the page the step ends on
//   actions: visit (the shop's page), help (a page without the library), signup and login (with name), purchase, logout
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { recordsIn } from './mixpanel-requests.mjs';

const settings = JSON.parse(process.argv[2]);
const apiOrigin = new URL(settings.apiHost).origin;
// Events the browser saw delivered, once each: it may send a batch again after a navigation cut its answer short.
const delivered = new Map();
const output = { steps: [], delivered: [], timedOut: false, pageErrors: [], failed: [] };

// Waits until the events the library has delivered or queued number at least `count`; gives up when the time allowed
// is up (the caller then finds events missing).
async function inHand(tab, count) {
  const giveUpAt = Date.now() + settings.timeoutMs;
  while (Date.now() < giveUpAt) {
    const queued = await tab.evaluate(() => Object.keys(localStorage)
      .filter((key) => key.startsWith('__mpq_'))
      .flatMap((key) => { try { return JSON.parse(localStorage.getItem(key)) || []; } catch { return []; } })
      .map((item) => item && item.payload && item.payload.properties && item.payload.properties.$insert_id)
      .filter(Boolean));
    if (new Set([...delivered.keys(), ...queued]).size >= count) {
      return;
    }

    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Submits one of the page's forms and waits for the page the server answers with (after its redirect).
async function submit(tab, button) {
  await Promise.all([tab.waitForEvent('load'), tab.click(button)]);
}

const browser = await chromium.connectOverCDP(settings.cdpEndpoint);
const context = await browser.newContext({ userAgent: settings.userAgent });
try {
  const tab = await context.newPage();
  tab.on('pageerror', (error) => output.pageErrors.push(String(error)));

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
  });
  context.on('requestfailed', (request) => {
    if (request.url().startsWith(apiOrigin)) {
      output.failed.push({ url: request.url(), error: request.failure()?.errorText ?? null });
    }
  });

  let tracked = 0;
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

    // A person reads the page before going on: the library has the page's events in hand (delivered, or in the queue it
    // keeps in localStorage for the next page) before the next step leaves the page. Leaving before its queue write
    // completes loses the event, in the library, before anything is sent.
    tracked += step.browserEvents;
    await inHand(tab, tracked);
  }

  // The caller says when it has everything; the file is looked for a few times a second, until the time allowed is up.
  const giveUpAt = Date.now() + settings.timeoutMs;
  while (!existsSync(settings.doneFile) && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  output.timedOut = !existsSync(settings.doneFile);
  output.delivered = [...delivered.values()];
} finally {
  await context.close();
  await browser.close();
}

process.stdout.write(JSON.stringify(output) + '\n');
