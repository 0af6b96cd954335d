// `npm run bench` (node --import tsx bench/run.ts): every benchmark, a table, and
// bench/results/<date>.json with the machine and the figures. `--quick` is the CI subset
// (no multi-process network, no browser, 1,000 commitments on disk); `--only a,b` runs parts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { machineInfo } from './machine.ts';
import { runLimit, type LimitFigures } from './limit.ts';
import { runVbytes } from './vbytes.ts';
import { buildBenchBundles, verifyInBrowser, verifyInNode } from './proof.ts';
import { runDisk } from './disk.ts';
import { runNetwork } from './network.ts';
import { runIdle } from './idle.ts';
import { round } from './stats.ts';

const PARTS = ['limit', 'proof', 'verify-node', 'verify-browser', 'vbytes', 'disk', 'throughput', 'latency', 'profile', 'idle'] as const;
const QUICK_PARTS = ['limit', 'proof', 'verify-node', 'vbytes', 'disk'] as const;
type Part = (typeof PARTS)[number];

import { FIGURE_KEYS } from './figure-keys.ts';

const HELP = `Usage: node --import tsx bench/run.ts [--quick] [--only PART[,PART...]] [--out FILE]
  parts: ${PARTS.join(', ')}
  --quick            CI subset (${QUICK_PARTS.join(', ')}), small sizes, ~30 s
  --disk-count N     commitments for the disk figure (default 100000; quick 1000)
  --burst N          commitments in the saturation burst (default 2048)
  --validators N     validators of the network parts (default 4, the issue's figure;
                     other counts only to find where time goes)
  --latency-seconds S  length of the half-saturation run (default 30)
  --idle-seconds S   how long the idle part measures four validators doing nothing (default 300);
                     the growth is extrapolated to a day
  --out FILE         JSON path (default bench/results/<date>.json)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      'disk-count': { type: 'string' },
      burst: { type: 'string', default: '2048' },
      validators: { type: 'string', default: '4' },
      'latency-seconds': { type: 'string', default: '30' },
      'idle-seconds': { type: 'string', default: '300' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const quick = values.quick as boolean;
  const only = values.only ? (values.only as string).split(',').map((s) => s.trim()) : undefined;
  for (const p of only ?? []) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part "${p}"; parts: ${PARTS.join(', ')}`);
  const parts = new Set<Part>((only ?? (quick ? QUICK_PARTS : PARTS)) as Part[]);
  const diskCount = Number(values['disk-count'] ?? (quick ? 1000 : 100_000));
  const machine = machineInfo();
  const stamp = machine.date.replace(/[:.]/g, '-');
  const resultsDir = join(import.meta.dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const say = (line: string) => process.stdout.write(line + '\n');
  say(`Pantheon benchmarks${quick ? ' (quick)' : ''}: ${[...parts].join(', ')}`);
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.nodeVersion}, ${machine.date}, load average ${machine.loadAverage.join(' ')}`);

  const figures: Record<string, unknown> = Object.fromEntries(FIGURE_KEYS.map((k) => [k, null]));
  const details: Record<string, unknown> = {};
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    say(`- ${name}...`);
    const r = await fn();
    timings[name] = round((performance.now() - t) / 1000, 1);
    return r;
  };

  let limit: LimitFigures | undefined;
  if (parts.has('limit') || parts.has('throughput')) {
    limit = await timed('limit', () => runLimit(quick));
    Object.assign(figures, limit);
    figures.limitCommitmentsPerSec = (machine.cores * limit.mldsa65VerifyPerSec) / Number(values.validators);
  }
  if (parts.has('proof') || parts.has('verify-node') || parts.has('verify-browser')) {
    const { bundles, figures: sizes } = await timed('proof', () => buildBenchBundles(say));
    details.proof = sizes;
    figures.bundleBytesFinality4 = sizes.bundleBytes['finality-4'];
    figures.bundleBytesAnchored4 = sizes.bundleBytes['anchored-4'];
    figures.bundleBytesFinality16 = sizes.bundleBytes['finality-16'];
    figures.bundleBytesAnchored16 = sizes.bundleBytes['anchored-16'];
    if (parts.has('verify-node')) {
      const v = await timed('verify-node', () => verifyInNode(bundles, quick));
      details.verifyNodeMs = v;
      figures.verifyMsNode4 = v['anchored-4'];
      figures.verifyMsNode16 = v['anchored-16'];
    }
    if (parts.has('verify-browser')) {
      const v = await timed('verify-browser', () => verifyInBrowser(bundles, quick));
      details.verifyChromiumMs = v;
      figures.verifyMsChromium4 = v['anchored-4'];
      figures.verifyMsChromium16 = v['anchored-16'];
    }
  }
  if (parts.has('vbytes')) {
    const v = await timed('vbytes', () => runVbytes());
    details.vbytes = v;
    figures.anchorVbytes1 = v.anchorVbytesPerInterval['1'];
    figures.anchorVbytes100 = v.anchorVbytesPerInterval['100'];
    figures.anchorVbytes10000 = v.anchorVbytesPerInterval['10000'];
  }
  if (parts.has('disk')) {
    const d = await timed('disk', () => runDisk(diskCount, say));
    details.disk = d;
    figures.diskBytesPerCommitment = d.diskBytesPerCommitment;
  }
  if (parts.has('throughput') || parts.has('latency') || parts.has('profile')) {
    const n = await timed('network', () =>
      runNetwork({ validators: Number(values.validators), burst: Number(values.burst), latencySeconds: Number(values['latency-seconds']), latency: parts.has('latency'), profile: parts.has('profile'), resultsDir, stamp, log: say }),
    );
    const { profile, ...rest } = n;
    details.network = rest;
    figures.commitmentsFinalPerSec = n.commitmentsFinalPerSec;
    if (limit) {
      figures.throughputRatioToLimit = n.commitmentsFinalPerSec / ((machine.cores * limit.mldsa65VerifyPerSec) / n.validatorsOnMachine);
      figures.throughputRatioToNobleLimit = n.commitmentsFinalPerSec / ((machine.cores * limit.mldsa65VerifyPerSecNoble) / n.validatorsOnMachine);
    }
    if (n.latencyP50Ms !== undefined) {
      figures.latencyP50Ms = n.latencyP50Ms;
      figures.latencyP99Ms = n.latencyP99Ms;
    }
    if (profile) {
      details.profile = profile;
      figures.profileTop10 = profile.top;
      figures.profileStages = profile.stages;
      writeFileSync(join(resultsDir, `profile-${stamp}.json`), JSON.stringify(profile, null, 2) + '\n');
    }
  }

  if (parts.has('idle')) {
    const idle = await timed('idle', () => runIdle({ validators: 4, seconds: Number(values['idle-seconds']), log: say }));
    details.idle = idle;
    figures.idleBytesPerNodePerDay = idle.idleBytesPerNodePerDay;
  }

  const loadAfter = os.loadavg().map((x) => round(x, 2));
  const out = (values.out as string | undefined) ?? join(resultsDir, `${stamp}.json`);
  const result = { machine, loadAverageAfter: loadAfter, quick, parts: [...parts], figures, targets: targetStatus(figures), details, partSeconds: timings };
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  printTable(figures, details);
  say(`load average after: ${loadAfter.join(' ')}`);
  say(`wrote ${out}`);
  return 0;
}

type Target = { figure: string; target: string; pass: boolean | null };

function targetStatus(f: Record<string, any>): Target[] {
  const t = (figure: string, target: string, ok: (v: any) => boolean): Target => ({ figure, target, pass: f[figure] === null || f[figure] === undefined ? null : ok(f[figure]) });
  const v = [f.anchorVbytes1, f.anchorVbytes100, f.anchorVbytes10000];
  return [
    t('throughputRatioToLimit', '>= 0.5', (x) => x >= 0.5),
    t('latencyP50Ms', '< 1000 ms at half saturation', (x) => x < 1000),
    t('latencyP99Ms', '< 2000 ms at half saturation', (x) => x < 2000),
    t('bundleBytesAnchored4', '<= 32 KB (32768 bytes)', (x) => x <= 32768),
    t('verifyMsNode4', '<= 30 ms', (x) => x <= 30),
    t('verifyMsChromium4', '<= 60 ms', (x) => x <= 60),
    t('diskBytesPerCommitment', '<= 300 + 3309 (signature) + 1952 (key) = 5561 bytes', (x) => x <= 5561),
    t('idleBytesPerNodePerDay', '<= 50 MB (50,000,000 bytes) per node per day, four validators, no load', (x) => x <= 50_000_000),
    { figure: 'anchorVbytes*', target: 'constant', pass: v.includes(null) ? null : Math.max(...v) - Math.min(...v) <= 1 },
  ];
}

function printTable(f: Record<string, any>, d: Record<string, any>): void {
  const fmt = (x: unknown, digits = 1) => (x === null || x === undefined ? 'not run' : typeof x === 'number' ? round(x, digits).toLocaleString('en-US') : String(x));
  const rows: [string, string][] = [
    ['ML-DSA-65 verify / s / core, node (liboqs WASM)', fmt(f.mldsa65VerifyPerSec)],
    ['ML-DSA-65 verify / s / core, noble (light client)', fmt(f.mldsa65VerifyPerSecNoble)],
    ['ML-DSA-65 sign / s / core (noble)', fmt(f.mldsa65SignPerSec)],
    ['SHA-256 MB/s (1 MiB inputs), node (OpenSSL) / noble', `${fmt(f.sha256MBPerSec)} / ${fmt(f.sha256MBPerSecNoble)}`],
    ['SHA-256 hashes/s (64-byte inputs), node / noble', `${fmt(f.sha256SmallHashesPerSec, 0)} / ${fmt(f.sha256SmallHashesPerSecNoble, 0)}`],
    [`limit: cores x verify/s / ${d.network?.validatorsOnMachine ?? 4} validators`, fmt(f.limitCommitmentsPerSec)],
    [`commitments final / s (${d.network?.validatorsOnMachine ?? 4} validators, saturation)`, fmt(f.commitmentsFinalPerSec)],
    ['  ratio to the limit (target >= 0.5)', fmt(f.throughputRatioToLimit, 3)],
    ['  ratio to the limit with noble verification', fmt(f.throughputRatioToNobleLimit, 3)],
    ['latency p50 ms at half saturation (< 1000)', fmt(f.latencyP50Ms, 0)],
    ['latency p99 ms at half saturation (< 2000)', fmt(f.latencyP99Ms, 0)],
    ['bundle bytes, finality, 4 validators', fmt(f.bundleBytesFinality4, 0)],
    ['bundle bytes, anchored k=6, 4 validators (<= 32768)', fmt(f.bundleBytesAnchored4, 0)],
    ['bundle bytes, finality, 16 validators', fmt(f.bundleBytesFinality16, 0)],
    ['bundle bytes, anchored k=6, 16 validators', fmt(f.bundleBytesAnchored16, 0)],
    ['  anchored 4 / 16 without embedded genesis', d.proof ? `${d.proof.bundleBytesWithoutGenesis['anchored-4']} / ${d.proof.bundleBytesWithoutGenesis['anchored-16']}` : 'not run'],
    ['verify ms, Node, anchored, 4 / 16 validators (<= 30)', `${fmt(f.verifyMsNode4, 2)} / ${fmt(f.verifyMsNode16, 2)}`],
    ['verify ms, Chromium, anchored, 4 / 16 (<= 60)', `${fmt(f.verifyMsChromium4, 2)} / ${fmt(f.verifyMsChromium16, 2)}`],
    [`disk bytes / commitment (${d.disk?.diskCommitments ?? '-'} commitments)`, fmt(f.diskBytesPerCommitment)],
    ['  beyond signature + key (target <= 300)', fmt(d.disk?.diskBytesPerCommitmentBeyondSigAndKey)],
    ['  after the store is opened and closed again', fmt(d.disk?.diskBytesPerCommitmentAfterRestart)],
    [`idle bytes / node / day, 4 validators, no load (<= 50 MB; extrapolated from ${d.idle?.idleSeconds ?? '-'} s)`, fmt(f.idleBytesPerNodePerDay, 0)],
    ['  heartbeat blocks in the window, bytes per block', d.idle ? `${d.idle.idleBlocks} at ${d.idle.heartbeatMs / 1000} s, ${fmt(d.idle.idleBytesPerBlock, 0)}` : 'not run'],
    ['anchor vbytes at 1 / 100 / 10,000 commitments', `${fmt(f.anchorVbytes1, 0)} / ${fmt(f.anchorVbytes100, 0)} / ${fmt(f.anchorVbytes10000, 0)}`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write('\n' + rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
  if (d.disk) {
    process.stdout.write(`\ndisk, bytes per commitment by key family (live keys, live values, LevelDB table-file estimate of the range):\n`);
    for (const x of d.disk.diskFamilies) {
      process.stdout.write(`  ${x.family.padEnd(12)} ${String(x.entries).padStart(8)} entries  key ${fmt(x.keyBytesPerCommitment).padStart(7)}  value ${fmt(x.valueBytesPerCommitment).padStart(7)}  table ${fmt(x.tableBytesPerCommitment).padStart(7)}\n`);
    }
    const kinds = (files: Record<string, number>) => Object.entries(files).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
    process.stdout.write(`disk, apparent bytes per commitment by file kind: ${kinds(d.disk.diskFiles)}\n`);
    process.stdout.write(`  after a restart: ${kinds(d.disk.diskFilesAfterRestart)}\n`);
    process.stdout.write(d.disk.diskLevelStats.trimEnd() + '\n');
  }
  if (Array.isArray(f.profileTop10)) {
    process.stdout.write('\nvalidator-1 CPU profile during the burst, top ten by self time:\n');
    for (const e of f.profileTop10) process.stdout.write(`  ${e.percent.toFixed(1).padStart(5)} %  ${e.function}  ${e.location}\n`);
  }
  if (Array.isArray(f.profileStages)) {
    process.stdout.write('\nvalidator-1 by stage, per cent of its busy time during the burst (each stage with what it calls, so they overlap):\n');
    for (const e of f.profileStages) process.stdout.write(`  ${e.percent.toFixed(1).padStart(5)} %  ${e.stage}\n`);
  }
  process.stdout.write('\n');
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
