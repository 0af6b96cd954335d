// `pantheon` as a new user meets it: help for every subcommand, genesis init/hash/verify,
// keys, and broken genesis files rejected with messages that say what is wrong and where.
import { mkdtempSync, readFileSync, writeFileSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-cli-'));

describe('pantheon CLI', () => {
  it('lists every subcommand, and each has --help', () => {
    const top = pantheon(['--help']);
    expect(top.code).toBe(0);
    const names = [...top.stdout.matchAll(/^  ([a-z]+(?: [a-z]+)?)\s{2,}/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(['genesis init', 'genesis hash', 'genesis verify', 'keys new', 'keys show']));
    for (const name of names) {
      const r = pantheon([...name.split(' '), '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(/Usage: pantheon /);
    }
  });

  it('reports an unknown command or flag on stderr with a non-zero exit', () => {
    const unknown = pantheon(['frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const badFlag = pantheon(['genesis', 'init', '--validators', '4', '--out', dir, '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--bogus/);
    const badCount = pantheon(['genesis', 'init', '--validators', 'four', '--out', dir]);
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toMatch(/--validators must be an integer/);
  });

  it('genesis init writes a valid genesis and 0600 key files; hash and verify agree', () => {
    const out = join(dir, 'net');
    const init = pantheon(['genesis', 'init', '--validators', '4', '--out', out, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const result = JSON.parse(init.stdout);
    expect(result.validatorKeys).toHaveLength(4);
    for (const key of [...result.validatorKeys, result.treasuryKey]) expect(statSync(key).mode & 0o777).toBe(0o600);
    const hash = pantheon(['genesis', 'hash', result.genesis]);
    expect(hash.code).toBe(0);
    expect(hash.stdout.trim()).toBe(result.genesisHash);
    expect(hash.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const verify = pantheon(['genesis', 'verify', result.genesis]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/valid/);
    expect(verify.stdout).toMatch(/exactly 5,000,000,000 PAN/);
    const again = pantheon(['genesis', 'init', '--validators', '4', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    const show = pantheon(['keys', 'show', result.treasuryKey]);
    expect(show.stdout.trim()).toBe(result.treasuryAddress);
  });

  it('rejects broken genesis files with messages that say what and where', () => {
    const out = join(dir, 'broken');
    const init = JSON.parse(pantheon(['genesis', 'init', '--validators', '2', '--out', out, '--json']).stdout);
    const good = JSON.parse(readFileSync(init.genesis, 'utf8'));
    const cases: [string, (g: any) => void, RegExp][] = [
      ['supply short', (g) => (g.allocations[0].amount = (BigInt(g.allocations[0].amount) - 1n).toString()), /add up to 499999999999999999 base units.*1 too few/],
      ['float amount', (g) => (g.allocations[0].amount = 5e17), /allocations\[0\]\.amount: must be a decimal string/],
      ['negative', (g) => (g.allocations[0].amount = '-1'), /negative amounts/],
      ['fraction', (g) => (g.allocations[0].amount = '1.5'), /fractional amounts/],
      ['duplicate validator', (g) => g.validators.push({ ...g.validators[0], name: 'copy' }), /validators\[2\]\.publicKey: duplicate of validators\[0\]/],
      ['zero power', (g) => (g.validators[1].power = '0'), /validators\[1\]\.power: voting power must be at least 1/],
      ['unknown field', (g) => (g.inflation = '2%'), /unknown field "inflation"/],
      ['bad key', (g) => (g.validators[0].publicKey = 'abcd'), /validators\[0\]\.publicKey: malformed ML-DSA-65 public key/],
    ];
    for (const [name, mutate, message] of cases) {
      const g = structuredClone(good);
      mutate(g);
      const path = join(out, `${name.replace(/ /g, '-')}.json`);
      writeFileSync(path, JSON.stringify(g));
      for (const cmd of ['verify', 'hash']) {
        const r = pantheon(['genesis', cmd, path]);
        expect(r.code, `${name} ${cmd}`).toBe(1);
        expect(r.stderr, name).toMatch(message);
        expect(r.stdout).toBe('');
      }
    }
    const notJson = join(out, 'not.json');
    writeFileSync(notJson, '{ "chainId": ');
    expect(pantheon(['genesis', 'verify', notJson]).stderr).toMatch(/not\.json: not valid JSON/);
    expect(pantheon(['genesis', 'verify', join(out, 'missing.json')]).stderr).toMatch(/file not found/);
  });

  it('refuses a version 1 genesis and a duplicate member, saying what to do', () => {
    const out = join(dir, 'v1');
    const init = JSON.parse(pantheon(['genesis', 'init', '--validators', '1', '--out', out, '--json']).stdout);
    const good = JSON.parse(readFileSync(init.genesis, 'utf8'));
    const { version: _version, bitcoin: _bitcoin, ...v1 } = good;
    const v1Path = join(out, 'v1.json');
    writeFileSync(v1Path, JSON.stringify(v1));
    const old = pantheon(['genesis', 'verify', v1Path]);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/v1\.json: genesis version: this is a version 1 genesis .*add "version": 3, a "bitcoin" section and params "heartbeatMs" and "anchorIntervalSeconds"/);
    // Version 2 (before issue 29): no heartbeat, anchoring by block count; refused by name, with the way forward.
    const { heartbeatMs: _h, anchorIntervalSeconds: _a, ...v2params } = good.params;
    const v2Path = join(out, 'v2.json');
    writeFileSync(v2Path, JSON.stringify({ ...good, version: 2, params: v2params }));
    const v2 = pantheon(['genesis', 'verify', v2Path]);
    expect(v2.code).toBe(1);
    expect(v2.stderr).toMatch(/v2\.json: genesis version: this is a version 2 genesis .*set "version": 3 and add "heartbeatMs" and "anchorIntervalSeconds" to "params"/);
    // Two members of one name: JSON.parse would keep the last; the reader refuses the file.
    const dup = join(out, 'dup.json');
    writeFileSync(dup, JSON.stringify(good, null, 2).replace('"chainId":', '"chainId": "pantheon-other-1",\n  "chainId":'));
    const dupResult = pantheon(['genesis', 'verify', dup]);
    expect(dupResult.code).toBe(1);
    expect(dupResult.stderr).toMatch(/dup\.json: duplicate member "chainId" in the object at \(top level\)/);
  }, 180_000);

  it('genesis init names the Bitcoin network; mainnet needs a checkpoint', () => {
    const noCheckpoint = pantheon(['genesis', 'init', '--validators', '1', '--out', join(dir, 'main0'), '--bitcoin-network', 'mainnet']);
    expect(noCheckpoint.code).toBe(2);
    expect(noCheckpoint.stderr).toMatch(/a mainnet genesis needs --bitcoin-checkpoint HEIGHT:HASH:BITS/);
    const out = join(dir, 'main1');
    const checkpoint = '840000:0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5:17034219';
    const init = pantheon(['genesis', 'init', '--validators', '1', '--out', out, '--bitcoin-network', 'mainnet', '--bitcoin-checkpoint', checkpoint, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const g = JSON.parse(readFileSync(JSON.parse(init.stdout).genesis, 'utf8'));
    expect(g.version).toBe(3);
    expect(g.bitcoin).toEqual({ network: 'mainnet', checkpoint: { height: 840000, hash: '0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5', bits: '17034219' } });
    const verify = pantheon(['genesis', 'verify', join(out, 'genesis.json')]);
    expect(verify.stdout).toMatch(/bitcoin +anchors into mainnet; work floor from checkpoint 840000 0{19}320283a0/);
  }, 180_000);

  it('genesis init sets the heartbeat and the anchor interval; bad values are usage errors', () => {
    const out = join(dir, 'idle');
    const defaults = JSON.parse(readFileSync(JSON.parse(pantheon(['genesis', 'init', '--validators', '1', '--out', join(dir, 'idle-default'), '--json']).stdout).genesis, 'utf8'));
    expect([defaults.params.heartbeatMs, defaults.params.anchorIntervalSeconds]).toEqual([120_000, 600]);
    const init = pantheon(['genesis', 'init', '--validators', '1', '--out', out, '--heartbeat-seconds', '2.5', '--anchor-interval-seconds', '30', '--json']);
    expect(init.code, init.stderr).toBe(0);
    const g = JSON.parse(readFileSync(JSON.parse(init.stdout).genesis, 'utf8'));
    expect([g.params.heartbeatMs, g.params.anchorIntervalSeconds]).toEqual([2500, 30]);
    const tooShort = pantheon(['genesis', 'init', '--validators', '1', '--out', join(dir, 'idle2'), '--heartbeat-seconds', '0.1']);
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toMatch(/--heartbeat-seconds must be a number of seconds from 0\.5 to 86400/);
    const zero = pantheon(['genesis', 'init', '--validators', '1', '--out', join(dir, 'idle3'), '--anchor-interval-seconds', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--anchor-interval-seconds must be an integer from 1 to 86400/);
  }, 180_000);

  it('keys new never overwrites, and a readable key file is refused', () => {
    const path = join(dir, 'operator.key');
    const made = pantheon(['keys', 'new', '--out', path, '--json']);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).address).toMatch(/^pan1[0-9a-z]{58}$/);
    expect(pantheon(['keys', 'new', '--out', path]).stderr).toMatch(/refusing to overwrite/);
    chmodSync(path, 0o644);
    const shown = pantheon(['keys', 'show', path]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/readable by group or others.*chmod 600/);
  });
});
