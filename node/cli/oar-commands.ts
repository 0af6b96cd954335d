// `pantheon oar …`: the operator's Open Audit Record from the command line (docs/oar.md): create
// a record, append entries from JSON on stdin, show its size and checkpoints, checkpoint it into
// Pantheon, export it for an auditor, and serve the writer on a Unix socket for agents in any
// language. A record directory keeps its settings in oar.json (chain id, log id, key file,
// node), written by `oar init`, so the other commands need only --dir.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addressOf } from '../../protocol/keys.ts';
import { bytesToHex } from '../../protocol/bytes.ts';
import { logIdProblem, LOG_NAME_MAX } from '../../protocol/tx.ts';
import { assertValidChainId } from '../../protocol/hash.ts';
import { Checkpointer, readCheckpointJournal, type CheckpointRecord } from '../../oar/node/checkpointer.ts';
import { OarWriter, OarInputError } from '../../oar/node/writer.ts';
import { exportRecord } from '../../oar/node/export.ts';
import { fileChunks, recordPath } from '../../oar/node/record-file.ts';
import { serveOar } from '../../oar/node/serve.ts';
import { verifyRecord } from '../../oar/verify.ts';
import { readKeyFile } from '../keyfile.ts';
import { writeFileAtomic } from '../files.ts';
import { DEFAULT_NODE_URL, PantheonClient } from '../client.ts';
import { parseNodeUrl, parsePositiveInt, parseTimeoutMs, printJson, requireString, UsageError, type Command } from './command.ts';

export const CONFIG_FILE = 'oar.json';

interface OarConfig {
  version: 1;
  chainId: string;
  logId: string;
  /** Absolute path of the owner's key file. */
  keyFile: string;
  node: string;
}

const dirOption = { dir: { type: 'string' as const, default: 'oar' }, json: { type: 'boolean' as const, default: false } };
const DIR_HELP = '  --dir DIR        the record directory (default ./oar): record.oar, checkpoints.jsonl, oar.json';

function loadConfig(dir: string): OarConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw new UsageError(`${dir} is not an OAR record directory (no ${CONFIG_FILE}); create one with pantheon oar init --dir ${dir} --name NAME --key FILE`);
  let config: OarConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message})`);
  }
  if (config.version !== 1) throw new Error(`${path}: version ${config.version} is not supported (this build reads version 1)`);
  return config;
}

function nodeOf(values: Record<string, unknown>, config: OarConfig): string {
  return typeof values.node === 'string' ? values.node : config.node;
}

async function openWriter(dir: string, config: OarConfig, history = false): Promise<OarWriter> {
  return OarWriter.open({ dir, chainId: config.chainId, logId: config.logId, key: readKeyFile(config.keyFile), history });
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read standard input: ${(err as Error).message}`);
  }
}

function describeCheckpoint(r: CheckpointRecord | null | undefined): string {
  if (!r) return 'none';
  return `size ${r.size} ${r.status}${r.commitmentId ? ` (commitment ${r.commitmentId}${r.height ? `, height ${r.height}` : ''})` : ''}`;
}

export const oarInitCommand: Command = {
  name: 'oar init',
  summary: 'Create an OAR record for a Pantheon log (the log id is <owner address>/<name>).',
  usage: 'pantheon oar init (--log ID | --name NAME) --key FILE [--dir DIR] [--node URL | --chain-id ID] [--json]',
  details: [
    '  --log ID         the Pantheon log id, <address of --key>/<name>',
    `  --name NAME      the same, under the address of --key (1-${LOG_NAME_MAX} printable ASCII characters)`,
    '  --key FILE       the owner key: it signs every entry and every checkpoint commitment',
    DIR_HELP,
    `  --node URL       the node checkpoints go to; the chain id is read from it (default ${DEFAULT_NODE_URL})`,
    '  --chain-id ID    the chain id, without asking a node (offline)',
  ].join('\n'),
  options: { log: { type: 'string' }, name: { type: 'string' }, key: { type: 'string' }, node: { type: 'string', default: DEFAULT_NODE_URL }, 'chain-id': { type: 'string' }, ...dirOption },
  async run(values) {
    const keyFile = resolve(requireString(values, 'key'));
    const key = readKeyFile(keyFile);
    const name = values.name as string | undefined;
    const given = values.log as string | undefined;
    if ((name === undefined) === (given === undefined)) throw new UsageError('give the log as --log <owner address>/<name> or as --name <name> (under the address of --key)');
    const logId = given ?? `${addressOf(key.publicKey)}/${name}`;
    const bad = logIdProblem(logId);
    if (bad) throw new UsageError(`log id "${logId}": ${bad}`);
    const dir = resolve(values.dir as string);
    if (existsSync(join(dir, CONFIG_FILE))) throw new UsageError(`${dir} already holds an OAR record (${CONFIG_FILE}); use another --dir`);
    let chainId = values['chain-id'] as string | undefined;
    if (chainId !== undefined) {
      try {
        assertValidChainId(chainId);
      } catch (err) {
        throw new UsageError(`--chain-id: ${(err as Error).message}`);
      }
    } else chainId = (await new PantheonClient(values.node as string).status()).chainId as string;
    const writer = await OarWriter.open({ dir, chainId, logId, key, create: true });
    await writer.close();
    const config: OarConfig = { version: 1, chainId, logId, keyFile, node: values.node as string };
    writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    if (values.json) printJson({ dir, ...config, owner: addressOf(key.publicKey) });
    else process.stdout.write(`created an OAR record in ${dir}\n  log    ${logId}\n  chain  ${chainId}\n  owner  ${addressOf(key.publicKey)}\n`);
    return 0;
  },
};

export const oarAppendCommand: Command = {
  name: 'oar append',
  summary: 'Append entries from JSON on stdin (one object, or one per line): intents, and outcomes of earlier intents.',
  usage: 'pantheon oar append [--dir DIR] [--json] < entries.jsonl   (e.g. echo \'{"actor":"A","actorVersion":"V","payload":…}\' | pantheon oar append)',
  details: [
    '  an intent:   {"actor": "credit-agent", "actorVersion": "v3", "payload": <any JSON>}   ("kind": "intent" may be given)',
    '  an outcome:  {"kind": "outcome", "permit": {"sequence": N, "entryHash": "<hex>"}, "status": "done"|"failed", "payload": <any JSON>}',
    '  Each is signed and on disk before the next line is read; the answer is one JSON line per entry',
    '  ({"sequence", "entryHash", …}). The first refused line stops the command; the lines before it are kept.',
    DIR_HELP,
    '  A record open in `pantheon oar serve` is locked: send entries to its socket instead.',
  ].join('\n'),
  options: dirOption,
  async run(values) {
    const dir = resolve(values.dir as string);
    const config = loadConfig(dir);
    const text = readStdin();
    const requests: unknown[] = [];
    const trimmed = text.trim();
    if (trimmed === '') throw new UsageError('no JSON on standard input');
    for (const [i, line] of (trimmed.startsWith('{') && !trimmed.includes('\n') ? [trimmed] : trimmed.split('\n')).entries()) {
      if (line.trim() === '') continue;
      try {
        requests.push(JSON.parse(line));
      } catch (err) {
        throw new UsageError(`stdin line ${i + 1} is not JSON: ${(err as Error).message}`);
      }
    }
    const writer = await openWriter(dir, config);
    const sealed: unknown[] = [];
    try {
      for (const [i, request] of requests.entries()) {
        const r = request as Record<string, unknown>;
        const withKind = typeof r === 'object' && r !== null && !Array.isArray(r) && r.kind === undefined ? { ...r, kind: 'intent' } : r;
        try {
          const result = await writer.submit(withKind);
          sealed.push(result);
          if (!values.json) process.stdout.write(JSON.stringify(result) + '\n');
        } catch (err) {
          if (err instanceof OarInputError) throw new Error(`entry ${i + 1} of ${requests.length} refused (${i} appended): ${err.message}`);
          throw err;
        }
      }
    } finally {
      await writer.close();
    }
    if (values.json) printJson({ appended: sealed.length, entries: sealed, size: writer.size });
    return 0;
  },
};

export const oarStatusCommand: Command = {
  name: 'oar status',
  summary: "Show a record's size, root, open intents and checkpoints: the last one, the last final and the last anchored.",
  usage: 'pantheon oar status [--dir DIR] [--json]',
  details: [DIR_HELP, '  Reads the record and checkpoints.jsonl without taking the writer lock: works while `oar serve` runs.'].join('\n'),
  options: dirOption,
  async run(values) {
    const dir = resolve(values.dir as string);
    const config = loadConfig(dir);
    const summary = await verifyRecord(fileChunks(recordPath(dir)), { chainId: config.chainId, signatures: 'last' }).catch((err) => {
      throw new Error(`${recordPath(dir)}: ${(err as Error).message}`);
    });
    const journal = [...readCheckpointJournal(dir).values()].sort((a, b) => a.size - b.size);
    const last = (pred: (r: CheckpointRecord) => boolean) => journal.filter(pred).at(-1) ?? null;
    const out = {
      dir,
      logId: summary.logId,
      chainId: summary.chainId,
      size: summary.entries,
      root: summary.root ? bytesToHex(summary.root) : null,
      headHash: bytesToHex(summary.headHash),
      openIntents: summary.openIntents.length,
      lastCheckpoint: last((r) => r.status !== 'refused' && r.status !== 'superseded'),
      lastFinal: last((r) => r.status === 'final' || r.status === 'anchored'),
      lastAnchored: last((r) => r.status === 'anchored'),
      pending: journal.filter((r) => r.status === 'pending').length,
      refused: journal.filter((r) => r.status === 'refused').length,
      bundlesInRecord: summary.checkpoints.filter((c) => c.bundles > 0).length,
    };
    if (values.json) printJson(out);
    else {
      process.stdout.write(
        [
          `log             ${out.logId} (chain ${out.chainId})`,
          `size            ${out.size} entries, ${out.openIntents} open intents`,
          `root            ${out.root}`,
          `last checkpoint ${describeCheckpoint(out.lastCheckpoint)}`,
          `last final      ${describeCheckpoint(out.lastFinal)}`,
          `last anchored   ${describeCheckpoint(out.lastAnchored)}${out.bundlesInRecord ? ` (${out.bundlesInRecord} bundles in the record)` : ''}`,
          ...(out.refused ? [`refused         ${out.refused} (rebuilt from the chain's record of the log)`] : []),
        ].join('\n') + '\n',
      );
    }
    return 0;
  },
};

export const oarCheckpointCommand: Command = {
  name: 'oar checkpoint',
  summary: "Checkpoint the record into Pantheon now: commit its size and root with the consistency proof, and wait.",
  usage: 'pantheon oar checkpoint [--dir DIR] [--node URL] [--wait final|anchored|none] [--timeout S] [--json]',
  details: [
    DIR_HELP,
    '  --node URL       the node to commit through (default: the one given to oar init)',
    '  --wait W         wait until the checkpoint is final (default) or anchored (its bundle is then stored in the record), or not at all',
    '  --timeout S      give up waiting after S seconds (default 120 for final, 3600 for anchored); the checkpoint stays pending and',
    '                   the next writer (oar serve, oar checkpoint) follows it up',
  ].join('\n'),
  options: { node: { type: 'string' }, wait: { type: 'string', default: 'final' }, timeout: { type: 'string' }, ...dirOption },
  async run(values) {
    const dir = resolve(values.dir as string);
    const config = loadConfig(dir);
    const wait = values.wait as string;
    if (wait !== 'final' && wait !== 'anchored' && wait !== 'none') throw new UsageError(`--wait must be final, anchored or none, got "${wait}"`);
    const timeoutMs = parseTimeoutMs(values.timeout, wait === 'anchored' ? 3600 : 120);
    const writer = await openWriter(dir, config, true);
    let checkpointer: Checkpointer | undefined;
    try {
      if (writer.size === 0) throw new Error('the record has no entries to checkpoint');
      checkpointer = await Checkpointer.start({ writer, chain: new PantheonClient(nodeOf(values, config)), everyEntries: Number.MAX_SAFE_INTEGER, everyMs: Number.MAX_SAFE_INTEGER, pollMs: 500, retryMaxMs: 5000 });
      const size = await checkpointer.checkpointNow();
      let rec: CheckpointRecord | undefined;
      if (wait !== 'none') rec = await checkpointer.waitFor(size, wait, timeoutMs);
      else {
        const deadline = Date.now() + timeoutMs;
        while (!(rec = readCheckpointJournal(dir).get(size))?.commitmentId && Date.now() < deadline) {
          const s = checkpointer.status();
          if (s.fork) throw new Error(s.fork);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const status = checkpointer.status();
      if (status.fork) throw new Error(status.fork);
      const out = { ...rec, logId: config.logId, committed: status.committed };
      if (values.json) printJson(out);
      else process.stdout.write(`checkpoint of size ${rec?.size ?? size}: ${rec?.status ?? 'pending'}${rec?.commitmentId ? `\n  commitment ${rec.commitmentId}` : ''}${rec?.height ? `\n  height     ${rec.height}` : ''}\n  log        ${config.logId}\n`);
      return 0;
    } finally {
      await checkpointer?.stop();
      await writer.close();
    }
  },
};

export const oarExportCommand: Command = {
  name: 'oar export',
  summary: 'Export the record (entries, payloads unless --redact, checkpoints and their anchored bundles) into one file for an auditor.',
  usage: 'pantheon oar export --out FILE [--dir DIR] [--since SEQ] [--redact] [--json]',
  details: [
    '  --out FILE       the export (the record format of docs/oar.md); written aside and renamed into place',
    '  --since SEQ      start at entry SEQ (the header then carries the key in force and the hash of entry SEQ - 1)',
    '  --redact         withhold every payload; the entries, signatures and roots still verify',
    DIR_HELP,
  ].join('\n'),
  options: { out: { type: 'string' }, since: { type: 'string' }, redact: { type: 'boolean', default: false }, ...dirOption },
  async run(values) {
    const dir = resolve(values.dir as string);
    const config = loadConfig(dir);
    const out = resolve(requireString(values, 'out'));
    const since = values.since === undefined ? 0 : /^(0|[1-9][0-9]*)$/.test(values.since as string) ? Number(values.since) : NaN;
    if (!Number.isSafeInteger(since)) throw new UsageError(`--since must be a sequence number, got "${values.since}"`);
    const result = await exportRecord(dir, out, { since, redact: values.redact as boolean, chainId: config.chainId });
    if (values.json) printJson({ out, ...result });
    else process.stdout.write(`exported entries ${result.firstSequence}-${result.nextSequence - 1} (${result.entries}) to ${out}: ${result.bytes} bytes, ${result.payloadsWithheld} payloads withheld\n`);
    return 0;
  },
};

export const oarServeCommand: Command = {
  name: 'oar serve',
  summary: 'Serve the record writer on a Unix socket (newline-delimited JSON: intend, guard, outcome, status) and checkpoint it into Pantheon.',
  usage: 'pantheon oar serve --socket PATH [--dir DIR] [--node URL] [--every-entries N] [--every-seconds S] [--no-checkpoints] [--json]',
  details: [
    '  --socket PATH      the Unix socket to listen on (mode 0600; a stale socket file is replaced)',
    DIR_HELP,
    '  --node URL         the node checkpoints go to (default: the one given to oar init)',
    '  --every-entries N  checkpoint after N new entries (default 1000)',
    '  --every-seconds S  … or after S seconds with new entries (default 60)',
    '  --no-checkpoints   only write the record',
    '',
    'Requests, one JSON object per line; each answer is one line {"id", "ok": true, …} or {"id", "ok": false, "error": {"kind", "message"}}:',
    '  {"id": 1, "op": "intend", "actor": "A", "actorVersion": "V", "payload": …}      -> {"permit": {"sequence", "entryHash", …}}',
    '  {"id": 2, "op": "guard", …same as intend…}   an intent whose outcome the service records as failed if the connection closes first',
    '  {"id": 3, "op": "outcome", "permit": {…}, "status": "done"|"failed", "payload": …} -> {"sealed": {"sequence", "entryHash"}}',
    '  {"id": 4, "op": "status"}                                                       -> size, root, checkpoints',
    'A permit is answered only once the signed intent is on disk. SIGINT/SIGTERM stop it cleanly.',
  ].join('\n'),
  options: { socket: { type: 'string' }, node: { type: 'string' }, 'every-entries': { type: 'string', default: '1000' }, 'every-seconds': { type: 'string', default: '60' }, 'no-checkpoints': { type: 'boolean', default: false }, ...dirOption },
  async run(values) {
    const dir = resolve(values.dir as string);
    const config = loadConfig(dir);
    const socketPath = resolve(requireString(values, 'socket'));
    const everyEntries = parsePositiveInt(values['every-entries'] as string, 'every-entries');
    const everySeconds = parsePositiveInt(values['every-seconds'] as string, 'every-seconds', 7 * 24 * 3600);
    const node = nodeOf(values, config);
    parseNodeUrl(node);
    const say = (event: Record<string, unknown>) => process.stderr.write((values.json ? JSON.stringify({ timeMs: Date.now(), ...event }) : Object.entries(event).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')) + '\n');
    const writer = await OarWriter.open({ dir, chainId: config.chainId, logId: config.logId, key: readKeyFile(config.keyFile), history: !values['no-checkpoints'], onTornTail: (t) => say({ event: 'torn-tail', ...t }) });
    let checkpointer: Checkpointer | undefined;
    let service;
    try {
      if (!values['no-checkpoints']) {
        checkpointer = await Checkpointer.start({ writer, chain: new PantheonClient(node), everyEntries, everyMs: everySeconds * 1000, onEvent: (e) => say({ event: `checkpoint-${e.kind}`, ...e, kind: undefined }) });
      }
      service = await serveOar({ socketPath, writer, checkpointer, onError: (err) => say({ event: 'error', message: err.message }) });
    } catch (err) {
      await checkpointer?.stop();
      await writer.close();
      throw err;
    }
    // The line a supervisor (or a test) waits for.
    process.stdout.write(JSON.stringify({ listening: socketPath, logId: config.logId, size: writer.size, pid: process.pid, checkpoints: checkpointer ? node : null }) + '\n');
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await service.close();
    await checkpointer?.stop();
    await writer.close();
    say({ event: 'stopped', size: writer.size });
    return 0;
  },
};
