// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function, optionally only
// for the samples inside a time window (microseconds on the monotonic clock the profiler and
// process.hrtime share on Linux).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
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
}

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
  };
}
