// Static checks of the Docker devnet (devnet/docker-compose.yml, Dockerfile, .dockerignore,
// devnet/compose/*.sh). No Docker engine runs on our machines, so the stack itself is never
// started here; instead every `pantheon` command in the compose file is parsed against the
// real CLI's flag table, ports, host names and credentials are cross-checked between services,
// the genesis command it runs is run for real and verified, and the entrypoint scripts are run
// against a temporary shared directory.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseArgs } from 'node:util';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from '../node/cli/command.ts';
import { nodeCommand } from '../node/cli/node-commands.ts';
import { genesisHashCommand, genesisInit, genesisVerify } from '../node/cli/genesis-commands.ts';
import { parseBootstrap } from '../node/p2p/bootstrap.ts';

const REPO = resolve(import.meta.dirname, '..');
const COMPOSE_DIR = join(REPO, 'devnet');
const COMPOSE_FILE = join(COMPOSE_DIR, 'docker-compose.yml');
const PANTHEON = join(REPO, 'bin', 'pantheon.js');
/** The subcommands the compose file may run; names as `pantheon --help` lists them. */
const CLI: Command[] = [nodeCommand, genesisInit, genesisHashCommand, genesisVerify];
const BITCOIN_IMAGE = /^bitcoin\/bitcoin:\d+\.\d+(\.\d+)?$/;
const REGTEST_RPC_PORT = 18443;

type Doc = Record<string, any>;

// ---------------------------------------------------------------- loading and interpolation

/** Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR-default} and $$ for "$". */
function interpolate(text: string, env: Record<string, string>, defaults: Map<string, Set<string>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (whole, name?: string, op?: string, def?: string) => {
    if (whole === '$$') return '$';
    if (op !== undefined) {
      if (!defaults.has(name!)) defaults.set(name!, new Set());
      defaults.get(name!)!.add(def!);
    }
    const value = env[name!];
    if (op === ':-') return value ? value : def!;
    if (op === '-') return value !== undefined ? value : def!;
    return value ?? '';
  });
}

function deepInterpolate(value: unknown, env: Record<string, string>, defaults: Map<string, Set<string>>): unknown {
  if (typeof value === 'string') return interpolate(value, env, defaults);
  if (Array.isArray(value)) return value.map((v) => deepInterpolate(v, env, defaults));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepInterpolate(v, env, defaults)]));
  return value;
}

/** Parses compose text (YAML merge keys on, as compose does) and substitutes variables. */
function loadCompose(text: string, env: Record<string, string> = {}): { doc: Doc; problems: string[] } {
  const raw = parse(text, { merge: true });
  const defaults = new Map<string, Set<string>>();
  const doc = deepInterpolate(raw, env, defaults) as Doc;
  const problems: string[] = [];
  for (const [name, values] of defaults) {
    if (values.size > 1) problems.push(`variable ${name} has different defaults: ${[...values].join(', ')}`);
  }
  return { doc, problems };
}

// ---------------------------------------------------------------- service helpers

const services = (doc: Doc): Record<string, Doc> => doc.services ?? {};
const validatorNames = (doc: Doc) => Object.keys(services(doc)).filter((n) => /^validator-\d+$/.test(n)).sort();

function environment(s: Doc): Record<string, string> {
  const e = s.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv: string) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function tokens(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.trim().split(/\s+/);
  return (value as unknown[]).map(String);
}

/** The command line a service runs, with `sh -c "<script>"` split into words. */
function commandWords(s: Doc): string[] {
  const entry = tokens(s.entrypoint);
  const cmd = tokens(s.command);
  if (entry.length >= 2 && /(^|\/)(ba)?sh$/.test(entry[0]) && entry[1] === '-c') return cmd.flatMap((c) => c.split(/\s+/));
  return [...entry, ...cmd];
}

/** Every `pantheon` invocation in a service: the words after bin/pantheon.js up to a shell operator. */
function pantheonInvocations(s: Doc): string[][] {
  const words = commandWords(s);
  const out: string[][] = [];
  words.forEach((w, i) => {
    // bin/pantheon.js anywhere, or a `pantheon` binary in command position (not an argument value).
    const isPantheon = /(^|\/)bin\/pantheon\.js$/.test(w) || (w === 'pantheon' && (i === 0 || ['exec', 'npx'].includes(words[i - 1])));
    if (!isPantheon) return;
    const argv: string[] = [];
    for (const next of words.slice(i + 1)) {
      if (['||', '&&', ';', '|'].includes(next)) break;
      argv.push(next);
    }
    out.push(argv);
  });
  return out;
}

interface ParsedInvocation {
  command: Command;
  values: Record<string, any>;
  positionals: string[];
}

/** Parses argv the way `pantheon` does (node/cli/main.ts and command.ts), or says what is wrong. */
function parseInvocation(argv: string[]): ParsedInvocation | string {
  const command = CLI.filter((c) => c.name.split(' ').every((w, i) => argv[i] === w)).sort((a, b) => b.name.length - a.name.length)[0];
  if (!command) return `"pantheon ${argv.slice(0, 2).join(' ')}" is not a pantheon subcommand`;
  try {
    const parsed = parseArgs({ args: argv.slice(command.name.split(' ').length), options: command.options, allowPositionals: true, strict: true });
    const { min, max } = command.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < min || parsed.positionals.length > max) return `pantheon ${command.name}: ${parsed.positionals.length} arguments, expected ${min}-${max}`;
    return { command, values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    return `pantheon ${command.name}: ${(err as Error).message}`;
  }
}

function portOf(hostPort: string): number {
  return Number(/:(\d+)$/.exec(hostPort)?.[1]);
}

/** "28001:28000" or "127.0.0.1:28001:28000" -> host and container ports. */
function portMappings(s: Doc): { host: number; container: number }[] {
  return (s.ports ?? []).map((p: string | number) => {
    const parts = String(p).split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}

function flagValue(words: string[], flag: string): string | undefined {
  const hit = words.find((w) => w.startsWith(`${flag}=`));
  return hit?.slice(flag.length + 1);
}

function dependsOn(s: Doc): Record<string, { condition?: string }> {
  const d = s.depends_on ?? {};
  return Array.isArray(d) ? Object.fromEntries(d.map((n: string) => [n, { condition: 'service_started' }])) : d;
}

/** Services that must be healthy (directly or through others) before `name` starts. */
function healthyAncestors(doc: Doc, name: string, seen = new Set<string>()): Set<string> {
  for (const [dep, how] of Object.entries(dependsOn(services(doc)[name] ?? {}))) {
    if (how?.condition === 'service_healthy' && !seen.has(dep)) {
      seen.add(dep);
      healthyAncestors(doc, dep, seen);
    }
  }
  return seen;
}

function volumeMounts(s: Doc): { source: string; target: string; named: boolean }[] {
  return (s.volumes ?? []).map((v: string | Doc) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, named: v.type === 'volume' };
    const [source, target] = v.split(':');
    return { source, target, named: !/^[./~]/.test(source) };
  });
}

// ---------------------------------------------------------------- the checker

/** Everything wrong with a (substituted) compose document; empty when it is consistent. */
function checkCompose(doc: Doc): string[] {
  const problems: string[] = [];
  const svc = services(doc);
  const names = Object.keys(svc);
  const validators = validatorNames(doc);
  const declaredVolumes = new Set(Object.keys(doc.volumes ?? {}));

  // Images, builds, volumes, dependencies.
  for (const [name, s] of Object.entries(svc)) {
    if (!s.image && !s.build) problems.push(`${name}: neither image nor build`);
    if (s.image && !s.build && !/:[^/]+$/.test(s.image)) problems.push(`${name}: image ${s.image} is not pinned to a tag`);
    if (s.image && /:latest$/.test(s.image)) problems.push(`${name}: image ${s.image} uses :latest`);
    if (s.build) {
      const context = resolve(COMPOSE_DIR, typeof s.build === 'string' ? s.build : s.build.context ?? '.');
      const dockerfile = join(context, (typeof s.build === 'object' && s.build.dockerfile) || 'Dockerfile');
      if (!existsSync(dockerfile)) problems.push(`${name}: build needs ${dockerfile}, which does not exist`);
    }
    for (const m of volumeMounts(s)) {
      if (m.named && !declaredVolumes.has(m.source)) problems.push(`${name}: volume "${m.source}" is not declared under volumes:`);
      if (!m.named && !existsSync(resolve(COMPOSE_DIR, m.source))) problems.push(`${name}: bind mount ${m.source} does not exist`);
    }
    for (const [dep, how] of Object.entries(dependsOn(s))) {
      if (!svc[dep]) problems.push(`${name}: depends on unknown service ${dep}`);
      else if (how?.condition === 'service_healthy' && !svc[dep].healthcheck) problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      else if (how?.condition === 'service_completed_successfully' && svc[dep].restart && svc[dep].restart !== 'no') problems.push(`${name}: waits for one-shot ${dep}, which restarts`);
    }
    const t = s.healthcheck?.test;
    if (t !== undefined && !(Array.isArray(t) && ['CMD', 'CMD-SHELL'].includes(t[0])) && typeof t !== 'string') problems.push(`${name}: healthcheck.test must start with CMD or CMD-SHELL`);
  }
  for (const v of declaredVolumes) {
    if (!Object.values(svc).some((s) => volumeMounts(s).some((m) => m.named && m.source === v))) problems.push(`volume ${v} is declared but unused`);
  }

  // Every pantheon command is a real subcommand with real flags.
  const parsed = new Map<string, ParsedInvocation[]>();
  for (const [name, s] of Object.entries(svc)) {
    for (const argv of pantheonInvocations(s)) {
      const p = parseInvocation(argv);
      if (typeof p === 'string') problems.push(`${name}: ${p}`);
      else parsed.set(name, [...(parsed.get(name) ?? []), p]);
    }
  }

  // The genesis service creates what the validators use.
  const genesisRuns = [...parsed.entries()].flatMap(([name, ps]) => ps.filter((p) => p.command === genesisInit).map((p) => ({ name, p })));
  if (genesisRuns.length !== 1) problems.push(`expected one service running "pantheon genesis init", found ${genesisRuns.length}`);
  const out = genesisRuns[0]?.p.values.out as string | undefined;
  const count = Number(genesisRuns[0]?.p.values.validators);
  if (genesisRuns[0]) {
    const g = svc[genesisRuns[0].name];
    const words = commandWords(g);
    if (!words.includes(`${out}/genesis.json`)) problems.push(`${genesisRuns[0].name}: does not guard against an existing ${out}/genesis.json (genesis init refuses to overwrite; a second "up" would fail)`);
    if (!volumeMounts(g).some((m) => m.named && m.target === out)) problems.push(`${genesisRuns[0].name}: --out ${out} is not a named volume`);
    if (validators.length !== count) problems.push(`genesis has --validators ${count} but there are ${validators.length} validator services`);
  }

  // Validators.
  const hostPorts = new Set<number>();
  validators.forEach((name) => {
    const s = svc[name];
    const i = Number(name.split('-')[1]);
    const node = parsed.get(name)?.find((p) => p.command === nodeCommand);
    if (!node) {
      problems.push(`${name}: does not run "pantheon node"`);
      return;
    }
    const v = node.values;
    if (!s.healthcheck) problems.push(`${name}: no healthcheck`);
    if (v.data !== `${out}/${name}`) problems.push(`${name}: --data ${v.data} is not ${out}/${name} (with-peers.sh finds node.json by service name)`);
    if (v.genesis !== `${out}/genesis.json`) problems.push(`${name}: --genesis ${v.genesis} is not the genesis the genesis service writes`);
    if (v.key !== `${out}/validator-${i}.key`) problems.push(`${name}: --key ${v.key} is not ${out}/validator-${i}.key`);
    if (!volumeMounts(s).some((m) => m.named && m.target === out && m.source === volumeMounts(svc[genesisRuns[0]?.name] ?? {}).find((g) => g.target === out)?.source)) problems.push(`${name}: does not mount the genesis volume at ${out}`);
    const listen = (v.listen ?? []) as string[];
    if (!listen.some((l) => /^\/ip4\/0\.0\.0\.0\/tcp\/\d+$/.test(l))) problems.push(`${name}: --listen ${listen.join(',')} is not reachable from other containers (use /ip4/0.0.0.0/tcp/PORT)`);
    const httpPort = portOf(v.http);
    if (!/^0\.0\.0\.0:/.test(v.http)) problems.push(`${name}: --http ${v.http} is not reachable through a published port (use 0.0.0.0)`);
    const maps = portMappings(s);
    if (!maps.some((m) => m.container === httpPort)) problems.push(`${name}: --http port ${httpPort} is not published (ports: ${JSON.stringify(s.ports)})`);
    for (const m of maps) {
      if (hostPorts.has(m.host)) problems.push(`${name}: host port ${m.host} published twice`);
      hostPorts.add(m.host);
    }
    const health = JSON.stringify(s.healthcheck?.test ?? '');
    const url = /https?:\/\/([^/'"]+)\/v1\/status/.exec(health);
    if (!url) problems.push(`${name}: healthcheck does not query /v1/status`);
    else if (portOf(url[1]) !== httpPort) problems.push(`${name}: healthcheck queries port ${portOf(url[1])}, --http is ${httpPort}`);
    // Peers: the entrypoint turns PEERS_BEFORE/PEERS_AFTER into --peer /dns4/<service>/... flags.
    const entry = tokens(s.entrypoint);
    const script = entry.find((w) => w.endsWith('with-peers.sh'));
    if (!script) problems.push(`${name}: entrypoint does not add peers (devnet/compose/with-peers.sh)`);
    else if (!existsSync(join(REPO, script))) problems.push(`${name}: entrypoint ${script} is not in the repository (the image has the repo at its WORKDIR)`);
    const env = environment(s);
    const before = tokens(env.PEERS_BEFORE).filter(Boolean);
    const after = tokens(env.PEERS_AFTER).filter(Boolean);
    for (const p of [...before, ...after]) if (!validators.includes(p)) problems.push(`${name}: peer ${p} is not a validator service`);
    const others = validators.filter((o) => o !== name);
    const listed = [...before, ...after].sort();
    if (JSON.stringify(listed) !== JSON.stringify(others)) problems.push(`${name}: peers ${listed.join(' ')} should be exactly the other validators ${others.join(' ')}`);
    const ready = healthyAncestors(doc, name);
    for (const p of before) if (!ready.has(p)) problems.push(`${name}: waits for ${p}'s node.json but does not depend on ${p} being healthy`);
    if ((parsed.get(name) ?? []).some((p) => p.values.peer)) problems.push(`${name}: --peer is set in the compose file; with-peers.sh adds it`);
  });
  const listenPorts = new Set(validators.map((n) => ((parsed.get(n)?.[0]?.values.listen ?? []) as string[]).map((l) => /tcp\/(\d+)/.exec(l)?.[1]).join()));
  if (listenPorts.size > 1) problems.push(`validators listen on different P2P ports (${[...listenPorts].join(' / ')})`);

  // Bitcoin: one anchorer, pointed at the bitcoind service with its credentials.
  const bitcoindName = names.find((n) => BITCOIN_IMAGE.test(svc[n].image ?? '') && !svc[n].entrypoint);
  if (!bitcoindName) {
    problems.push('no bitcoind service (image bitcoin/bitcoin:<version>)');
    return problems;
  }
  const b = svc[bitcoindName];
  const bWords = tokens(b.command);
  const regtest = bWords.includes('-regtest') || bWords.includes('-regtest=1') || bWords.includes('-chain=regtest');
  if (!regtest) problems.push(`${bitcoindName}: not in regtest`);
  const rpcPort = Number(flagValue(bWords, '-rpcport') ?? REGTEST_RPC_PORT);
  const rpcUser = flagValue(bWords, '-rpcuser');
  const rpcPassword = flagValue(bWords, '-rpcpassword');
  if (!rpcUser || !rpcPassword) problems.push(`${bitcoindName}: no -rpcuser/-rpcpassword`);
  if (!bWords.includes('-server')) problems.push(`${bitcoindName}: -server is missing (no RPC)`);
  if (!bWords.includes('-txindex') && !bWords.includes('-txindex=1')) problems.push(`${bitcoindName}: -txindex is missing (the anchorer looks up confirmed transactions)`);
  if (!flagValue(bWords, '-rpcbind')) problems.push(`${bitcoindName}: RPC only on localhost; other containers cannot reach it (-rpcbind)`);
  if (!volumeMounts(b).some((m) => m.named && m.target === '/home/bitcoin/.bitcoin')) problems.push(`${bitcoindName}: chain data is not on a volume`);
  const bHealth = tokens(b.healthcheck?.test);
  if (!bHealth.includes('bitcoin-cli') || !bHealth.includes('getblockchaininfo')) problems.push(`${bitcoindName}: healthcheck is not bitcoin-cli getblockchaininfo`);
  else {
    if (!bHealth.includes('-regtest')) problems.push(`${bitcoindName}: healthcheck bitcoin-cli is not -regtest`);
    if (Number(flagValue(bHealth, '-rpcport') ?? REGTEST_RPC_PORT) !== rpcPort) problems.push(`${bitcoindName}: healthcheck uses another RPC port`);
    if (flagValue(bHealth, '-rpcuser') !== rpcUser || flagValue(bHealth, '-rpcpassword') !== rpcPassword) problems.push(`${bitcoindName}: healthcheck credentials differ from bitcoind's`);
  }

  const anchorers = [...parsed.entries()].filter(([, ps]) => ps.some((p) => p.values['bitcoin-rpc'] !== undefined));
  if (anchorers.length !== 1) problems.push(`expected exactly one anchoring validator, found ${anchorers.length}`);
  let anchorDataDir: string | undefined;
  for (const [name, ps] of anchorers) {
    const v = ps.find((p) => p.values['bitcoin-rpc'] !== undefined)!.values;
    anchorDataDir = v.data;
    let url: URL | undefined;
    try {
      url = new URL(v['bitcoin-rpc']);
    } catch {
      problems.push(`${name}: --bitcoin-rpc ${v['bitcoin-rpc']} is not a URL`);
    }
    if (url) {
      if (url.hostname !== bitcoindName) problems.push(`${name}: --bitcoin-rpc host ${url.hostname} is not the bitcoind service "${bitcoindName}"`);
      if (Number(url.port || 80) !== rpcPort) problems.push(`${name}: --bitcoin-rpc port ${url.port} is not bitcoind's -rpcport ${rpcPort}`);
    }
    if (v['bitcoin-rpc-user'] !== rpcUser) problems.push(`${name}: --bitcoin-rpc-user ${v['bitcoin-rpc-user']} differs from bitcoind's -rpcuser`);
    if (v['bitcoin-rpc-password'] !== rpcPassword) problems.push(`${name}: --bitcoin-rpc-password differs from bitcoind's -rpcpassword`);
    if ((v['bitcoin-network'] === 'regtest') !== regtest) problems.push(`${name}: --bitcoin-network ${v['bitcoin-network']} does not match bitcoind`);
    if (dependsOn(svc[name])[bitcoindName]?.condition !== 'service_healthy') problems.push(`${name}: anchors but does not wait for ${bitcoindName} to be healthy`);
  }

  // The miner: bitcoin-cli against the same bitcoind, paying validator 0's anchor address.
  const minerName = names.find((n) => n !== bitcoindName && tokens(svc[n].entrypoint).some((w) => w.endsWith('miner.sh')));
  if (!minerName) problems.push('no miner service (entrypoint compose/miner.sh)');
  else {
    const m = svc[minerName];
    const env = environment(m);
    if (env.BITCOIN_RPC_HOST !== bitcoindName) problems.push(`${minerName}: BITCOIN_RPC_HOST ${env.BITCOIN_RPC_HOST} is not the bitcoind service`);
    if (Number(env.BITCOIN_RPC_PORT) !== rpcPort) problems.push(`${minerName}: BITCOIN_RPC_PORT ${env.BITCOIN_RPC_PORT} is not bitcoind's -rpcport ${rpcPort}`);
    if (env.BITCOIN_RPC_USER !== rpcUser || env.BITCOIN_RPC_PASSWORD !== rpcPassword) problems.push(`${minerName}: RPC credentials differ from bitcoind's`);
    if (anchorDataDir && env.ANCHOR_NODE_JSON !== `${anchorDataDir}/node.json`) problems.push(`${minerName}: ANCHOR_NODE_JSON ${env.ANCHOR_NODE_JSON} is not the anchorer's ${anchorDataDir}/node.json`);
    if (!(Number(env.FUNDING_BLOCKS) >= 101)) problems.push(`${minerName}: FUNDING_BLOCKS ${env.FUNDING_BLOCKS} leaves no mature coinbase (needs > 100)`);
    if (!volumeMounts(m).some((v) => v.named && v.target === out)) problems.push(`${minerName}: does not mount the shared volume at ${out}`);
    for (const a of anchorers) if (dependsOn(m)[a[0]]?.condition !== 'service_healthy') problems.push(`${minerName}: does not wait for ${a[0]} (its node.json holds the address)`);
  }
  return problems;
}

// ---------------------------------------------------------------- tests

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const loaded = loadCompose(composeText);
const doc = loaded.doc;

function mutated(edit: (d: Doc) => void): Doc {
  const copy = structuredClone(doc);
  edit(copy);
  return copy;
}

function cli(args: string[], cwd = REPO) {
  return spawnSync(process.execPath, [PANTHEON, ...args], { cwd, encoding: 'utf8' });
}

describe('devnet/docker-compose.yml', () => {
  it('has the services of the devnet, each with an image or a build', () => {
    expect(Object.keys(services(doc)).sort()).toEqual(['bitcoind', 'genesis', 'miner', 'validator-0', 'validator-1', 'validator-2', 'validator-3']);
    expect(services(doc).bitcoind.image).toMatch(BITCOIN_IMAGE);
    // The YAML merge key really applied the validator template.
    for (const v of validatorNames(doc)) expect(services(doc)[v].build?.dockerfile).toBe('Dockerfile');
    expect(loaded.problems).toEqual([]);
  });

  it('passes every consistency check', () => {
    expect(checkCompose(doc)).toEqual([]);
  });

  it('still agrees when the RPC credentials come from the environment', () => {
    const env = { BITCOIN_RPC_USER: 'alice', BITCOIN_RPC_PASSWORD: 's3cret-from-env' };
    const { doc: d, problems } = loadCompose(composeText, env);
    expect(problems).toEqual([]);
    expect(services(d).bitcoind.command).toContain('-rpcpassword=s3cret-from-env');
    expect(environment(services(d).miner).BITCOIN_RPC_USER).toBe('alice');
    expect(checkCompose(d)).toEqual([]);
  });

  it('runs validators on the published HTTP ports 28000-28003', () => {
    const published = validatorNames(doc).flatMap((n) => portMappings(services(doc)[n]).map((m) => m.host));
    expect(published).toEqual([28000, 28001, 28002, 28003]);
  });
});

describe('the checker catches a broken compose file', () => {
  const cases: [string, (d: Doc) => void, RegExp][] = [
    ['a bogus flag', (d) => d.services['validator-2'].command.push('--bogus-flag', 'x'), /validator-2: pantheon node: Unknown option '--bogus-flag'/],
    ['a misspelt flag', (d) => (d.services['validator-1'].command[d.services['validator-1'].command.indexOf('--http')] = '--htp'), /validator-1: pantheon node: Unknown option '--htp'/],
    ['an unknown subcommand', (d) => (d.services.genesis.command = [d.services.genesis.command[0].replace('genesis init', 'genesis create')]), /"pantheon genesis create" is not a pantheon subcommand/],
    ['a flag missing its value', (d) => d.services['validator-3'].command.push('--listen'), /validator-3: pantheon node: Option '--listen <value>' argument missing/],
    ['a wrong RPC password on the anchorer', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c[c.indexOf('--bitcoin-rpc-password') + 1] = 'wrong';
    }, /validator-0: --bitcoin-rpc-password differs/],
    ['a wrong RPC host', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c[c.indexOf('--bitcoin-rpc') + 1] = 'http://bitcoin:18443';
    }, /--bitcoin-rpc host bitcoin is not the bitcoind service/],
    ['a wrong RPC port', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c[c.indexOf('--bitcoin-rpc') + 1] = 'http://bitcoind:8332';
    }, /--bitcoin-rpc port 8332 is not bitcoind's -rpcport 18443/],
    ['a miner with other credentials', (d) => (d.services.miner.environment.BITCOIN_RPC_USER = 'bob'), /miner: RPC credentials differ/],
    ['a peer that is not a service', (d) => (d.services['validator-2'].environment.PEERS_BEFORE = 'validator-0 validator-9'), /validator-2: peer validator-9 is not a validator service/],
    ['a peer waited for without a dependency', (d) => (d.services['validator-1'].depends_on = { genesis: { condition: 'service_completed_successfully' } }), /validator-1: waits for validator-0's node.json but does not depend on validator-0/],
    ['an unpublished HTTP port', (d) => (d.services['validator-1'].ports = ['28001:28001']), /validator-1: --http port 28000 is not published/],
    ['a healthcheck on the wrong port', (d) => {
      d.services['validator-3'].healthcheck = structuredClone(d.services['validator-3'].healthcheck);
      d.services['validator-3'].healthcheck.test[3] = d.services['validator-3'].healthcheck.test[3].replace('28000', '28003');
    }, /validator-3: healthcheck queries port 28003/],
    ['a missing healthcheck', (d) => delete d.services['validator-1'].healthcheck, /validator-2: waits for validator-1 to be healthy, but validator-1 has no healthcheck/],
    ['an undeclared volume', (d) => delete d.volumes.bitcoin, /bitcoind: volume "bitcoin" is not declared/],
    ['a data directory not named after the service', (d) => {
      const c: string[] = d.services['validator-2'].command;
      c[c.indexOf('--data') + 1] = '/devnet/v2';
    }, /validator-2: --data \/devnet\/v2 is not \/devnet\/validator-2/],
    ['too many validators in genesis', (d) => (d.services.genesis.command = [d.services.genesis.command[0].replace('--validators 4', '--validators 5')]), /genesis has --validators 5 but there are 4 validator services/],
    ['an unpinned bitcoind image', (d) => (d.services.bitcoind.image = 'bitcoin/bitcoin:latest'), /bitcoind: image bitcoin\/bitcoin:latest uses :latest/],
  ];
  for (const [what, edit, expected] of cases) {
    it(`finds ${what}`, () => {
      const problems = checkCompose(mutated(edit));
      expect(problems.join('\n')).toMatch(expected);
    });
  }

  it('finds a variable with two different defaults', () => {
    const text = composeText.replace('--bitcoin-rpc-password\n      - ${BITCOIN_RPC_PASSWORD:-pantheon-devnet}', '--bitcoin-rpc-password\n      - ${BITCOIN_RPC_PASSWORD:-other}');
    expect(text).not.toBe(composeText);
    const { doc: d, problems } = loadCompose(text);
    expect(problems.join('\n')).toMatch(/BITCOIN_RPC_PASSWORD has different defaults/);
    expect(checkCompose(d).join('\n')).toMatch(/--bitcoin-rpc-password differs/);
  });
});

describe('the genesis service', () => {
  it('creates a valid genesis with the keys the validators use, once', () => {
    const g = services(doc).genesis;
    const script = tokens(g.command).join(' ');
    const out = (parseInvocation(pantheonInvocations(g)[0]) as ParsedInvocation).values.out as string;
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-compose-genesis-'));
    try {
      // The very shell command the service runs, with the volume path pointed at a temp dir.
      const local = script.split(out).join(dir);
      const first = spawnSync('sh', ['-c', local], { cwd: REPO, encoding: 'utf8' });
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      const genesisBefore = readFileSync(join(dir, 'genesis.json'), 'utf8');
      // A second `up` must not fail or replace the genesis.
      const second = spawnSync('sh', ['-c', local], { cwd: REPO, encoding: 'utf8' });
      expect(second.status).toBe(0);
      expect(readFileSync(join(dir, 'genesis.json'), 'utf8')).toBe(genesisBefore);

      const verify = cli(['genesis', 'verify', join(dir, 'genesis.json'), '--json']);
      expect(verify.status).toBe(0);
      const summary = JSON.parse(verify.stdout);
      expect(summary.valid).toBe(true);
      expect(summary.validators).toBe(validatorNames(doc).length);
      for (const name of validatorNames(doc)) {
        const node = parseInvocation(pantheonInvocations(services(doc)[name])[0]) as ParsedInvocation;
        expect(existsSync(node.values.key.replace(out, dir))).toBe(true);
        expect(node.values.genesis.replace(out, dir)).toBe(join(dir, 'genesis.json'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// Real-format node.json files (what `pantheon node` writes) with real libp2p peer ids.
const PEER_IDS = ['12D3KooWCm3FR47cuMYf2QCMpDnbz7WtBRDJpYAMdg5bjmHiFNcX', '12D3KooWDiU8JiFJjkPkBpHSkXm6SitCaxmZwYbyzdDr2k5ExHaV'];
function writeNodeJson(shared: string, service: string, peerId: string, ip: string, anchorAddress: string | null = null) {
  mkdirSync(join(shared, service), { recursive: true });
  const info = { pid: 7, http: 'http://0.0.0.0:28000', peerId, addresses: [`/ip4/127.0.0.1/tcp/27000/p2p/${peerId}`, `/ip4/${ip}/tcp/27000/p2p/${peerId}`], anchorAddress };
  writeFileSync(join(shared, service, 'node.json'), JSON.stringify(info, null, 2) + '\n');
}

describe('devnet/compose scripts', () => {
  it('parse with bash -n', () => {
    for (const script of ['with-peers.sh', 'miner.sh']) {
      const r = spawnSync('bash', ['-n', join(COMPOSE_DIR, 'compose', script)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('with-peers.sh turns the other validators\' node.json into /dns4/<service> --peer flags the node accepts', () => {
    const shared = mkdtempSync(join(tmpdir(), 'pantheon-compose-peers-'));
    try {
      writeNodeJson(shared, 'validator-0', PEER_IDS[0], '172.18.0.3');
      writeNodeJson(shared, 'validator-1', PEER_IDS[1], '172.18.0.4');
      // validator-3 has not run yet: no node.json, and validator-2 must not wait for it.
      const env = { ...process.env, ...environment(services(doc)['validator-2']), PANTHEON_SHARED: shared, PEER_WAIT_SECONDS: '2' };
      const r = spawnSync('bash', [join(REPO, 'devnet/compose/with-peers.sh'), 'printf', '%s\n', 'node', '--data', 'x'], { env, encoding: 'utf8' });
      expect(r.status).toBe(0);
      const argv = r.stdout.trim().split('\n');
      const peers = argv.filter((_, i) => argv[i - 1] === '--peer');
      expect(argv.slice(0, 3)).toEqual(['node', '--data', 'x']);
      expect(peers).toEqual([`/dns4/validator-0/tcp/27000/p2p/${PEER_IDS[0]}`, `/dns4/validator-1/tcp/27000/p2p/${PEER_IDS[1]}`]);
      // The node's own bootstrap parser accepts them.
      expect(parseBootstrap(peers, 'someone-else').map((p) => p.peerId.toString())).toEqual(PEER_IDS);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('with-peers.sh gives up with a clear message when an earlier validator never writes node.json', () => {
    const shared = mkdtempSync(join(tmpdir(), 'pantheon-compose-peers-'));
    try {
      const env = { ...process.env, PEERS_BEFORE: 'validator-0', PEERS_AFTER: '', PANTHEON_SHARED: shared, PEER_WAIT_SECONDS: '1' };
      const r = spawnSync('bash', [join(REPO, 'devnet/compose/with-peers.sh'), 'true'], { env, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/no usable .*validator-0\/node\.json after 1s; is validator-0 running\?/);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('miner.sh funds the anchor address from node.json, then mines block by block (bitcoin-cli stand-in)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-compose-miner-'));
    try {
      const minerEnv = environment(services(doc).miner);
      const shared = join(dir, 'devnet');
      const address = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
      writeNodeJson(shared, 'validator-0', PEER_IDS[0], '172.18.0.3', address);
      // A labelled test double for bitcoin-cli: logs its arguments, reports height 0. The real
      // bitcoin-cli is not installed here; this only checks what the script asks of it.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const log = join(dir, 'calls.log');
      writeFileSync(join(bin, 'bitcoin-cli'), `#!/usr/bin/env bash\necho "$*" >> '${log}'\ncase " $* " in *" getblockcount "*) echo 0;; *" generatetoaddress "*) echo '[]';; esac\n`);
      chmodSync(join(bin, 'bitcoin-cli'), 0o755);
      const env = { ...process.env, ...minerEnv, ANCHOR_NODE_JSON: minerEnv.ANCHOR_NODE_JSON.replace('/devnet', shared), BLOCK_SECONDS: '0.1', PATH: `${bin}:${process.env.PATH}` };
      const child = spawn('bash', [join(REPO, 'devnet/compose/miner.sh')], { env, stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
      while (calls().filter((c) => c.includes('generatetoaddress 1 ')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGTERM');
      const lines = calls();
      const rpc = `-regtest -rpcwait -rpcconnect=${minerEnv.BITCOIN_RPC_HOST} -rpcport=${minerEnv.BITCOIN_RPC_PORT} -rpcuser=${minerEnv.BITCOIN_RPC_USER} -rpcpassword=${minerEnv.BITCOIN_RPC_PASSWORD}`;
      expect(lines[0]).toBe(`${rpc} getblockcount`);
      expect(lines[1]).toBe(`${rpc} generatetoaddress ${minerEnv.FUNDING_BLOCKS} ${address}`);
      expect(lines[2]).toBe(`${rpc} generatetoaddress 1 ${address}`);
      expect(lines[3]).toBe(`${rpc} generatetoaddress 1 ${address}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

  it('builds on node:22-bookworm-slim with npm ci, compiles after the sources are copied, and runs the CLI', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.at(-1)).toMatch(/^FROM node:22-bookworm-slim\b/);
    // The build stage uses the same Debian release, so native modules it compiles load at runtime.
    for (const f of froms) expect(f).toMatch(/^FROM node:22-bookworm(-slim)?\b/);
    expect(instructions.some((l) => /^RUN npm ci\b/.test(l))).toBe(true);
    // dist/ is built from the copied sources, and the runtime stage takes it.
    const buildAt = instructions.findIndex((l) => /^RUN npm run build\b/.test(l));
    const sourcesAt = instructions.findIndex((l) => /^COPY \. \./.test(l));
    expect(sourcesAt).toBeGreaterThanOrEqual(0);
    expect(buildAt).toBeGreaterThan(sourcesAt);
    expect(instructions.some((l) => /^COPY --from=\S+ \/app\/dist \.\/dist/.test(l))).toBe(true);
    expect(instructions.some((l) => /^COPY package\.json package-lock\.json /.test(l))).toBe(true);
    const entry = instructions.find((l) => l.startsWith('ENTRYPOINT '))!;
    expect(JSON.parse(entry.slice('ENTRYPOINT '.length))).toEqual(['node', 'bin/pantheon.js']);
    expect(existsSync(join(REPO, 'bin/pantheon.js'))).toBe(true);
    // The image's WORKDIR is where the compose entrypoint and pantheon paths are relative to.
    expect(instructions.filter((l) => l.startsWith('WORKDIR ')).at(-1)).toBe('WORKDIR /app');
    expect(readFileSync(join(REPO, 'package.json'), 'utf8')).toMatch(/"node": ">=22/);
  });

  it('.dockerignore keeps out node_modules, .devnet and .git, and nothing the image needs', () => {
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', '.devnet', '.git']) expect(ignored).toContain(p);
    for (const needed of ['bin', 'devnet', 'devnet/compose', 'package.json', 'package-lock.json', 'node', 'protocol', 'anchor', 'Dockerfile']) {
      expect(ignored.some((p) => p === needed || needed.startsWith(`${p}/`))).toBe(false);
    }
  });
});
