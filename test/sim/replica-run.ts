// CLI: runs the replica simulator (test/sim/replica-world.ts) over many seeds and prints every
// failing seed with its scenario and violations, and a trace hash per seed (the same seed
// always prints the same hash: replay one with --start S --seeds 1).
//   npm run sim -- --seeds 100000 [--start 1] [--validators 4] [--verbose]
//        [--reintroduce sign-records-out-of-order|proposed-block-unstored|half-quorum] [--stop-at-first]
//        [--crypto node|noble]   (default node: liboqs and OpenSSL, as `pantheon node` runs)
import { cpus, loadavg } from 'node:os';
import type { ReintroducedBug } from '../../node/consensus-driver.ts';
import { runReplicaSimulation } from './replica-world.ts';

const USAGE = 'usage: npm run sim -- [--seeds N] [--start S] [--validators 4..7] [--verbose] [--stop-at-first] [--reintroduce sign-records-out-of-order|proposed-block-unstored|half-quorum] [--crypto node|noble] [--json]';

interface Args {
  seeds: number;
  start: number;
  validators: number;
  verbose: boolean;
  stopAtFirst: boolean;
  json: boolean;
  reintroduce: ReintroducedBug | undefined;
  crypto: 'node' | 'noble';
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, start: 1, validators: 4, verbose: false, stopAtFirst: false, json: false, reintroduce: undefined, crypto: 'node' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer, got ${argv[i]}`);
      return n;
    };
    if (flag === '--seeds') args.seeds = value();
    else if (flag === '--start') args.start = value();
    else if (flag === '--validators') args.validators = value();
    else if (flag === '--verbose') args.verbose = true;
    else if (flag === '--stop-at-first') args.stopAtFirst = true;
    else if (flag === '--json') args.json = true;
    else if (flag === '--reintroduce') {
      const bug = argv[++i];
      if (bug !== 'sign-records-out-of-order' && bug !== 'proposed-block-unstored' && bug !== 'half-quorum') throw new Error(`--reintroduce: sign-records-out-of-order, proposed-block-unstored or half-quorum, got ${bug}`);
      args.reintroduce = bug;
    } else if (flag === '--crypto') {
      const which = argv[++i];
      if (which !== 'node' && which !== 'noble') throw new Error(`--crypto: node or noble, got ${which}`);
      args.crypto = which;
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag ${flag}; ${USAGE}`);
  }
  if (args.validators < 1 || args.validators > 7) throw new Error('--validators: 1 to 7');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  let failed = 0;
  let ran = 0;
  let firstFailing: number | undefined;
  for (let seed = args.start; seed < args.start + args.seeds; seed++) {
    const r = await runReplicaSimulation(seed, { validators: args.validators, unsafeReintroduce: args.reintroduce, crypto: args.crypto });
    ran++;
    const s = r.stats;
    if (!r.ok) {
      failed++;
      firstFailing ??= seed;
      if (!args.json) {
        console.log(`FAIL seed ${seed} trace ${r.traceHash}`);
        for (const line of r.failures) console.log(`  ${line}`);
      }
      if (args.stopAtFirst) break;
    } else if (!args.json) {
      console.log(`ok   seed ${seed} trace ${r.traceHash}${args.verbose ? ` heights ${s.heights} crashes ${s.crashes} txs ${s.transfersCommitted} events ${s.events} t=${s.simulatedMs}ms byzantine ${r.scenario.byzantine ? `n${r.scenario.byzantine.node} ${r.scenario.byzantine.mode}` : 'none'} equivocations ${s.equivocations} evidence ${s.evidenceCommitted} rejected ${s.rejectedAtEdge}` : ''}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (args.json) console.log(JSON.stringify({ seeds: ran, failed, firstFailing, seconds: Number(seconds.toFixed(1)), secondsPerSeed: Number((seconds / Math.max(ran, 1)).toFixed(3)), crypto: args.crypto, reintroduce: args.reintroduce ?? null }));
  else console.log(`${ran - failed}/${ran} seeds passed (validators ${args.validators}${args.reintroduce ? `, reintroduced ${args.reintroduce}` : ''}) in ${seconds.toFixed(1)}s (${(seconds / Math.max(ran, 1)).toFixed(3)} s a seed, crypto ${args.crypto}; ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, load ${loadavg()[0].toFixed(1)})${firstFailing !== undefined ? `; first failing seed ${firstFailing}` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await main();
