// CLI: run many simulation seeds and print every failing one with its scenario, plus a trace
// hash per seed (the same seed always prints the same hash: replay it with --start S --seeds 1).
//   node --import tsx test/sim/run.ts --seeds 200 --start 1 --validators 7 [--fast-signatures]
//        [--unsafe-no-locking | --unsafe-half-quorum] [--calm] [--idle] [--verbose]
// Real ML-DSA-65 by default (cached); --fast-signatures uses the keyed-hash test double.
import { SimCrypto, type SimSigner } from './crypto.ts';
import { FastSigner } from './fast-signer.ts';
import { runSimulation, type SimOptions } from './simulate.ts';

interface Args {
  seeds: number;
  start: number;
  validators: number;
  verbose: boolean;
  calm: boolean;
  idle: boolean;
  fast: boolean;
  unsafe: SimOptions['unsafe'];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, start: 1, validators: 4, verbose: false, calm: false, idle: false, fast: false, unsafe: undefined };
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
    else if (flag === '--calm') args.calm = true;
    else if (flag === '--idle') args.idle = true;
    else if (flag === '--fast-signatures') args.fast = true;
    else if (flag === '--unsafe-no-locking') args.unsafe = { disableLocking: true };
    else if (flag === '--unsafe-half-quorum') args.unsafe = { halfQuorum: true };
    else throw new Error(`unknown flag ${flag}; flags: --seeds N --start S --validators 4..7 --fast-signatures --calm --idle --verbose --unsafe-no-locking --unsafe-half-quorum`);
  }
  if (args.validators < 1 || args.validators > 7) throw new Error('--validators: 1 to 7 (the simulator has 7 fixed keys)');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const crypto: SimSigner = args.fast ? new FastSigner() : new SimCrypto();
  const started = performance.now();
  let failed = 0;
  for (let seed = args.start; seed < args.start + args.seeds; seed++) {
    const result = await runSimulation(seed, { validators: args.validators, faults: !args.calm, idle: args.idle, unsafe: args.unsafe }, crypto);
    const s = result.stats;
    if (!result.ok) {
      failed++;
      console.log(`FAIL seed ${seed} trace ${result.traceHash}`);
      for (const line of result.failures) console.log(`  ${line}`);
    } else if (args.verbose) {
      console.log(`ok   seed ${seed} trace ${result.traceHash} heights ${s.heightsDecided} maxRound ${s.maxRound} crashes ${s.crashes} evidence ${s.evidence} events ${s.events} t=${s.simulatedMs}ms`);
    } else {
      console.log(`ok   seed ${seed} trace ${result.traceHash}`);
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${args.seeds - failed}/${args.seeds} seeds passed (validators ${args.validators}) in ${seconds}s; ${crypto.mode} ${JSON.stringify(crypto.stats)}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

// Piping into `head` closes stdout early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await main();
