// `npm run bench -- --quick` in CI: it must run to the end and write every figure key. Only
// that the benchmark ran and checked its own results is asserted here, never how fast.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIGURE_KEYS, QUICK_FIGURE_KEYS } from '../bench/figure-keys.ts';

const ROOT = resolve(import.meta.dirname, '..');

describe('bench --quick', () => {
  it('runs the quick parts and writes every figure key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-bench-test-'));
    try {
      const out = join(dir, 'quick.json');
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--quick', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
      expect(r.status, r.stderr).toBe(0);
      const json = JSON.parse(readFileSync(out, 'utf8'));
      expect(json.quick).toBe(true);
      for (const key of ['cpuModel', 'cores', 'memoryBytes', 'nodeVersion', 'date', 'loadAverage']) expect(json.machine).toHaveProperty(key);
      for (const key of FIGURE_KEYS) expect(json.figures).toHaveProperty(key);
      for (const key of QUICK_FIGURE_KEYS) {
        expect(typeof json.figures[key], key).toBe('number');
        expect(Number.isFinite(json.figures[key]) && json.figures[key] > 0, key).toBe(true);
      }
      // The anchor is one OP_RETURN whatever the load: vbytes within a byte (DER signature length).
      const v = [json.figures.anchorVbytes1, json.figures.anchorVbytes100, json.figures.anchorVbytes10000];
      expect(Math.max(...v) - Math.min(...v)).toBeLessThanOrEqual(1);
      expect(json.details.vbytes.anchorOpReturnPayloadBytes).toBe(53);
      expect(json.details.disk.diskCommitments).toBe(1000);
      expect(r.stdout).toContain('load average');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
