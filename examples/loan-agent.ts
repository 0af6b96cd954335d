// An example agent that approves or denies loan applications, every decision under `guard`:
// the decision (inputs, proposal, reason) is signed and on disk before the "bank" acts on it,
// and what the bank did is recorded as its outcome. The record is checkpointed into Pantheon
// as it grows; checkpoints become final, then anchored in Bitcoin, and their bundles are
// stored in the record, so `pantheon oar export` hands an auditor everything.
//
// Uses only the published entry points `pantheon/oar` and `pantheon/client`.
//
//   node --import tsx examples/loan-agent.ts --dir DIR --key operator.key [--node URL]
//        [--name loans] [--loans N] [--actors K] [--every-entries N] [--every-ms MS]
//
// It prints one JSON line a second ({"size", "decisions", "intendMsMax", "checkpoint"…}) and a
// last line {"done": true, …} when it stops (after --loans decisions, or on SIGTERM/SIGINT).
import { parseArgs } from 'node:util';
import { Checkpointer, OarWriter } from 'pantheon/oar';
import { addressOf, PantheonClient, readKeyFile } from 'pantheon/client';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    key: { type: 'string' },
    node: { type: 'string', default: 'http://127.0.0.1:28000' },
    name: { type: 'string', default: 'loans' },
    loans: { type: 'string', default: '0' },
    actors: { type: 'string', default: '4' },
    'every-entries': { type: 'string', default: '50' },
    'every-ms': { type: 'string', default: '3000' },
    'pause-ms': { type: 'string', default: '20' },
  },
});
if (!values.dir || !values.key) {
  process.stderr.write('usage: loan-agent.ts --dir DIR --key FILE [--node URL] [--name NAME] [--loans N] [--actors K]\n');
  process.exit(2);
}

const key = readKeyFile(values.key);
const client = new PantheonClient(values.node);
const { chainId } = await client.status();
const logId = `${addressOf(key.publicKey)}/${values.name}`;
const writer = await OarWriter.open({ dir: values.dir, chainId, logId, key, create: true, history: true });
const checkpointer = await Checkpointer.start({ writer, chain: client, everyEntries: Number(values['every-entries']), everyMs: Number(values['every-ms']), pollMs: 500 });

/** A deterministic stream of applicants (a small linear congruential generator). */
let seed = 20261130;
function next(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
}
function applicant(n: number) {
  return { applicant: `A-${n}`, inputs: { income: 20_000 + Math.floor(next() * 80_000), score: 500 + Math.floor(next() * 350), debt: Math.floor(next() * 40_000) } };
}

/** The policy: approve with a score of 640 or more and debt under 40% of income. */
function decide(a: ReturnType<typeof applicant>) {
  const ratio = a.inputs.debt / a.inputs.income;
  if (a.inputs.score < 640) return { proposal: 'deny', reason: `score ${a.inputs.score} below 640` };
  if (ratio >= 0.4) return { proposal: 'deny', reason: `debt is ${Math.round(ratio * 100)}% of income` };
  return { proposal: 'approve', reason: 'score and debt within policy' };
}

/** The action the decision gates: here a letter reference; in a bank, the core system's call. */
async function act(decision: { proposal: string }, n: number) {
  await new Promise((r) => setTimeout(r, 1));
  return { letter: decision.proposal === 'approve' ? 'offer' : 'decline', ref: `L-${n}` };
}

let stopping = false;
let decisions = 0;
let issued = 0;
let intendMsMax = 0;
const limit = Number(values.loans);
const pauseMs = Number(values['pause-ms']);

async function actor(id: number): Promise<void> {
  while (!stopping && (limit === 0 || issued < limit)) {
    const n = issued++;
    const a = applicant(n);
    const decision = decide(a);
    const started = performance.now();
    await writer.guard({ actor: `loan-agent-${id}`, actorVersion: '1.0.0', payload: { ...a, ...decision } }, (permit) => {
      // The permit exists only once the signed decision is on disk.
      intendMsMax = Math.max(intendMsMax, performance.now() - started);
      return act(decision, permit.sequence);
    });
    decisions++;
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

function report(extra: Record<string, unknown> = {}): void {
  const s = checkpointer.status();
  process.stdout.write(JSON.stringify({ logId, size: writer.size, decisions, intendMsMax: Math.round(intendMsMax * 10) / 10, committed: s.committed, inFlight: s.inFlight && { size: s.inFlight.size, commitmentId: s.inFlight.commitmentId }, lastFinal: s.lastFinal?.size ?? null, lastAnchored: s.lastAnchored?.size ?? null, lastError: s.lastError, ...extra }) + '\n');
}

const ticker = setInterval(report, 1000);
process.once('SIGTERM', () => (stopping = true));
process.once('SIGINT', () => (stopping = true));
await Promise.all(Array.from({ length: Number(values.actors) }, (_, i) => actor(i)));
clearInterval(ticker);
await checkpointer.stop();
await writer.close();
report({ done: true, openIntents: writer.openIntents().length });
