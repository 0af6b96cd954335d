// `pantheon verify`: the offline verifier in a terminal. Reads the bundle and the trust root
// from files or flags, runs verifyBundle (pure, no network), prints each step and the summary.
// Exit code 0 only when every step passed; 1 when the bundle does not verify; 2 on usage errors.
import { closeSync, openSync, readSync } from 'node:fs';
import { readJsonFile, readTextFile } from '../files.ts';
import { RECORD_MAGIC } from '../../oar/record.ts';
import { parseCheckpoint, type BitcoinCheckpoint } from '../../genesis/genesis.ts';
import { WORK_FLOOR_DIVISOR_DEFAULT, WORK_FLOOR_DIVISOR_MAX } from '../../light-client/bitcoin-assurance.ts';
import { printJson, UsageError, type Command } from './command.ts';
import { verifyBundle, type VerifyOptions } from '../../light-client/verify.ts';
import { reportText } from '../../light-client/summary.ts';
import { verifyHistory } from '../../light-client/consistency.ts';
import { verifyEntryBundle } from '../../light-client/verify-entry.ts';
import { isEntryBundle } from '../../light-client/entry-bundle.ts';
import { logIdProblem } from '../../protocol/tx.ts';
import { parseStrictJson } from '../../protocol/strict-json.ts';


export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Verify a proof bundle, an entry bundle or a whole OAR record offline, down to the Bitcoin anchor.',
  usage: 'pantheon verify <proof.json | entry.json | record.oar> (--genesis <genesis.json> | --genesis-hash <hex>) [--earlier <proof.json> [--consistency <proof-file.json>]] [--btc-block <hash>] [--btc-checkpoint H:HASH:BITS] [--btc-work-divisor N] [--min-confirmations N] [--log <id>] [--threads N] [--json]',
  details: [
    '  --genesis FILE         the genesis file you trust; its hash is the trust root',
    '  --genesis-hash HEX     the genesis hash you pinned; the bundle must carry the genesis',
    '  --btc-block HASH       a Bitcoin block hash you trust (display hex); the bundle\'s headers must reach it',
    '  --btc-checkpoint H:HASH:BITS  a mainnet block you trust (height, display hash, bits as 8 hex digits)',
    '                         instead of the genesis checkpoint; every anchor header must meet its difficulty / divisor',
    `  --btc-work-divisor N   the work floor is the checkpoint difficulty / N (default ${WORK_FLOOR_DIVISOR_DEFAULT})`,
    '  --min-confirmations N  Bitcoin headers required from the anchoring block on (default 6)',
    '  --earlier FILE         a bundle of an earlier commitment of the same log: both are verified, then',
    '                         the history is checked to be one (the earlier tree a prefix of the later)',
    '  --consistency FILE     the RFC 9162 consistency proof between the two (docs/consistency-proof.md);',
    '                         not needed when the later commitment extends the earlier size directly',
    '  --log ID               a record: the log id you mean to audit (<owner pan1 address>/<name>)',
    '  --threads N            a record: worker threads verifying signatures (default: one per core; 0: none)',
    '  --json                 print the steps and summary as JSON',
    '',
    'A record (pantheon oar export, recognised by its magic "pan-oar\\n"; docs/record-audit.md) is audited whole:',
    'every entry, link and signature from entry 0 with the key in force, every outcome after its intent, each',
    'checkpoint root recomputed from the entries, each stored commitment bundle verified down to Bitcoin and',
    'matched with its checkpoint, and the consistency of successive commitments. It names the first broken link by',
    'sequence number and step, and counts entries, actors, checkpoints, open intents and withheld payloads.',
    'Progress is shown on a terminal (stderr).',
    '',
    'An entry bundle (pantheon oar prove, docs/entry-bundle.md) is checked from the entry down: the key in',
    'force, the signatures, the payload, the inclusion under the committed root, then its commitment bundle.',
    'Nothing is fetched: every hash and signature is recomputed from the bundle and the trust root.',
    'Exit code 0 only when every step passed.',
  ].join('\n'),
  options: {
    genesis: { type: 'string' },
    'genesis-hash': { type: 'string' },
    'btc-block': { type: 'string' },
    'min-confirmations': { type: 'string' },
    'btc-checkpoint': { type: 'string' },
    'btc-work-divisor': { type: 'string' },
    earlier: { type: 'string' },
    log: { type: 'string' },
    threads: { type: 'string' },
    consistency: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [bundlePath]) {
    const genesisPath = values.genesis as string | undefined;
    const pinned = values['genesis-hash'] as string | undefined;
    if (!genesisPath && !pinned) throw new UsageError('give the trust root: --genesis <genesis.json> or --genesis-hash <hex>');
    // Malformed trust inputs are usage errors, not twelve failed verification steps.
    if (pinned !== undefined && !/^[0-9a-fA-F]{64}$/.test(pinned)) throw new UsageError(`--genesis-hash must be 64 hex digits (32 bytes), got "${pinned}"`);
    const btcBlock = values['btc-block'] as string | undefined;
    if (btcBlock !== undefined && !/^[0-9a-fA-F]{64}$/.test(btcBlock)) throw new UsageError(`--btc-block must be a Bitcoin block hash, 64 hex digits, got "${btcBlock}"`);
    const minText = values['min-confirmations'] as string | undefined;
    if (minText !== undefined && !/^(0|[1-9][0-9]{0,3})$/.test(minText)) throw new UsageError(`--min-confirmations must be an integer from 0 to 9999, got "${minText}"`);
    const divisorText = values['btc-work-divisor'] as string | undefined;
    if (divisorText !== undefined && (!/^[1-9][0-9]{0,7}$/.test(divisorText) || Number(divisorText) > WORK_FLOOR_DIVISOR_MAX)) {
      throw new UsageError(`--btc-work-divisor must be an integer from 1 to ${WORK_FLOOR_DIVISOR_MAX}, got "${divisorText}"`);
    }
    const checkpointText = values['btc-checkpoint'] as string | undefined;
    const options: VerifyOptions = {
      // Text, not parsed JSON: the verifier reads it strictly (a duplicate member fails its step).
      genesis: genesisPath ? readTextFile(genesisPath, 'genesis') : undefined,
      genesisHash: pinned?.toLowerCase(),
      pinnedBtcBlockHash: btcBlock?.toLowerCase(),
      minBtcConfirmations: minText === undefined ? undefined : Number(minText),
      btcCheckpoint: checkpointText === undefined ? undefined : parseCheckpointFlag(checkpointText),
      workFloorDivisor: divisorText === undefined ? undefined : Number(divisorText),
      // The local clock only bounds how far in the future a timestamp may be; the summary prints it.
      nowMs: Date.now(),
    };
    const threadsText = values.threads as string | undefined;
    if (threadsText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(threadsText)) throw new UsageError(`--threads must be an integer from 0 to 999, got "${threadsText}"`);
    const logId = values.log as string | undefined;
    if (isRecordFile(bundlePath)) {
      if (values.earlier !== undefined || values.consistency !== undefined) throw new UsageError('--earlier and --consistency are for proof bundles; a record carries its own commitments');
      if (logId !== undefined && logIdProblem(logId)) throw new UsageError(`--log: ${logIdProblem(logId)}`);
      const { runRecordAudit } = await import('./record-audit.ts');
      return runRecordAudit(bundlePath, { ...options, logId }, { json: values.json === true, threads: threadsText === undefined ? undefined : Number(threadsText), progress: values.json !== true && process.stderr.isTTY === true });
    }
    if (logId !== undefined || threadsText !== undefined) throw new UsageError('--log and --threads are for a record (record.oar), not a bundle');
    const earlierPath = values.earlier as string | undefined;
    if (values.consistency !== undefined && !earlierPath) throw new UsageError('--consistency needs --earlier <proof.json>: it links two bundles');
    if (earlierPath) {
      const proofFile = values.consistency === undefined ? undefined : readJsonFile(values.consistency as string, 'consistency proof');
      const h = verifyHistory(readTextFile(bundlePath, 'proof bundle'), readTextFile(earlierPath, 'earlier proof bundle'), options, proofFile);
      if (values.json) printJson({ ok: h.ok, history: h.verdict, earlier: { ok: h.earlier.ok, failedStep: h.earlier.failedStep, summary: h.earlier.summary }, later: { ok: h.later.ok, failedStep: h.later.failedStep, summary: h.later.summary } });
      else {
        process.stdout.write(`== earlier bundle (${earlierPath})\n${reportText(h.earlier)}\n== later bundle (${bundlePath})\n${reportText(h.later)}\n`);
        process.stdout.write(`${h.ok ? 'ONE HISTORY' : 'NOT SHOWN TO BE ONE HISTORY'}: ${h.verdict}\n`);
      }
      return h.ok ? 0 : 1;
    }
    // Parsed once, strictly; a text that does not parse goes to verifyBundle, whose format step reports why.
    const text = readTextFile(bundlePath, 'proof bundle');
    let json: unknown = text;
    try {
      json = parseStrictJson(text, 'bundle');
    } catch {
      // reported by the format step
    }
    const result = isEntryBundle(json) ? verifyEntryBundle(json, options) : verifyBundle(json, options);
    if (values.json) printJson({ ok: result.ok, failedStep: result.failedStep, bitcoinAssurance: result.summary.bitcoinAssurance ?? null, steps: result.steps, summary: result.summary });
    else process.stdout.write(reportText(result));
    return result.ok ? 0 : 1;
  },
};

/** "HEIGHT:HASH:BITS", e.g. 925000:0000…1a2b:1702349e, checked by the genesis checkpoint rules. */
function parseCheckpointFlag(text: string): BitcoinCheckpoint {
  const parts = text.split(':');
  if (parts.length !== 3 || !/^(0|[1-9][0-9]*)$/.test(parts[0])) throw new UsageError(`--btc-checkpoint must be HEIGHT:HASH:BITS (a decimal height, the block hash in display hex, bits as 8 hex digits), got "${text}"`);
  try {
    return parseCheckpoint({ height: Number(parts[0]), hash: parts[1].toLowerCase(), bits: parts[2].toLowerCase() }, '--btc-checkpoint');
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^genesis /, ''));
  }
}

/** A record begins with its magic "pan-oar\n"; anything else is read as a bundle's JSON text. */
export function isRecordFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = new Uint8Array(RECORD_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && RECORD_MAGIC.every((b, i) => head[i] === b);
  } catch {
    return false; // unreadable: the bundle reader reports it by name
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
