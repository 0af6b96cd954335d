// Parses a /metrics answer with a third-party Prometheus text parser and applies the rules
// the parser leaves out: every family has HELP and TYPE, once, before its samples.
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function parseExposition(text: string): Map<string, MetricFamily> {
  const help = new Map<string, number>();
  const type = new Map<string, number>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (!m) return;
    const seen = m[1] === 'HELP' ? help : type;
    if (seen.has(m[2])) throw new Error(`line ${i + 1}: a second # ${m[1]} for ${m[2]}`);
    if (m[3].trim() === '') throw new Error(`line ${i + 1}: empty # ${m[1]} for ${m[2]}`);
    seen.set(m[2], i);
  });
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const name = /^([^{\s]+)/.exec(line)![1];
    if (!NAME.test(name)) throw new Error(`line ${i + 1}: "${name}" is not a valid metric name`);
    const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => type.has(n));
    if (!family) throw new Error(`line ${i + 1}: sample ${name} has no # TYPE`);
    if (!help.has(family)) throw new Error(`line ${i + 1}: sample ${name} has no # HELP`);
    if (help.get(family)! > i || type.get(family)! > i) throw new Error(`line ${i + 1}: sample ${name} comes before its # HELP/# TYPE`);
  });
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  if (families.size !== type.size) throw new Error(`the parser found ${families.size} families, the text declares ${type.size}`);
  return families;
}

/** The single unlabelled value of a counter or gauge. */
export function valueOf(families: Map<string, MetricFamily>, name: string): number {
  const f = families.get(name);
  if (!f) throw new Error(`no metric ${name}`);
  if (f.metrics.length !== 1 || f.metrics[0].value === undefined) throw new Error(`${name} has no single value`);
  return Number(f.metrics[0].value);
}

/** The observation count of a histogram. */
export function countOf(families: Map<string, MetricFamily>, name: string): number {
  const f = families.get(name);
  if (!f || f.type !== 'HISTOGRAM') throw new Error(`no histogram ${name}`);
  return Number(f.metrics[0].count);
}

/** Names a PromQL expression reads: our families and the process metrics. */
export function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:pantheon|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]);
}

/** The family a sample name belongs to (histogram series end _bucket, _sum, _count). */
export function familyOf(families: Map<string, MetricFamily>, sample: string): string | undefined {
  if (families.has(sample)) return sample;
  const base = sample.replace(/_(bucket|sum|count)$/, '');
  return families.get(base)?.type === 'HISTOGRAM' ? base : undefined;
}
