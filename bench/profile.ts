// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function, and the time in
// each stage of a transaction's way through the node, optionally only for the samples inside a
// time window (microseconds on the monotonic clock the profiler and process.hrtime share on Linux).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  function: string;
  location: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  windowMs: number;
  sampledMs: number;
  windowApplied: boolean;
  top: ProfileEntry[];
  /** Self time grouped by package / folder (node_modules/<pkg> or our top-level folder). */
  byArea: { area: string; percent: number }[];
  /** Time inside each stage (the stage's function and all it calls), per cent of the busy (not idle) time; stages overlap. */
  stages: { stage: string; percent: number }[];
}

/**
 * The stages of a transaction's way through a node, each named by a function that contains it
 * (function name, and a fragment of its file's path). A sample counts for a stage when that
 * function is anywhere on its stack.
 */
const STAGES: { stage: string; fn: string; file: string }[] = [
  { stage: 'HTTP submissions (POST /v1/tx and the rest of the API)', fn: 'route', file: 'node/http-api' },
  { stage: 'admission (decode, checks, signature, mempool)', fn: 'admit', file: 'node/admission' },
  { stage: 'ML-DSA-65 verification', fn: 'verify', file: 'protocol/keys' },
  { stage: 'libp2p sending (yamux frames, Noise, socket writes)', fn: 'sendFrame', file: '@libp2p/yamux' },
  { stage: 'libp2p receiving (Noise decryption, yamux, gossipsub decoding)', fn: 'noiseOnMessageDecrypt', file: 'libp2p-noise' },
  { stage: 'gossipsub forwarding', fn: 'forwardMessage', file: '@libp2p/gossipsub' },
  { stage: 'checking blocks', fn: 'validateBlock', file: 'node/chain' },
  { stage: 'committing blocks', fn: 'commit', file: 'node/chain' },
  { stage: 'LevelDB batches (JavaScript side)', fn: 'batch', file: 'abstract-level' },
  { stage: 'garbage collection', fn: '(garbage collector)', file: '' },
];

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const ours = /\/work\/[^/]+\/([^/]+)\//.exec(url) ?? /\/(protocol|node|consensus|anchor|genesis|light-client)\//.exec(url);
  if (ours) return `${ours[1]}/`;
  if (url.startsWith('node:')) return 'node: (core)';
  return url;
}

export function summariseProfile(path: string, window?: { startUs: number; endUs: number }, topN = 10): ProfileSummary {
  const p: CpuProfile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = (n: ProfileNode) => STAGES.findIndex((st) => n.callFrame.functionName === st.fn && n.callFrame.url.includes(st.file));
  // The stages on each call-tree node's stack, worked out once per node (parents first, by recursion).
  const stagesOn = new Map<number, Set<number>>();
  const stagesOnStack = (id: number): Set<number> => {
    let on = stagesOn.get(id);
    if (on) return on;
    const up = parent.get(id);
    on = new Set(up === undefined ? [] : stagesOnStack(up));
    const k = stageOf(byId.get(id)!);
    if (k >= 0) on.add(k);
    stagesOn.set(id, on);
    return on;
  };
  const stageUs = STAGES.map(() => 0);
  let busyUs = 0;
  let t = p.startTime;
  const self = new Map<string, { fn: string; loc: string; us: number; area: string }>();
  let total = 0;
  let inWindow = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.startUs || t > window.endUs)) continue;
    inWindow++;
    const n = byId.get(p.samples[i])!;
    const cf = n.callFrame;
    const loc = cf.url ? `${cf.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'node_modules/').replace(/.*\/work\/[^/]+\//, '')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName}|${loc}`;
    const e = self.get(key) ?? { fn: cf.functionName || '(anonymous)', loc, us: 0, area: area(cf.url, cf.functionName) };
    e.us += dt;
    total += dt;
    self.set(key, e);
    if (cf.functionName === '(idle)') continue;
    busyUs += dt;
    for (const k of stagesOnStack(n.id)) stageUs[k] += dt;
  }
  const windowApplied = Boolean(window) && inWindow > 0;
  if (window && inWindow === 0) return summariseProfile(path, undefined, topN); // clocks did not line up: whole profile
  const entries = [...self.values()].sort((a, b) => b.us - a.us);
  const areas = new Map<string, number>();
  for (const e of entries) areas.set(e.area, (areas.get(e.area) ?? 0) + e.us);
  return {
    file: path,
    windowMs: window ? (window.endUs - window.startUs) / 1000 : (p.endTime - p.startTime) / 1000,
    sampledMs: total / 1000,
    windowApplied,
    top: entries.slice(0, topN).map((e) => ({ function: e.fn, location: e.loc, selfMs: e.us / 1000, percent: (100 * e.us) / total })),
    byArea: [...areas.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([a, us]) => ({ area: a, percent: (100 * us) / total })),
    stages: STAGES.map((st, k) => ({ stage: st.stage, percent: busyUs > 0 ? (100 * stageUs[k]) / busyUs : 0 })),
  };
}
