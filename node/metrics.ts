// Prometheus text exposition (version 0.0.4) of a few counters and gauges.
export class Metrics {
  private readonly values = new Map<string, number>();

  set(name: string, value: number): void {
    this.values.set(name, value);
  }

  add(name: string, delta: number): void {
    this.values.set(name, (this.values.get(name) ?? 0) + delta);
  }

  render(extra: Record<string, number> = {}): string {
    const all = new Map([...this.values, ...Object.entries(extra)]);
    return [...all]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}\n${name} ${value}`)
      .join('\n') + '\n';
  }
}
