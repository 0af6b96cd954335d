// CLI: runs the replica simulator (test/sim/replica-world.ts) over many seeds and prints every
// failing seed with its scenario and violations, and a trace hash per seed (the same seed
// always prints the same hash: replay one with --start S --seeds 1).
//   npm run sim -- --seeds 100000 [--start 1] [--jobs 2] [--validators 4] [--verbose]
//        [--reintroduce sign-records-out-of-order|proposed-block-unstored|locked-block-unstored|half-quorum] [--stop-at-first]
//        [--crypto node|noble]   (default node: liboqs and OpenSSL, as `pantheon node` runs)
// --jobs N splits the seeds into N contiguous shards, each run by a child process (one per core
// is the most that helps); failures are printed as they come, and progress every 1,000 seeds.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpus, loadavg } from 'node:os';
import type { ReintroducedBug } from '../../node/consensus-driver.ts';
import { runReplicaSimulation } from './replica-world.ts';

const USAGE = 'usage: npm run sim -- [--seeds N] [--start S] [--jobs J] [--validators 4..7] [--verbose] [--stop-at-first] [--reintroduce sign-records-out-of-order|proposed-block-unstored|locked-block-unstored|half-quorum] [--crypto node|noble] [--json]';

interface Args {
  seeds: number;
  start: number;
  jobs: number;
  validators: number;
  verbose: boolean;
  stopAtFirst: boolean;
  json: boolean;
  reintroduce: ReintroducedBug | undefined;
  crypto: 'node' | 'noble';
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, start: 1, jobs: 1, validators: 4, verbose: false, stopAtFirst: false, json: false, reintroduce: undefined, crypto: 'node' };
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
    else if (flag === '--jobs') args.jobs = value();
    else if (flag === '--verbose') args.verbose = true;
    else if (flag === '--stop-at-first') args.stopAtFirst = true;
    else if (flag === '--json') args.json = true;
    else if (flag === '--reintroduce') {
      const bug = argv[++i];
      if (bug !== 'sign-records-out-of-order' && bug !== 'proposed-block-unstored' && bug !== 'locked-block-unstored' && bug !== 'half-quorum') throw new Error(`--reintroduce: sign-records-out-of-order, proposed-block-unstored, locked-block-unstored or half-quorum, got ${bug}`);
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
  if (args.jobs < 1) throw new Error('--jobs: at least 1');
  if (args.jobs > 1 && args.json) throw new Error('--jobs with --json: not supported; run one process per shard with --start/--seeds instead');
  return args;
}

/** The machine line every summary ends with: what the seconds a seed were measured on. */
function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, load ${loadavg()[0].toFixed(1)}`;
}

/**
 * Runs the seeds in `jobs` child processes (this script, one contiguous shard each). A failure's
 * lines are printed together as its child prints them; `--stop-at-first` stops every child.
 */
async function runSharded(args: Args, passThrough: string[]): Promise<void> {
  const started = performance.now();
  const perJob = Math.ceil(args.seeds / args.jobs);
  const failing: number[] = [];
  let done = 0;
  let stopping = false;
  const children: ReturnType<typeof spawn>[] = [];
  const runs: Promise<number | null>[] = [];
  for (let j = 0; j < args.jobs; j++) {
    const start = args.start + j * perJob;
    const seeds = Math.min(perJob, args.start + args.seeds - start);
    if (seeds <= 0) break;
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...passThrough, '--start', String(start), '--seeds', String(seeds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let block: string[] = [];
    let childDone = 0;
    const flush = () => {
      if (block.length > 0) console.log(block.join('\n'));
      block = [];
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('  ')) return void block.push(line);
      flush();
      if (line.startsWith('ok   seed ') || line.startsWith('FAIL seed ')) childDone++;
      if (line.startsWith('FAIL seed ')) {
        failing.push(Number(line.split(' ')[2]));
        block.push(line);
        if (args.stopAtFirst && !stopping) {
          stopping = true;
          setTimeout(() => children.forEach((c) => c.kill()), 100);
        }
      } else if (!line.startsWith('ok   seed ')) return; // the child's own summary: ours follows
      else if (args.verbose) console.log(line);
      if (++done % 1_000 === 0) console.log(`... ${done}/${args.seeds} seeds, ${failing.length} failed, ${((performance.now() - started) / 1000 / done).toFixed(3)} s a seed (wall clock, ${args.jobs} jobs; load ${loadavg()[0].toFixed(1)})`);
    });
    child.on('error', (err) => console.log(`job ${j + 1} (seeds ${start}-${start + seeds - 1}) could not start: ${err.message}`));
    runs.push(
      new Promise((resolve) =>
        child.on('close', (code, signal) => {
          flush();
          // Exit 1 with every seed run is a failing seed; anything else is the job's own end.
          if (!stopping && (childDone < seeds || (code !== 0 && code !== 1))) console.log(`job ${j + 1} (seeds ${start}-${start + seeds - 1}) ended after ${childDone} of ${seeds} seeds (${signal ?? `exit ${code}`})`);
          resolve(childDone < seeds || (code !== 0 && code !== 1) ? -1 : code);
        }),
      ),
    );
  }
  const codes: (number | null)[] = await Promise.all(runs);
  const seconds = (performance.now() - started) / 1000;
  failing.sort((a, b) => a - b);
  const broken = codes.filter((c) => c === -1).length; // the job ended before its last seed
  console.log(`${done - failing.length}/${done} seeds passed (validators ${args.validators}${args.reintroduce ? `, reintroduced ${args.reintroduce}` : ''}; seeds ${args.start}-${args.start + args.seeds - 1} in ${children.length} jobs) in ${seconds.toFixed(1)}s (${(seconds / Math.max(done, 1)).toFixed(3)} s a seed of wall clock, crypto ${args.crypto}; ${machine()})${failing.length > 0 ? `; failing seeds ${failing.join(', ')}` : ''}${broken > 0 && !stopping ? `; ${broken} job(s) ended abnormally` : ''}`);
  process.exitCode = failing.length > 0 || (broken > 0 && !stopping) || (done < args.seeds && !stopping) ? 1 : 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.jobs > 1) {
    // The children get every flag but the shard ones.
    const passThrough: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--start' || argv[i] === '--seeds' || argv[i] === '--jobs') i++;
      else passThrough.push(argv[i]);
    }
    return runSharded(args, passThrough);
  }
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
  else console.log(`${ran - failed}/${ran} seeds passed (validators ${args.validators}${args.reintroduce ? `, reintroduced ${args.reintroduce}` : ''}) in ${seconds.toFixed(1)}s (${(seconds / Math.max(ran, 1)).toFixed(3)} s a seed, crypto ${args.crypto}; ${machine()})${firstFailing !== undefined ? `; first failing seed ${firstFailing}` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await main();
