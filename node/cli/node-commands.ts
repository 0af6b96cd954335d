// `pantheon node` (run a validator or a full node) and the operator's commands that talk to
// one: submit, transfer, status, tx.
import { join, resolve } from 'node:path';
import { bytesToHex, hexToBytes } from '../../protocol/bytes.ts';
import { addressOf, decodeAddress } from '../../protocol/keys.ts';
import { logIdProblem, LOG_NAME_MAX } from '../../protocol/tx.ts';
import { verifyConsistency } from '../../protocol/merkle.ts';
import { parseConsistencyProof } from '../../light-client/consistency.ts';
import { readJsonFile } from '../files.ts';
import { api, ApiError, logPath } from '../client.ts';
import { createLogger, isLogThreshold, LOG_LEVELS } from '../log.ts';
import type { AnchorOptions } from '../node.ts';
import type { BitcoinNetworkName } from '../../anchor/verify-bitcoin.ts';
import { readKeyFile } from '../keyfile.ts';
import { writeFileAtomic } from '../files.ts';
import { DEFAULT_ANCHORED_TIMEOUT_MS, DEFAULT_FINAL_TIMEOUT_MS, DEFAULT_NODE_URL, PantheonClient, type Receipt, type WaitTarget } from '../client.ts';
import { loadGenesisFile } from './genesis-commands.ts';
import { parseHex32, parsePositiveInt, parseTimeoutMs, printJson, progressReporter, requireString, UsageError, type Command } from './command.ts';

function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^([^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--${flag} must be HOST:PORT, got "${text}"`);
  return { host: m[1], port: Number(m[2]) };
}

function bitcoinNetwork(value: unknown): BitcoinNetworkName | undefined {
  if (value === undefined) return undefined;
  if (value !== 'regtest' && value !== 'testnet' && value !== 'mainnet') throw new UsageError(`--bitcoin-network must be regtest, testnet or mainnet, got "${value}"`);
  return value;
}

function anchorOptions(values: Record<string, unknown>): AnchorOptions | undefined {
  if (values['anchor-interval'] !== undefined) {
    throw new UsageError('--anchor-interval (Pantheon blocks per anchor) is gone: blocks now come only when there is something to finalise, so the interval is time, set for the whole chain by the genesis params.anchorIntervalSeconds (genesis version 3, docs/anchor.md)');
  }
  const url = values['bitcoin-rpc'];
  if (typeof url !== 'string') return undefined;
  const cookieFile = values['bitcoin-rpc-cookie'] as string | undefined;
  const user = values['bitcoin-rpc-user'] as string | undefined;
  const password = values['bitcoin-rpc-password'] as string | undefined;
  if (!cookieFile && (user === undefined || password === undefined)) throw new UsageError('--bitcoin-rpc needs --bitcoin-rpc-user and --bitcoin-rpc-password, or --bitcoin-rpc-cookie');
  return {
    rpc: cookieFile ? { url, cookieFile } : { url, user, password },
    confirmations: parsePositiveInt(values['anchor-confirmations'] as string, 'anchor-confirmations', 64),
  };
}

export const nodeCommand: Command = {
  name: 'node',
  summary: 'Run a Pantheon validator (with --key) or full node.',
  usage: 'pantheon node --data DIR --genesis FILE [--key FILE] [--listen MULTIADDR]... [--http HOST:PORT] [--peer MULTIADDR]... [--log-format json|pretty] [--log-level LEVEL]',
  details: [
    '  --data DIR         data directory: database, peer identity, node.json (created if missing)',
    '  --genesis FILE     the genesis file of the chain',
    '  --key FILE         validator key (ML-DSA-65 key file listed in genesis); without it, a full node',
    '  --listen MULTIADDR libp2p listen address (default /ip4/127.0.0.1/tcp/0); repeatable',
    '  --http HOST:PORT   HTTP API address (default 127.0.0.1:28000)',
    '  --peer MULTIADDR   bootstrap peer, /ip4/.../tcp/.../p2p/<peer id>; repeatable',
    '  --log-format F     json (one object per line) or pretty (default: pretty on a terminal)',
    '  --log-level L      trace, debug, info (default), warn, error or silent; debug adds every block,',
    '                     vote, peer event and client disconnect',
    '  --debug            the same as --log-level debug',
    '  --mempool-ttl-seconds S  a pending transaction leaves the mempool S seconds after it entered',
    '                     (default 600; docs/api.md, "The mempool")',
    '',
    'Anchoring into Bitcoin (a validator only; one anchorer per network):',
    '  --bitcoin-rpc URL              bitcoind-compatible JSON-RPC, e.g. http://127.0.0.1:18443',
    '  --bitcoin-rpc-user U / --bitcoin-rpc-password P, or --bitcoin-rpc-cookie FILE',
    '  --bitcoin-network N            optional check: the genesis names the network (regtest, testnet or mainnet); another one here refuses to start',
    '  (the anchor interval is the genesis params.anchorIntervalSeconds: one anchor at most per interval,',
    '   none while nothing new is final)',
    '  --anchor-confirmations K       Bitcoin confirmations before attesting (default 6)',
    '',
    'Damaged data directories (docs/storage.md, "Damage"):',
    '  --unsafe-no-sign-record  start a validator whose database has no last-sign record (DIR/sign-record.json);',
    '                           it may then sign twice at a height it signed before: use only once the network',
    '                           has passed the height this validator last signed at',
    '',
    'On start it writes DIR/node.json with its HTTP URL and libp2p addresses. SIGINT/SIGTERM stop it cleanly.',
  ].join('\n'),
  options: {
    data: { type: 'string' },
    genesis: { type: 'string' },
    key: { type: 'string' },
    listen: { type: 'string', multiple: true },
    http: { type: 'string', default: '127.0.0.1:28000' },
    peer: { type: 'string', multiple: true },
    'log-format': { type: 'string' },
    'log-level': { type: 'string' },
    debug: { type: 'boolean', default: false },
    'unsafe-no-sign-record': { type: 'boolean', default: false },
    'bitcoin-rpc': { type: 'string' },
    'bitcoin-rpc-user': { type: 'string' },
    'bitcoin-rpc-password': { type: 'string' },
    'bitcoin-rpc-cookie': { type: 'string' },
    'bitcoin-network': { type: 'string' },
    'anchor-interval': { type: 'string' },
    'anchor-confirmations': { type: 'string', default: '6' },
    'mempool-ttl-seconds': { type: 'string' },
  },
  async run(values) {
    const dataDir = resolve(requireString(values, 'data'));
    const genesis = loadGenesisFile(requireString(values, 'genesis'));
    const validatorKey = typeof values.key === 'string' ? readKeyFile(values.key) : undefined;
    const http = parseHostPort(values.http as string, 'http');
    const format = values['log-format'];
    if (format !== undefined && format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format must be json or pretty, got "${format}"`);
    const level = values['log-level'] ?? (values.debug ? 'debug' : 'info');
    if (!isLogThreshold(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
    if (values.debug && values['log-level'] !== undefined && level !== 'debug') throw new UsageError(`--debug contradicts --log-level ${level}`);
    const ttlText = values['mempool-ttl-seconds'] as string | undefined;
    const mempoolTtl = ttlText === undefined ? undefined : Number(ttlText) * 1000;
    if (mempoolTtl !== undefined && !(/^[0-9]+(\.[0-9]{1,3})?$/.test(ttlText!) && mempoolTtl >= 1000 && mempoolTtl <= 7 * 86_400_000)) {
      throw new UsageError(`--mempool-ttl-seconds must be a number of seconds from 1 to 604800 (up to 3 decimals), got "${ttlText}"`);
    }
    // Loaded here, not at the top: libp2p and LevelDB take seconds to load, and the
    // client commands in this file need neither.
    const [{ PantheonNode }, { startHttpApi }] = await Promise.all([import('../node.ts'), import('../http-api.ts')]);
    const log = createLogger('node', { pretty: format === undefined ? undefined : format === 'pretty', level });
    const node = await PantheonNode.start({
      dataDir,
      genesis,
      validatorKey,
      p2pListen: (values.listen as string[] | undefined) ?? ['/ip4/127.0.0.1/tcp/0'],
      peers: (values.peer as string[] | undefined) ?? [],
      log,
      anchor: anchorOptions(values),
      bitcoinNetwork: bitcoinNetwork(values['bitcoin-network']),
      unsafeNoSignRecord: values['unsafe-no-sign-record'] as boolean,
      mempool: mempoolTtl === undefined ? undefined : { ttlMs: mempoolTtl },
    });
    let server;
    try {
      server = await startHttpApi(node, http.host, http.port);
    } catch (err) {
      await node.stop();
      throw new Error(`cannot listen on ${http.host}:${http.port}: ${(err as Error).message}`);
    }
    const url = `http://${http.host}:${http.port}`;
    writeFileAtomic(join(dataDir, 'node.json'), JSON.stringify({ pid: process.pid, http: url, peerId: node.network.peerId, addresses: node.network.addresses(), anchorAddress: node.anchorAddress ?? null }, null, 2) + '\n');
    log('info', 'HTTP API listening', { url });
    await new Promise<void>((done) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log('info', 'stopping', { signal });
        server.close();
        node.stop().then(done, (err) => {
          log('error', 'stop failed', { error: (err as Error).message });
          done();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};

const nodeOption = { node: { type: 'string' as const, default: DEFAULT_NODE_URL }, json: { type: 'boolean' as const, default: false } };
const timeoutOption = { timeout: { type: 'string' as const } };

async function submitAndWait(nodeUrl: string, submit: (client: PantheonClient) => Promise<Receipt>, wait: WaitTarget | undefined, timeoutValue: unknown, json: boolean) {
  const client = new PantheonClient(nodeUrl);
  const receipt = await submit(client);
  if (!wait) return receipt;
  const progress = json ? undefined : progressReporter();
  try {
    const status = await client.waitForTx(receipt.txId, wait, {
      timeoutMs: parseTimeoutMs(timeoutValue, (wait === 'anchored' ? DEFAULT_ANCHORED_TIMEOUT_MS : DEFAULT_FINAL_TIMEOUT_MS) / 1000),
      onProgress: ({ status, elapsedMs }) => progress?.update(`waiting until ${wait}: ${status} (${Math.round(elapsedMs / 1000)} s)`),
    });
    return { ...receipt, ...status };
  } finally {
    progress?.done();
  }
}

export { logPath };

/** The log's committed history from the node, or undefined when it has no commitment yet. */
async function fetchLog(nodeUrl: string, logId: string): Promise<any | undefined> {
  try {
    return await api(nodeUrl, logPath(logId));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** `--log ID`, or `--name NAME` under the address of the signing key. */
function logIdFrom(values: Record<string, unknown>, keyPath: string): string {
  const name = values.name as string | undefined;
  const given = values.log as string | undefined;
  if ((name === undefined) === (given === undefined)) throw new UsageError('give the log as --log <owner address>/<name> or as --name <name> (under the address of --key)');
  const logId = given ?? `${addressOf(readKeyFile(keyPath).publicKey)}/${name}`;
  const bad = logIdProblem(logId);
  if (bad) throw new UsageError(`log id "${logId}": ${bad}`);
  return logId;
}

export const submitCommand: Command = {
  name: 'submit',
  summary: 'Commit an OAR log root to Pantheon and print the receipt (commitment id).',
  usage: 'pantheon submit (--log ID | --name NAME) --root HEX --size N --key FILE [--consistency FILE] [--node URL] [--fee N] [--wait final|anchored [--timeout S]] [--json]',
  details: [
    '  --log ID         the log id, <owner address>/<name> (docs/transaction.md)',
    `  --name NAME      the same, under the address of --key (1-${LOG_NAME_MAX} printable ASCII characters)`,
    '  --root HEX       the log root, 32 bytes as 64 hex digits',
    '  --size N         the number of entries the root covers',
    '  --key FILE       the owner key that signs the commitment (it pays the fee)',
    '  --consistency F  after the log\'s first commitment: the RFC 9162 consistency proof from the',
    '                   committed size and root to this one (docs/consistency-proof.md); checked',
    '                   here against the node\'s record of the log before anything is sent',
    `  --node URL       a node's HTTP API (default ${DEFAULT_NODE_URL})`,
    '  --fee N          fee in base units (default: the genesis minimum, 1000)',
    '  --wait W         wait until the commitment is final (or anchored in Bitcoin)',
    `  --timeout S      give up waiting after S seconds (default ${DEFAULT_FINAL_TIMEOUT_MS / 1000} for final, ${DEFAULT_ANCHORED_TIMEOUT_MS / 1000} for anchored)`,
    '  --json           machine output; errors are JSON too',
  ].join('\n'),
  options: { log: { type: 'string' }, name: { type: 'string' }, root: { type: 'string' }, size: { type: 'string' }, key: { type: 'string' }, consistency: { type: 'string' }, fee: { type: 'string', default: '1000' }, wait: { type: 'string' }, ...timeoutOption, ...nodeOption },
  async run(values) {
    const keyPath = requireString(values, 'key');
    const logId = logIdFrom(values, keyPath);
    let root: Uint8Array;
    try {
      root = hexToBytes(requireString(values, 'root').toLowerCase(), '--root', 32);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const size = requireString(values, 'size');
    if (!/^[1-9][0-9]{0,15}$/.test(size) || BigInt(size) > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`--size must be a positive integer up to 2^53 - 1, got "${size}"`);
    const fee = values.fee as string;
    if (!/^(0|[1-9][0-9]{0,18})$/.test(fee)) throw new UsageError(`--fee must be an integer number of base units, got "${fee}"`);
    const wait = values.wait as string | undefined;
    if (wait !== undefined && wait !== 'final' && wait !== 'anchored') throw new UsageError('--wait must be final or anchored');
    const nodeUrl = values.node as string;
    const committed = await fetchLog(nodeUrl, logId);
    let previousSize = 0n;
    let consistencyProof: Uint8Array[] = [];
    if (committed) {
      previousSize = BigInt(committed.size);
      if (values.consistency === undefined) throw new UsageError(`log ${logId} is committed at size ${committed.size}: give --consistency <file> with the proof from size ${committed.size} to ${size}`);
      const file = parseConsistencyProof(readJsonFile(values.consistency as string, 'consistency proof'));
      if (file.logId !== logId) throw new Error(`the consistency proof is for log ${file.logId}, not ${logId}`);
      if (file.fromSize !== previousSize || bytesToHex(file.fromRoot) !== committed.root) throw new Error(`the consistency proof starts at size ${file.fromSize}; log ${logId} is committed at size ${committed.size}, root ${committed.root}`);
      if (file.toSize !== BigInt(size) || bytesToHex(file.toRoot) !== bytesToHex(root)) throw new Error(`the consistency proof ends at size ${file.toSize}, root ${bytesToHex(file.toRoot)}, not --size ${size} --root ${bytesToHex(root)}`);
      if (!verifyConsistency(Number(previousSize), Number(size), file.proof, file.fromRoot, root)) throw new Error(`the consistency proof from size ${committed.size} to size ${size} does not verify: this root does not extend the committed one`);
      consistencyProof = file.proof;
    } else if (values.consistency !== undefined) {
      throw new UsageError(`log ${logId} has no commitment yet: its first commitment carries no consistency proof`);
    }
    if (values.timeout !== undefined) parseTimeoutMs(values.timeout, 1);
    const key = readKeyFile(keyPath);
    const receipt = await submitAndWait(nodeUrl, (c) => c.submitCommitment({ logId, root, treeSize: BigInt(size), key, fee: BigInt(fee), previousSize, consistencyProof }), wait as WaitTarget | undefined, values.timeout, values.json as boolean);
    const out = { commitmentId: receipt.txId, logId, previousSize: previousSize.toString(), ...receipt };
    if (values.json) printJson(out);
    else process.stdout.write(`commitment ${out.commitmentId}\n  status  ${out.status}${out.height ? ` at height ${out.height}` : ''}\n  log     ${logId} size ${size} (extends ${previousSize})\n  sender  ${out.sender} nonce ${out.nonce}\n`);
    return 0;
  },
};

export const logCommand: Command = {
  name: 'log',
  summary: "Show a log's history: owner, latest size and root, key changes, and its commitments.",
  usage: 'pantheon log <log id> [--from N] [--limit N] [--node URL] [--json]',
  details: [
    '  --from N    the first commitment to list, by its sequence in the log (default 0)',
    '  --limit N   commitments per page, 1-100 (default 100); the answer names the next page',
  ].join('\n'),
  options: { from: { type: 'string', default: '0' }, limit: { type: 'string', default: '100' }, ...nodeOption },
  positionals: { min: 1, max: 1 },
  async run(values, [logId]) {
    const bad = logIdProblem(logId);
    if (bad) throw new UsageError(`log id "${logId}": ${bad}`);
    const from = values.from as string;
    const limit = values.limit as string;
    if (!/^(0|[1-9][0-9]{0,18})$/.test(from)) throw new UsageError(`--from must be a sequence number, got "${from}"`);
    if (!/^[1-9][0-9]{0,2}$/.test(limit) || Number(limit) > 100) throw new UsageError(`--limit must be from 1 to 100, got "${limit}"`);
    const h = await api(values.node as string, `${logPath(logId)}?from=${from}&limit=${limit}`);
    if (values.json) printJson(h);
    else {
      const lines = [
        `log          ${h.logId}`,
        `owner        ${h.owner}${h.owner === h.founder ? ' (the founding key)' : ` (founded by ${h.founder})`}`,
        `latest       size ${h.size}, root ${h.root}`,
        `commitments  ${h.commitmentCount}`,
        ...h.keyChanges.map((k: any) => `key change   from size ${k.fromSize} to ${k.address}`),
        '',
        'seq  tree size  root                                                              height  status   commitment id',
        ...h.commitments.map((c: any) => `${c.sequence.padStart(3)}  ${c.treeSize.padStart(9)}  ${c.root}  ${c.height.padStart(6)}  ${c.status.padEnd(8)} ${c.commitmentId}`),
        ...(h.next ? [`… more: pantheon log ${logId} --from ${h.next}`] : []),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  },
};

export const logKeyChangeCommand: Command = {
  name: 'log key-change',
  summary: "Hand a log to a new owner key (signed by the current owner key).",
  usage: 'pantheon log key-change (--log ID | --name NAME) --new-key FILE --from-size N --key FILE [--node URL] [--fee N] [--wait final] [--json]',
  details: [
    '  --new-key FILE   the new owner\'s key file (only its public key is used)',
    '  --from-size N    the first OAR sequence number the new key signs: the key-change entry\'s sequence + 1;',
    '                   at least the committed size, and after the last key change (docs/state.md)',
    '  --key FILE       the current owner key (it signs and pays the fee)',
  ].join('\n'),
  options: { log: { type: 'string' }, name: { type: 'string' }, 'new-key': { type: 'string' }, 'from-size': { type: 'string' }, key: { type: 'string' }, fee: { type: 'string', default: '1000' }, wait: { type: 'string' }, ...timeoutOption, ...nodeOption },
  async run(values) {
    const keyPath = requireString(values, 'key');
    const logId = logIdFrom(values, keyPath);
    const newKey = readKeyFile(requireString(values, 'new-key'));
    const fromSize = requireString(values, 'from-size');
    if (!/^(0|[1-9][0-9]{0,15})$/.test(fromSize) || BigInt(fromSize) > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`--from-size must be an integer up to 2^53 - 1, got "${fromSize}"`);
    const fee = values.fee as string;
    if (!/^(0|[1-9][0-9]{0,18})$/.test(fee)) throw new UsageError(`--fee must be an integer number of base units, got "${fee}"`);
    const wait = values.wait as string | undefined;
    if (wait !== undefined && wait !== 'final') throw new UsageError('--wait must be final');
    const nodeUrl = values.node as string;
    const payload = { kind: 'keyChange' as const, logId, newPublicKey: newKey.publicKey, fromSize: BigInt(fromSize) };
    const key = readKeyFile(keyPath);
    const receipt = await submitAndWait(nodeUrl, (c) => c.submitPayload(payload, key, BigInt(fee)), wait as WaitTarget | undefined, values.timeout, values.json as boolean);
    const out = { logId, newOwner: addressOf(newKey.publicKey), fromSize, ...receipt };
    if (values.json) printJson(out);
    else process.stdout.write(`key change ${out.txId}: ${out.status}${out.height ? ` at height ${out.height}` : ''}\n  log ${logId}: ${out.newOwner} signs from size ${fromSize}\n`);
    return 0;
  },
};

export const transferCommand: Command = {
  name: 'transfer',
  summary: 'Send PAN from the account of a key file to an address.',
  usage: 'pantheon transfer --to ADDRESS --amount BASE_UNITS --key FILE [--node URL] [--fee N] [--wait final [--timeout S]] [--json]',
  details: ['  amounts are integer base units: 1 PAN = 100000000', `  --timeout S    give up waiting after S seconds (default ${DEFAULT_FINAL_TIMEOUT_MS / 1000})`].join('\n'),
  options: { to: { type: 'string' }, amount: { type: 'string' }, key: { type: 'string' }, fee: { type: 'string', default: '1000' }, wait: { type: 'string' }, ...timeoutOption, ...nodeOption },
  async run(values) {
    const to = requireString(values, 'to');
    try {
      decodeAddress(to, '--to');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const amount = requireString(values, 'amount');
    if (!/^[1-9][0-9]{0,18}$/.test(amount)) throw new UsageError(`--amount must be a positive integer number of base units, got "${amount}"`);
    const fee = values.fee as string;
    if (!/^(0|[1-9][0-9]{0,18})$/.test(fee)) throw new UsageError(`--fee must be an integer number of base units, got "${fee}"`);
    const wait = values.wait as string | undefined;
    if (wait !== undefined && wait !== 'final') throw new UsageError('--wait must be final');
    if (values.timeout !== undefined) parseTimeoutMs(values.timeout, 1);
    const key = readKeyFile(requireString(values, 'key'));
    const receipt = await submitAndWait(values.node as string, (c) => c.transfer({ to, amount: BigInt(amount), key, fee: BigInt(fee) }), wait, values.timeout, values.json as boolean);
    if (values.json) printJson(receipt);
    else process.stdout.write(`transfer ${receipt.txId}: ${receipt.status}${receipt.height ? ` at height ${receipt.height}` : ''}\n`);
    return 0;
  },
};

export const statusCommand: Command = {
  name: 'status',
  summary: "Show a node's height, peers, sync progress and mempool.",
  usage: 'pantheon status [--node URL] [--json]',
  options: nodeOption,
  async run(values) {
    const s = await new PantheonClient(values.node as string).status();
    if (values.json) printJson(s);
    else {
      process.stdout.write(
        `chain      ${s.chainId} (genesis ${s.genesisHash})\n` +
          `height     ${s.height}  last block ${s.lastBlockHash.slice(0, 16)}…\n` +
          `consensus  height ${s.consensus.height} round ${s.consensus.round} step ${s.consensus.step}${s.validatorIndex === null ? ' (full node)' : ` (validator ${s.validatorIndex})`}\n` +
          `peers      ${s.peers}   sync: ${s.sync.syncing ? `catching up to ${s.sync.bestPeerHeight}` : 'in sync'}\n` +
          `mempool    ${s.mempool.transactions} transactions   commitment log: ${s.commitmentLogSize} leaves\n`,
      );
    }
    return 0;
  },
};

export const txCommand: Command = {
  name: 'tx',
  summary: 'Show the status of a transaction or commitment: pending, final at height h, or anchored.',
  usage: 'pantheon tx <id> [--node URL] [--json]',
  options: nodeOption,
  positionals: { min: 1, max: 1 },
  async run(values, [id]) {
    id = parseHex32(id, 'the id');
    const s = await new PantheonClient(values.node as string).txStatus(id);
    if (values.json) printJson(s);
    else process.stdout.write(`${id}: ${s.status}${s.height ? ` at height ${s.height}` : ''}${s.logIndex !== null && s.logIndex !== undefined ? `, commitment log index ${s.logIndex}` : ''}\n`);
    return s.status === 'unknown' ? 1 : 0;
  },
};

