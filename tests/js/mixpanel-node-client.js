// Sends one of everything with Mixpanel's official node library ('mixpanel' on npm), unchanged, to a
// LocalMixpanelServer, and prints on stdout, as one JSON object, what the library reported for each call.
//
// Usage: node mixpanel-node-client.js '<settings JSON>'
//   settings: { token, port, httpsPort, secret, account: { username, secret, projectId }, now }
// The HTTPS server's certificate must be trusted through NODE_EXTRA_CA_CERTS: the library sends a secret only over HTTPS.
'use strict';

const Mixpanel = require('mixpanel');

const settings = JSON.parse(process.argv[2]);
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const calls = [];

// Each call's callback tells whether Mixpanel (here the local server) accepted it: the library reads the body '1'.
function call(name, send) {
  return new Promise((resolve) => {
    send((error) => {
      const errors = Array.isArray(error) ? error : error ? [error] : [];
      calls.push({ name, errors: errors.map((e) => String((e && e.message) || e)) });
      resolve();
    });
  });
}

async function main() {
  const plain = Mixpanel.init(settings.token, { host: '127.0.0.1', port: settings.port, protocol: 'http', logger: quiet });
  const withSecret = Mixpanel.init(settings.token, {
    host: '127.0.0.1',
    port: settings.httpsPort,
    protocol: 'https',
    secret: settings.secret,
    logger: quiet,
  });
  const credentials = new Mixpanel.ServiceAccountCredentials(
    settings.account.username,
    settings.account.secret,
    settings.account.projectId);
  const withAccount = Mixpanel.init(settings.token, {
    host: '127.0.0.1',
    port: settings.httpsPort,
    protocol: 'https',
    credentials,
    logger: quiet,
  });

  const now = settings.now;
  const tenDaysAgo = new Date(now - 10 * 24 * 60 * 60 * 1000);

  // One at a time, so the server sees them in this order.
  await call('track', (cb) => plain.track('Signed Up', { distinct_id: 'user-1', plan: 'free', ip: '136.24.0.114' }, cb));
  await call('track_batch', (cb) => plain.track_batch([
    { event: 'Viewed Pricing', properties: { distinct_id: 'user-1', time: now - 2000 } },
    { event: 'Started Trial', properties: { distinct_id: 'user-1', time: now - 1000 } },
    { event: 'Invited Teammate', properties: { distinct_id: 'user-1', time: new Date(now) } },
  ], cb));
  await call('alias', (cb) => plain.alias('user-1', 'user-1-alias', cb));
  await call('people.set', (cb) => plain.people.set('user-1', { plan: 'pro', ip: '136.24.0.114' }, cb));
  await call('people.set_once', (cb) => plain.people.set_once('user-1', 'first_seen', '2025-06-01T12:00:00', cb));
  await call('people.increment', (cb) => plain.people.increment('user-1', 'logins', 1, cb));
  await call('people.append', (cb) => plain.people.append('user-1', 'devices', 'phone', cb));
  await call('people.union', (cb) => plain.people.union('user-1', { devices: ['tablet'] }, cb));
  await call('people.remove', (cb) => plain.people.remove('user-1', { devices: 'phone' }, cb));
  await call('people.unset', (cb) => plain.people.unset('user-1', 'legacy_plan', cb));
  await call('people.track_charge', (cb) => plain.people.track_charge('user-1', 9.99, { item: 'coffee' }, cb));
  await call('people.clear_charges', (cb) => plain.people.clear_charges('user-1', cb));
  await call('people.delete_user', (cb) => plain.people.delete_user('user-2', { $ignore_alias: true }, cb));
  await call('groups.set', (cb) => plain.groups.set('company', 'acme', { industry: 'retail' }, cb));
  await call('groups.set_once', (cb) => plain.groups.set_once('company', 'acme', 'founded', 1999, cb));
  await call('groups.union', (cb) => plain.groups.union('company', 'acme', { regions: ['eu'] }, cb));
  await call('groups.remove', (cb) => plain.groups.remove('company', 'acme', { regions: 'us' }, cb));
  await call('groups.unset', (cb) => plain.groups.unset('company', 'acme', 'legacy_tier', cb));
  await call('groups.delete_group', (cb) => plain.groups.delete_group('company', 'initech', cb));
  await call('import (secret)', (cb) => withSecret.import('Renewed', tenDaysAgo, { distinct_id: 'user-1' }, cb));
  await call('import_batch (secret)', (cb) => withSecret.import_batch([
    { event: 'Paid Invoice', properties: { distinct_id: 'user-1', time: tenDaysAgo, $insert_id: 'invoice-1' } },
    { event: 'Paid Invoice', properties: { distinct_id: 'user-1', time: tenDaysAgo.getTime() + 1000, $insert_id: 'invoice-2' } },
  ], cb));
  await call('import (service account)', (cb) => withAccount.import('Migrated', tenDaysAgo, { distinct_id: 'user-1' }, cb));

  process.stdout.write(JSON.stringify({ library: require('mixpanel/package.json').version, calls }) + '\n');
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + '\n');
  process.exit(1);
});
