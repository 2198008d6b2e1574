// Evaluates feature flags locally with Mixpanel's official node library ('mixpanel' on npm, lib/flags/local_flags.js),
// unchanged, over definitions and contexts given in a JSON file, and prints one answer per context and flag key.
//
// Usage: node mixpanel-flags-evaluator.js <input.json>
//   input: { flags: [definition], keys: [flag key], contexts: [context] }
//   output (stdout): a JSON array, contexts in order, each context's keys in order:
//     "<variant key>" (with a trailing "*" for a QA tester) or "!<fallback reason kind>".
// Usage: node mixpanel-flags-evaluator.js <input.json> --time <iterations>
//   output: { nsPerEvaluation: { <key>: number } }, each key evaluated for the first context, after a warm-up.
'use strict';

const fs = require('fs');
const LocalFeatureFlagsProvider = require('mixpanel/lib/flags/local_flags');

// json-logic-js's "log" writes to console.log; the answers go to stdout alone.
console.log = () => {};

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const provider = new LocalFeatureFlagsProvider('parity-token', { enable_polling: false }, () => {}, quiet);
provider.flagDefinitions = new Map(input.flags.map((flag) => [flag.key, flag]));
const fallback = { variant_value: null };

function answer(key, context) {
  const variant = provider.getVariant(key, fallback, context, false);
  return variant.variant_source === 'fallback'
    ? '!' + variant.fallback_reason.kind
    : variant.variant_key + (variant.is_qa_tester ? '*' : '');
}

if (process.argv[3] === '--time') {
  const iterations = Number(process.argv[4]);
  const context = input.contexts[0];
  const nsPerEvaluation = {};
  for (const key of input.keys) {
    for (let i = 0; i < iterations; i++) answer(key, context);
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) answer(key, context);
    nsPerEvaluation[key] = Number(process.hrtime.bigint() - start) / iterations;
  }
  process.stdout.write(JSON.stringify({ nsPerEvaluation }));
} else {
  const answers = [];
  for (const context of input.contexts) {
    for (const key of input.keys) answers.push(answer(key, context));
  }
  process.stdout.write(JSON.stringify(answers));
}
