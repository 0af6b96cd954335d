// Static checks of the Docker devnet (devnet/docker-compose.yml and its bcoin variant
// docker-compose.bcoin.yml, Dockerfile, .dockerignore, devnet/compose/). They run in `npm test`
// without an engine; test/compose/devnet-docker.test.ts (`npm run test:compose`) starts the
// stack for real. Here every `pantheon` command in the compose file is parsed against the
// real CLI's flag table; ports (loopback only), host names and the cookie credentials are
// cross-checked between services; bitcoind's flags are each justified (dead ones refused); the
// genesis command it runs is run for real and verified; the entrypoint script is run against a
// temporary shared directory, and the miner against a real bcoin with a cookie file.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseArgs } from 'node:util';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from '../node/cli/command.ts';
import { nodeCommand } from '../node/cli/node-commands.ts';
import { genesisHashCommand, genesisInit, genesisVerify } from '../node/cli/genesis-commands.ts';
import { parseBootstrap } from '../node/p2p/bootstrap.ts';
import { BitcoinRpc } from '../anchor/node/rpc.ts';
import { freePort } from '../anchor/node/regtest-node.ts';
import { keyFromPrivateKey } from '../anchor/node/wallet.ts';
import { waitFor } from '../devnet/processes.ts';
import { address as bitcoinAddress, Block, networks, payments } from 'bitcoinjs-lib';

const REPO = resolve(import.meta.dirname, '..');
const COMPOSE_DIR = join(REPO, 'devnet');
const COMPOSE_FILE = join(COMPOSE_DIR, 'docker-compose.yml');
const PANTHEON = join(REPO, 'bin', 'pantheon.js');
/** The subcommands the compose file may run; names as `pantheon --help` lists them. */
const CLI: Command[] = [nodeCommand, genesisInit, genesisHashCommand, genesisVerify];
const BITCOIN_IMAGE = /^bitcoin\/bitcoin:\d+\.\d+(\.\d+)?$/;
const REGTEST_RPC_PORT = 18443;
const BCOIN_FILE = join(COMPOSE_DIR, 'docker-compose.bcoin.yml');
/** The Dockerfile stage of the bcoin image (devnet/docker-compose.bcoin.yml). */
const BCOIN_TARGET = 'bcoin';
/** Bitcoin Core's data directory in its image; the bcoin image uses the same, cookie included. */
const BITCOIN_DATADIR = '/home/bitcoin/.bitcoin';
/** bitcoind flags the devnet needs, each with its reason; any other flag is refused. */
const BITCOIND_FLAGS: Record<string, string> = {
  '-regtest': 'a private chain the miner controls',
  '-server': 'serves JSON-RPC',
  '-printtoconsole': 'logs to docker logs',
  '-txindex': 'getrawtransaction on confirmed anchor transactions',
  '-rpcbind': 'RPC on the compose network, not only inside the container',
  '-rpcallowip': 'lets the other containers in',
  '-rpcport': 'the port the anchorer and the miner dial',
};
/** Flags that once were here and do nothing for this devnet. */
const DEAD_FLAGS: Record<string, string> = {
  '-fallbackfee': 'it sets the fee of bitcoind\'s own wallet, which the anchorer never uses (it signs with its own key and picks its fee, anchor/node/wallet.ts)',
  '-paytxfee': 'a wallet setting; the anchorer has no bitcoind wallet',
  '-wallet': 'the anchorer has no bitcoind wallet',
};
/** Flags that would put an RPC credential on a command line (visible in ps and docker inspect). */
const CREDENTIAL_FLAGS = ['-rpcuser', '-rpcpassword'];

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
function loadCompose(text: string, env: Record<string, string> = {}, defaults = new Map<string, Set<string>>()): { doc: Doc; problems: string[] } {
  const raw = parse(text, { merge: true });
  const doc = deepInterpolate(raw, env, defaults) as Doc;
  const problems: string[] = [];
  for (const [name, values] of defaults) {
    if (values.size > 1) problems.push(`variable ${name} has different defaults: ${[...values].join(', ')}`);
  }
  return { doc, problems };
}

/**
 * Compose's merge of an override file (`-f a.yml -f b.yml`, or COMPOSE_FILE=a.yml:b.yml) for
 * the keys our override uses: mappings merge key by key; command, entrypoint and
 * healthcheck.test (sequences) are replaced. Compose merges ports and volumes by target
 * instead; the bcoin override sets neither, which the test below checks.
 */
function mergeCompose(base: unknown, override: unknown): unknown {
  if (override && typeof override === 'object' && !Array.isArray(override) && base && typeof base === 'object' && !Array.isArray(base)) {
    const out: Doc = { ...(base as Doc) };
    for (const [k, v] of Object.entries(override as Doc)) out[k] = k in out ? mergeCompose(out[k], v) : v;
    return out;
  }
  return override;
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

/** "28001:28000" or "127.0.0.1:28001:28000" (or the long syntax) -> host address and ports. */
function portMappings(s: Doc): { hostIp: string | undefined; host: number; container: number }[] {
  return (s.ports ?? []).map((p: string | number | Doc) => {
    if (typeof p === 'object') return { hostIp: p.host_ip, host: Number(p.published), container: Number(p.target) };
    const parts = String(p).split(':');
    return { hostIp: parts.length === 3 ? parts[0] : undefined, host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
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

function volumeMounts(s: Doc): { source: string; target: string; named: boolean; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v: string | Doc) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, named: v.type === 'volume', readOnly: v.read_only === true };
    const [source, target, mode] = v.split(':');
    return { source, target, named: !/^[./~]/.test(source), readOnly: (mode ?? '').split(',').includes('ro') };
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
  // Compose v1 (Debian's docker-compose 1.29, what runs here) refuses a top-level name.
  if ('name' in doc) problems.push('top-level "name:" is Compose v2 only; docker-compose 1.29 refuses the file (name the project with -p)');
  // The HTTP API has no authentication: only the host itself may reach it.
  for (const [name, s] of Object.entries(svc)) {
    for (const m of portMappings(s)) if (m.hostIp !== '127.0.0.1') problems.push(`${name}: publishes host port ${m.host} on ${m.hostIp ?? 'every interface'}; the API has no authentication (use "127.0.0.1:${m.host}:${m.container}")`);
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

  // Bitcoin: one node (Bitcoin Core's image, or the bcoin image built from our Dockerfile),
  // one anchorer and a miner pointed at it, with its cookie file as the only credential.
  const bitcoindName = names.find((n) => BITCOIN_IMAGE.test(svc[n].image ?? '') || svc[n].build?.target === BCOIN_TARGET);
  if (!bitcoindName) {
    problems.push(`no Bitcoin node service (image bitcoin/bitcoin:<version>, or build target ${BCOIN_TARGET})`);
    return problems;
  }
  const b = svc[bitcoindName];
  const isBcoin = b.build?.target === BCOIN_TARGET;
  const dataVolume = volumeMounts(b).find((m) => m.named && m.target === BITCOIN_DATADIR);
  if (!dataVolume) problems.push(`${bitcoindName}: chain data is not on a named volume at ${BITCOIN_DATADIR}`);
  let rpcPort = REGTEST_RPC_PORT;
  const health = tokens(b.healthcheck?.test);
  if (!isBcoin) {
    const bWords = tokens(b.command);
    if (b.entrypoint) problems.push(`${bitcoindName}: overrides the image's entrypoint (it adds -datadir=${BITCOIN_DATADIR})`);
    const regtest = bWords.includes('-regtest') || bWords.includes('-regtest=1') || bWords.includes('-chain=regtest');
    if (!regtest) problems.push(`${bitcoindName}: not in regtest`);
    rpcPort = Number(flagValue(bWords, '-rpcport') ?? REGTEST_RPC_PORT);
    for (const w of bWords) {
      const flag = w.split('=')[0];
      if (CREDENTIAL_FLAGS.includes(flag)) problems.push(`${bitcoindName}: ${flag} puts an RPC credential on the command line; leave it out, bitcoind then writes its cookie file`);
      else if (DEAD_FLAGS[flag]) problems.push(`${bitcoindName}: ${flag} is a dead flag: ${DEAD_FLAGS[flag]}`);
      else if (!BITCOIND_FLAGS[flag]) problems.push(`${bitcoindName}: ${flag} is not a flag the devnet needs (each flag must have a reason: ${Object.keys(BITCOIND_FLAGS).join(' ')})`);
    }
    if (!bWords.includes('-server')) problems.push(`${bitcoindName}: -server is missing (no RPC)`);
    if (!bWords.includes('-txindex') && !bWords.includes('-txindex=1')) problems.push(`${bitcoindName}: -txindex is missing (the anchorer looks up confirmed transactions)`);
    if (!flagValue(bWords, '-rpcbind')) problems.push(`${bitcoindName}: RPC only on localhost; other containers cannot reach it (-rpcbind)`);
    if (!health.includes('bitcoin-cli') || !health.includes('getblockchaininfo')) problems.push(`${bitcoindName}: healthcheck is not bitcoin-cli getblockchaininfo`);
    else {
      if (!health.includes('-regtest')) problems.push(`${bitcoindName}: healthcheck bitcoin-cli is not -regtest`);
      if (Number(flagValue(health, '-rpcport') ?? REGTEST_RPC_PORT) !== rpcPort) problems.push(`${bitcoindName}: healthcheck uses another RPC port`);
      if (flagValue(health, '-datadir') !== BITCOIN_DATADIR) problems.push(`${bitcoindName}: healthcheck bitcoin-cli has no -datadir=${BITCOIN_DATADIR}, so it cannot find the cookie`);
      for (const w of health) if (CREDENTIAL_FLAGS.includes(w.split('=')[0])) problems.push(`${bitcoindName}: healthcheck passes ${w.split('=')[0]}; bitcoin-cli reads the cookie`);
    }
  } else {
    // The bcoin image: anchor/node/bcoin-process.ts with bitcoind's cookie at bitcoind's path.
    if (!(b.image ?? '').startsWith('pantheon-bcoin:')) problems.push(`${bitcoindName}: the bcoin image is not labelled as such (image ${b.image}, expected pantheon-bcoin:<tag>)`);
    if (b.labels?.['org.pantheon.bitcoin-node'] !== 'bcoin') problems.push(`${bitcoindName}: no label org.pantheon.bitcoin-node=bcoin`);
    const entry = tokens(b.entrypoint);
    if (entry.join(' ') !== 'node dist/anchor/node/bcoin-process.js') problems.push(`${bitcoindName}: entrypoint ${entry.join(' ')} is not node dist/anchor/node/bcoin-process.js`);
    const opts = new Map<string, string>();
    const words = tokens(b.command);
    for (let i = 0; i < words.length; i += 2) opts.set(words[i], words[i + 1]);
    rpcPort = Number(opts.get('--rpcport'));
    if (opts.get('--datadir') !== BITCOIN_DATADIR) problems.push(`${bitcoindName}: --datadir ${opts.get('--datadir')} is not ${BITCOIN_DATADIR}`);
    if (opts.get('--rpchost') !== '0.0.0.0') problems.push(`${bitcoindName}: --rpchost ${opts.get('--rpchost')}: other containers cannot reach RPC (use 0.0.0.0)`);
    if (opts.get('--cookiefile') !== `${BITCOIN_DATADIR}/regtest/.cookie`) problems.push(`${bitcoindName}: --cookiefile ${opts.get('--cookiefile')} is not bitcoind's ${BITCOIN_DATADIR}/regtest/.cookie`);
    if (opts.has('--apikey')) problems.push(`${bitcoindName}: --apikey puts an RPC credential on the command line; use --cookiefile`);
    const h = JSON.stringify(b.healthcheck?.test ?? '');
    if (!h.includes('getblockchaininfo') || !h.includes(`127.0.0.1:${rpcPort}`) || !h.includes(`${BITCOIN_DATADIR}/regtest/.cookie`)) problems.push(`${bitcoindName}: healthcheck is not getblockchaininfo on 127.0.0.1:${rpcPort} with the cookie`);
  }

  /** Where a service mounts the Bitcoin node's volume (read-only), and so where it finds the cookie. */
  const cookieFor = (name: string): string | undefined => {
    const m = volumeMounts(svc[name]).find((v) => v.named && v.source === dataVolume?.source);
    if (!m) {
      problems.push(`${name}: does not mount ${bitcoindName}'s volume "${dataVolume?.source}", which holds the RPC cookie`);
      return undefined;
    }
    if (!m.readOnly) problems.push(`${name}: mounts ${bitcoindName}'s volume read-write; it only reads the cookie (add :ro)`);
    return `${m.target}/regtest/.cookie`;
  };

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
    if (v['bitcoin-rpc-user'] !== undefined || v['bitcoin-rpc-password'] !== undefined) problems.push(`${name}: --bitcoin-rpc-user/--bitcoin-rpc-password put the RPC credential on the command line; use --bitcoin-rpc-cookie`);
    const cookie = cookieFor(name);
    if (cookie && v['bitcoin-rpc-cookie'] !== cookie) problems.push(`${name}: --bitcoin-rpc-cookie ${v['bitcoin-rpc-cookie']} is not ${cookie}, where ${bitcoindName}'s cookie appears`);
    if (v['bitcoin-network'] !== 'regtest') problems.push(`${name}: --bitcoin-network ${v['bitcoin-network']} does not match ${bitcoindName} (regtest)`);
    if (dependsOn(svc[name])[bitcoindName]?.condition !== 'service_healthy') problems.push(`${name}: anchors but does not wait for ${bitcoindName} to be healthy`);
  }

  // The miner: JSON-RPC (devnet/compose/miner.ts) to the same node with its cookie, paying
  // validator 0's anchor address.
  const minerName = names.find((n) => tokens(svc[n].entrypoint).some((w) => w.endsWith('compose/miner.ts')));
  if (!minerName) problems.push('no miner service (entrypoint devnet/compose/miner.ts)');
  else {
    const m = svc[minerName];
    const script = tokens(m.entrypoint).find((w) => w.endsWith('compose/miner.ts'))!;
    if (!existsSync(join(REPO, script))) problems.push(`${minerName}: ${script} is not in the repository (the image has the repo at its WORKDIR)`);
    const env = environment(m);
    let url: URL | undefined;
    try {
      url = new URL(env.BITCOIN_RPC_URL);
    } catch {
      problems.push(`${minerName}: BITCOIN_RPC_URL ${env.BITCOIN_RPC_URL} is not a URL`);
    }
    if (url && url.hostname !== bitcoindName) problems.push(`${minerName}: BITCOIN_RPC_URL host ${url.hostname} is not the bitcoind service`);
    if (url && Number(url.port || 80) !== rpcPort) problems.push(`${minerName}: BITCOIN_RPC_URL port ${url.port} is not bitcoind's RPC port ${rpcPort}`);
    const cookie = cookieFor(minerName);
    if (cookie && env.BITCOIN_RPC_COOKIE !== cookie) problems.push(`${minerName}: BITCOIN_RPC_COOKIE ${env.BITCOIN_RPC_COOKIE} is not ${cookie}, where ${bitcoindName}'s cookie appears`);
    if (anchorDataDir && env.ANCHOR_NODE_JSON !== `${anchorDataDir}/node.json`) problems.push(`${minerName}: ANCHOR_NODE_JSON ${env.ANCHOR_NODE_JSON} is not the anchorer's ${anchorDataDir}/node.json`);
    if (!(Number(env.FUNDING_BLOCKS) >= 500)) problems.push(`${minerName}: FUNDING_BLOCKS ${env.FUNDING_BLOCKS} is too few (coinbases mature after 100 blocks; bcoin activates segwit on regtest only after ~432)`);
    if (!volumeMounts(m).some((v) => v.named && v.target === out)) problems.push(`${minerName}: does not mount the shared volume at ${out}`);
    for (const a of anchorers) if (dependsOn(m)[a[0]]?.condition !== 'service_healthy') problems.push(`${minerName}: does not wait for ${a[0]} (its node.json holds the address)`);
    if (dependsOn(m)[bitcoindName]?.condition !== 'service_healthy') problems.push(`${minerName}: does not wait for ${bitcoindName} to be healthy`);
  }

  // Nothing in any service carries an RPC password.
  const credential = /rpcpassword|rpcuser|rpc-password|rpc-user|apikey|BITCOIN_RPC_PASSWORD/i;
  for (const [name, s] of Object.entries(svc)) if (credential.test(JSON.stringify({ c: s.command, e: s.entrypoint, env: s.environment, h: s.healthcheck }))) problems.push(`${name}: carries an RPC user or password; the Bitcoin node's cookie is the only credential`);
  return problems;
}

// ---------------------------------------------------------------- tests

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const bcoinText = readFileSync(BCOIN_FILE, 'utf8');
const sharedDefaults = new Map<string, Set<string>>();
const loaded = loadCompose(composeText, {}, sharedDefaults);
const doc = loaded.doc;
const bcoinOverride = loadCompose(bcoinText, {}, sharedDefaults);
/** The bcoin variant: docker-compose.yml with docker-compose.bcoin.yml over it. */
const bcoinDoc = mergeCompose(doc, bcoinOverride.doc) as Doc;

function mutated(edit: (d: Doc) => void, from: Doc = doc): Doc {
  const copy = structuredClone(from);
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
    // The YAML merge keys really applied the templates.
    for (const v of [...validatorNames(doc), 'genesis', 'miner']) expect(services(doc)[v].build?.dockerfile).toBe('Dockerfile');
    expect(loaded.problems).toEqual([]);
  });

  it('passes every consistency check', () => {
    expect(checkCompose(doc)).toEqual([]);
  });

  it('carries no RPC credential and publishes only on 127.0.0.1', () => {
    expect(composeText).not.toMatch(/\$\{BITCOIN_RPC_(USER|PASSWORD)/);
    expect(services(doc).bitcoind.command.some((w: string) => /^-rpc(user|password)=/.test(w))).toBe(false);
    const published = validatorNames(doc).flatMap((n) => portMappings(services(doc)[n]).map((m) => `${m.hostIp}:${m.host}`));
    expect(published).toEqual(['127.0.0.1:28000', '127.0.0.1:28001', '127.0.0.1:28002', '127.0.0.1:28003']);
    expect(Object.values(services(doc)).flatMap((s) => s.ports ?? []).length).toBe(4);
    // PANTHEON_HTTP_PORT_<i> moves a host port (the compose test does, beside an embedded devnet).
    const moved = loadCompose(composeText, { PANTHEON_HTTP_PORT_2: '38002' }).doc;
    expect(portMappings(services(moved)['validator-2'])).toEqual([{ hostIp: '127.0.0.1', host: 38002, container: 28000 }]);
    expect(checkCompose(moved)).toEqual([]);
  });

  it('names its base images by build arguments that the Dockerfile declares, with the upstream defaults', () => {
    const dockerfileArgs = new Map([...readFileSync(join(REPO, 'Dockerfile'), 'utf8').matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    for (const name of [...validatorNames(doc), 'genesis', 'miner']) {
      const args = services(doc)[name].build.args;
      expect(Object.keys(args).sort()).toEqual(['BASE_IMAGE', 'BUILD_IMAGE']);
      for (const [k, v] of Object.entries(args)) expect(v).toBe(dockerfileArgs.get(k));
    }
    const local = loadCompose(composeText, { PANTHEON_BASE_IMAGE: 'pantheon-base:node22-bookworm-slim', PANTHEON_BUILD_IMAGE: 'pantheon-base:node22-bookworm' }).doc;
    expect(services(local).miner.build.args).toEqual({ BUILD_IMAGE: 'pantheon-base:node22-bookworm', BASE_IMAGE: 'pantheon-base:node22-bookworm-slim' });
  });
});

describe('devnet/docker-compose.bcoin.yml (the bcoin variant)', () => {
  it('replaces only the Bitcoin node, with the bcoin image built from the Dockerfile, labelled', () => {
    expect(Object.keys(services(bcoinOverride.doc))).toEqual(['bitcoind']);
    const b = services(bcoinDoc).bitcoind;
    expect(b.image).toBe('pantheon-bcoin:local');
    expect(b.build).toEqual({ ...services(doc).genesis.build, target: BCOIN_TARGET });
    // Ports and volumes would merge by target in compose, not as this test merges: keep them out.
    expect(services(bcoinOverride.doc).bitcoind).not.toHaveProperty('volumes');
    expect(services(bcoinOverride.doc).bitcoind).not.toHaveProperty('ports');
    expect(bcoinText).toMatch(/NOT Bitcoin\s+#?\s*Core/);
    const stages = [...readFileSync(join(REPO, 'Dockerfile'), 'utf8').matchAll(/^FROM \S+ AS (\w+)$/gm)].map((m) => m[1]);
    expect(stages).toContain(BCOIN_TARGET);
    expect(bcoinOverride.problems).toEqual([]);
    expect(loaded.problems).toEqual([]);
  });

  it('passes every consistency check, with the same anchorer and miner as Bitcoin Core', () => {
    expect(checkCompose(bcoinDoc)).toEqual([]);
    for (const name of ['validator-0', 'miner']) expect(services(bcoinDoc)[name]).toEqual(services(doc)[name]);
  });

  it('is refused when its cookie is not where the anchorer reads it, or its RPC is on loopback only', () => {
    const moved = mutated((d) => {
      const c: string[] = d.services.bitcoind.command;
      c[c.indexOf('--cookiefile') + 1] = '/tmp/.cookie';
    }, bcoinDoc);
    expect(checkCompose(moved).join('\n')).toMatch(/bitcoind: --cookiefile \/tmp\/.cookie is not bitcoind's \/home\/bitcoin\/.bitcoin\/regtest\/.cookie/);
    const loopback = mutated((d) => {
      const c: string[] = d.services.bitcoind.command;
      c[c.indexOf('--rpchost') + 1] = '127.0.0.1';
    }, bcoinDoc);
    expect(checkCompose(loopback).join('\n')).toMatch(/--rpchost 127.0.0.1: other containers cannot reach RPC/);
    const keyed = mutated((d) => d.services.bitcoind.command.push('--apikey', 'x'), bcoinDoc);
    expect(checkCompose(keyed).join('\n')).toMatch(/--apikey puts an RPC credential on the command line/);
  });
});

describe('the checker catches a broken compose file', () => {
  const cases: [string, (d: Doc) => void, RegExp][] = [
    ['a bogus flag', (d) => d.services['validator-2'].command.push('--bogus-flag', 'x'), /validator-2: pantheon node: Unknown option '--bogus-flag'/],
    ['a misspelt flag', (d) => (d.services['validator-1'].command[d.services['validator-1'].command.indexOf('--http')] = '--htp'), /validator-1: pantheon node: Unknown option '--htp'/],
    ['an unknown subcommand', (d) => (d.services.genesis.command = [d.services.genesis.command[0].replace('genesis init', 'genesis create')]), /"pantheon genesis create" is not a pantheon subcommand/],
    ['a flag missing its value', (d) => d.services['validator-3'].command.push('--listen'), /validator-3: pantheon node: Option '--listen <value>' argument missing/],
    ['a password on the anchorer instead of the cookie', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c.splice(c.indexOf('--bitcoin-rpc-cookie'), 2, '--bitcoin-rpc-user', 'u', '--bitcoin-rpc-password', 'p');
    }, /validator-0: --bitcoin-rpc-user\/--bitcoin-rpc-password put the RPC credential on the command line; use --bitcoin-rpc-cookie/],
    ['an anchorer reading a cookie where none appears', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c[c.indexOf('--bitcoin-rpc-cookie') + 1] = '/devnet/.cookie';
    }, /validator-0: --bitcoin-rpc-cookie \/devnet\/.cookie is not \/bitcoin\/regtest\/.cookie/],
    ['an anchorer without the Bitcoin volume', (d) => (d.services['validator-0'].volumes = ['devnet:/devnet']), /validator-0: does not mount bitcoind's volume "bitcoin", which holds the RPC cookie/],
    ['the Bitcoin volume mounted read-write', (d) => (d.services.miner.volumes = ['devnet:/devnet:ro', 'bitcoin:/bitcoin']), /miner: mounts bitcoind's volume read-write/],
    ['a password on bitcoind\'s command line', (d) => d.services.bitcoind.command.push('-rpcuser=u', '-rpcpassword=p'), /bitcoind: -rpcpassword puts an RPC credential on the command line/],
    ['the dead -fallbackfee', (d) => d.services.bitcoind.command.push('-fallbackfee=0.0001'), /bitcoind: -fallbackfee is a dead flag: it sets the fee of bitcoind's own wallet/],
    ['a bitcoind flag with no reason', (d) => d.services.bitcoind.command.push('-dbcache=4000'), /bitcoind: -dbcache is not a flag the devnet needs/],
    ['a healthcheck that cannot find the cookie', (d) => (d.services.bitcoind.healthcheck = { ...d.services.bitcoind.healthcheck, test: ['CMD', 'bitcoin-cli', '-regtest', '-rpcport=18443', 'getblockchaininfo'] }), /healthcheck bitcoin-cli has no -datadir=\/home\/bitcoin\/.bitcoin/],
    ['an HTTP API published on every interface', (d) => (d.services['validator-2'].ports = ['28002:28000']), /validator-2: publishes host port 28002 on every interface; the API has no authentication/],
    ['a top-level name (Compose v2 only)', (d) => (d.name = 'pantheon-devnet'), /top-level "name:" is Compose v2 only/],
    ['a password in a service\'s environment', (d) => (d.services.miner.environment.BITCOIN_RPC_PASSWORD = 'x'), /miner: carries an RPC user or password/],
    ['a wrong RPC host', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c[c.indexOf('--bitcoin-rpc') + 1] = 'http://bitcoin:18443';
    }, /--bitcoin-rpc host bitcoin is not the bitcoind service/],
    ['a wrong RPC port', (d) => {
      const c: string[] = d.services['validator-0'].command;
      c[c.indexOf('--bitcoin-rpc') + 1] = 'http://bitcoind:8332';
    }, /--bitcoin-rpc port 8332 is not bitcoind's -rpcport 18443/],
    ['a miner reading another cookie', (d) => (d.services.miner.environment.BITCOIN_RPC_COOKIE = '/bitcoin/.cookie'), /miner: BITCOIN_RPC_COOKIE \/bitcoin\/.cookie is not \/bitcoin\/regtest\/.cookie/],
    ['a miner on another port', (d) => (d.services.miner.environment.BITCOIN_RPC_URL = 'http://bitcoind:8332'), /miner: BITCOIN_RPC_URL port 8332 is not bitcoind's RPC port 18443/],
    ['too few funding blocks for bcoin\'s segwit', (d) => (d.services.miner.environment.FUNDING_BLOCKS = '110'), /miner: FUNDING_BLOCKS 110 is too few/],
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

  it('finds a variable with two different defaults, across the two files', () => {
    const text = bcoinText.replace('${PANTHEON_BASE_IMAGE:-node:22-bookworm-slim}', '${PANTHEON_BASE_IMAGE:-node:22-slim}');
    expect(text).not.toBe(bcoinText);
    const defaults = new Map<string, Set<string>>();
    loadCompose(composeText, {}, defaults);
    const { problems } = loadCompose(text, {}, defaults);
    expect(problems.join('\n')).toMatch(/PANTHEON_BASE_IMAGE has different defaults: node:22-bookworm-slim, node:22-slim/);
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
    for (const script of ['with-peers.sh', 'make-base-image.sh', 'ensure-engine.sh']) {
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

  it('miner.ts funds the anchor address from node.json, then mines block by block, over JSON-RPC with a real bcoin\'s cookie', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-compose-miner-'));
    const children: ChildProcess[] = [];
    try {
      // The bcoin image's command, on loopback and in memory: a real bcoin writing bitcoind's cookie.
      const cookie = join(dir, 'bitcoin', 'regtest', '.cookie');
      const rpcPort = await freePort();
      const bcoin = spawn(process.execPath, ['--import', 'tsx', 'anchor/node/bcoin-process.ts', '--datadir', join(dir, 'bitcoin'), '--rpcport', String(rpcPort), '--cookiefile', cookie, '--memory', '--loglevel', 'warning'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(bcoin);
      let bcoinOut = '';
      bcoin.stdout!.on('data', (d) => (bcoinOut += d));
      await waitFor('bcoin to serve RPC', () => (bcoinOut.includes('bcoin-ready ') ? true : undefined), 30_000, 100);
      expect(readFileSync(cookie, 'utf8')).toMatch(/^__cookie__:[0-9a-f]{64}$/);
      expect(statSync(cookie).mode & 0o777).toBe(0o600);
      const rpc = new BitcoinRpc({ url: `http://127.0.0.1:${rpcPort}`, cookieFile: cookie });
      expect(await rpc.getBlockCount()).toBe(0);

      const minerEnv = environment(services(doc).miner);
      const shared = join(dir, 'devnet');
      const key = keyFromPrivateKey(new Uint8Array(32).fill(7));
      const network = { ...networks.regtest, bech32: 'rb' };
      const address = payments.p2wpkh({ pubkey: key.publicKey, network }).address!;
      writeNodeJson(shared, 'validator-0', PEER_IDS[0], '172.18.0.3', address);
      const env = { ...process.env, ...minerEnv, BITCOIN_RPC_URL: `http://127.0.0.1:${rpcPort}`, BITCOIN_RPC_COOKIE: cookie, ANCHOR_NODE_JSON: minerEnv.ANCHOR_NODE_JSON.replace('/devnet', shared), BLOCK_SECONDS: '0.2' };
      const miner = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'devnet/compose/miner.ts')], { cwd: REPO, env, stdio: 'ignore' });
      children.push(miner);
      const funding = Number(minerEnv.FUNDING_BLOCKS);
      await waitFor('the funding blocks and two more', async () => ((await rpc.getBlockCount()) >= funding + 2 ? true : undefined), 60_000, 200);
      // Every block pays the anchor address: the first funding block and the last one-by-one block.
      for (const h of [1, funding + 2]) {
        const block = Block.fromHex(Buffer.from(await rpc.getBlockRaw(await rpc.getBlockHash(h))).toString('hex'));
        expect(bitcoinAddress.fromOutputScript(block.transactions![0].outs[0].script, network)).toBe(address);
      }
      // A clean stop deletes the cookie, as bitcoind does.
      miner.kill('SIGTERM');
      bcoin.kill('SIGTERM');
      await waitFor('bcoin to exit', () => (bcoin.exitCode !== null ? true : undefined), 20_000, 100);
      expect(existsSync(cookie)).toBe(false);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('miner.ts refuses to start without its settings, naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'devnet/compose/miner.ts')], { cwd: REPO, env: { ...process.env, BITCOIN_RPC_URL: 'http://127.0.0.1:1' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/miner: environment variable BITCOIN_RPC_COOKIE is required/);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

  it('builds on node:22-bookworm(-slim) by default, named by build arguments, with npm ci, compiling after the sources are copied', () => {
    const args = new Map(instructions.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=') as [string, string]));
    expect(args.get('BUILD_IMAGE')).toBe('node:22-bookworm');
    expect(args.get('BASE_IMAGE')).toBe('node:22-bookworm-slim');
    // Both ARGs come before the first FROM, so every FROM can use them.
    expect(instructions.findIndex((l) => l.startsWith('FROM '))).toBeGreaterThan(instructions.findIndex((l) => l.startsWith('ARG BASE_IMAGE')));
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms[0]).toBe('FROM ${BUILD_IMAGE} AS build');
    // The runtime (the last stage, the default target) and the bcoin stage: the same slim base, so
    // the native modules compiled in the build stage (same Debian release) load in both.
    expect(froms.at(-1)).toBe('FROM ${BASE_IMAGE}');
    expect(froms).toContain('FROM ${BASE_IMAGE} AS bcoin');
    expect(instructions.some((l) => /^RUN npm ci\b/.test(l))).toBe(true);
    // dist/ is built from the copied sources, and the runtime stage takes it.
    const buildAt = instructions.findIndex((l) => /^RUN npm run build\b/.test(l));
    const sourcesAt = instructions.findIndex((l) => /^COPY \. \./.test(l));
    expect(sourcesAt).toBeGreaterThanOrEqual(0);
    expect(buildAt).toBeGreaterThan(sourcesAt);
    expect(instructions.some((l) => /^COPY --from=\S+ \/app\/dist \.\/dist/.test(l))).toBe(true);
    expect(instructions.some((l) => /^COPY package\.json package-lock\.json /.test(l))).toBe(true);
    const entries = instructions.filter((l) => l.startsWith('ENTRYPOINT ')).map((l) => JSON.parse(l.slice('ENTRYPOINT '.length)));
    expect(entries.at(-1)).toEqual(['node', 'bin/pantheon.js']);
    expect(existsSync(join(REPO, 'bin/pantheon.js'))).toBe(true);
    // The bcoin stage runs the compiled launcher, which the build makes from anchor/.
    expect(entries).toContainEqual(['node', 'dist/anchor/node/bcoin-process.js']);
    expect(existsSync(join(REPO, 'anchor/node/bcoin-process.ts'))).toBe(true);
    expect(JSON.parse(readFileSync(join(REPO, 'tsconfig.build.json'), 'utf8')).include).toContain('anchor');
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
