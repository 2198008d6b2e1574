// Walks people through the ASP.NET Core sample shop (samples/Mixpanel.Identity.AspNetCoreSample) in pages of an already
// running Chromium, as a person would: clicking its forms and buttons while its page runs Mixpanel's browser library.
// Each journey runs in a browser context of its own (a browser of its own: cookies and storage), all at once. Keeps the
// browsers open until the file doneFile exists (the caller makes it once Mixpanel's server has every event the library
// tracked, which it sends on a timer and from later pages), then prints on stdout, as one JSON object, what each step
// showed and which anonymous id the library held after it.
//
// Usage: node sample-site-journey.mjs '<settings JSON>'
//   settings: { cdpEndpoint, apiHost, journeys: [{ siteUrl, userAgent, steps }], doneFile, timeoutMs }
//   steps: [{ action, name?, pageReset?, browserEvents }]
//   browserEvents: how many events the library tracks in the step (on the page it ends on, or by the click)
//   actions: visit (the shop's page), help (a page without the library), wishlist (a button the page's script tracks),
//            signup and login (with name), purchase, logout
//   pageReset, for logout: 'click' (the page calls the library's reset() in the button's click handler), 'next-load'
//            (the page resets on the next page when the library still names a user no one is signed in as), or 'never'
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { recordsIn } from './mixpanel-requests.mjs';

const settings = JSON.parse(process.argv[2]);
const apiOrigin = new URL(settings.apiHost).origin;
const output = { journeys: [], timedOut: false, pageErrors: [], failed: [] };

// Waits until the events the library has delivered or queued number at least `count`; gives up when the time allowed
// is up (the caller then finds events missing).
async function inHand(tab, delivered, count) {
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

async function walk(browser, journey) {
  const context = await browser.newContext({ userAgent: journey.userAgent });
  // Events the browser saw delivered, once each: it may send a batch again after a navigation cut its answer short.
  const delivered = new Map();
  const seen = { steps: [], delivered: [] };
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
  for (const step of journey.steps) {
    switch (step.action) {
      case 'visit':
        await tab.goto(journey.siteUrl);
        break;
      case 'help':
        await tab.goto(new URL('/help', journey.siteUrl).href);
        break;
      case 'wishlist':
        await tab.click('#wishlist');
        break;
      case 'signup':
      case 'login':
        await tab.fill(`#${step.action}-name`, step.name);
        await submit(tab, `#${step.action}`);
        break;
      case 'purchase':
        await submit(tab, '#purchase');
        break;
      case 'logout':
        if (step.pageReset === 'click') {
          // What a click handler on the logout button does before the form posts.
          await tab.evaluate(() => document.getElementById('logout').addEventListener('click', () => mixpanel.reset()));
        }

        await submit(tab, '#logout');
        if (step.pageReset === 'next-load') {
          // What a page does on load that resets the library once no one is signed in but the library still names a user.
          await tab.evaluate(() => {
            if (mixpanel.get_property('$user_id') && !document.body.dataset.userId) {
              mixpanel.reset();
            }
          });
        }

        break;
      default:
        throw new Error(`unknown step ${step.action}`);
    }

    seen.steps.push({
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
    await inHand(tab, delivered, tracked);
  }

  return { context, seen, delivered };
}

const browser = await chromium.connectOverCDP(settings.cdpEndpoint);
const walks = [];
try {
  walks.push(...await Promise.all(settings.journeys.map((journey) => walk(browser, journey))));

  // The caller says when it has everything; the file is looked for a few times a second, until the time allowed is up.
  const giveUpAt = Date.now() + settings.timeoutMs;
  while (!existsSync(settings.doneFile) && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  output.timedOut = !existsSync(settings.doneFile);
  output.journeys = walks.map((w) => ({ steps: w.seen.steps, delivered: [...w.delivered.values()] }));
} finally {
  for (const w of walks) {
    await w.context.close();
  }

  await browser.close();
}

process.stdout.write(JSON.stringify(output) + '\n');
