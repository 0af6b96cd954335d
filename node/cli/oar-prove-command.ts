// `pantheon oar prove`: writes the entry bundle of one OAR entry (docs/entry-bundle.md) from a
// record directory or an export, for `pantheon verify` to check offline. Nothing is fetched:
// the record holds its checkpoints' anchored commitment bundles.
import { existsSync, statSync } from 'node:fs';
import { readRecordFile, recordPath } from '../../oar/node/record-file.ts';
import { assembleConsistencyProof, assembleEntryBundle } from '../../light-client/assemble-entry.ts';
import { writeFileAtomic } from '../files.ts';
import { printJson, UsageError, type Command } from './command.ts';

export const oarProveCommand: Command = {
  name: 'oar prove',
  summary: 'Write the entry bundle of one OAR entry: the entry, its partner, key changes, paths and the anchored commitment.',
  usage: 'pantheon oar prove <sequence> --record <dir|file.oar> [--redact] [--out <entry.json>] [--json]',
  details: [
    '  --record PATH   the record directory (holding record.oar) or an export of the whole record',
    '  --redact        leave out the payloads of the entry and its partner (their hashes stay)',
    '  --out FILE      write the bundle there (atomically) instead of to stdout',
    '  --json          with --out, print what was written as JSON',
    '',
    'The bundle proves the entry under the first anchored checkpoint that covers it (and its',
    'partner, when one covers both). Check it offline with: pantheon verify <entry.json> --genesis <genesis.json>',
  ].join('\n'),
  options: {
    record: { type: 'string' },
    redact: { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [sequenceText]) {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(sequenceText) || !Number.isSafeInteger(Number(sequenceText))) throw new UsageError(`the sequence must be an entry number (0, 1, 2, ...), got "${sequenceText}"`);
    const path = recordFileOf(values.record as string | undefined);
    const sequence = Number(sequenceText);
    // The writer may be appending: a frame still being written at the end is left out. An entry
    // not yet under an anchored checkpoint is a failure (exit 1) that names the largest anchored size.
    const bundle = await assembleEntryBundle(() => readRecordFile(path, { allowPartialTail: true }), sequence, { redact: values.redact as boolean });
    const text = JSON.stringify(bundle, null, 2) + '\n';
    const out = values.out as string | undefined;
    if (!out) {
      process.stdout.write(text);
      return 0;
    }
    writeFileAtomic(out, text);
    const summary = { wrote: out, sequence, checkpointSize: bundle.checkpointSize, partner: 'partner' in bundle, keyChanges: (bundle.keyChanges as unknown[]).length, redacted: values.redact as boolean, bytes: Buffer.byteLength(text) };
    if (values.json) printJson(summary);
    else process.stdout.write(`wrote ${out}: entry ${sequence} under the anchored checkpoint of size ${summary.checkpointSize}${summary.partner ? ', with its partner' : ''}, ${summary.keyChanges} key change(s)${summary.redacted ? ', payloads withheld' : ''} (${summary.bytes} bytes)\n`);
    return 0;
  },
};

const SIZE = /^[1-9][0-9]{0,15}$/;

export const oarProveConsistencyCommand: Command = {
  name: 'oar prove-consistency',
  summary: 'Write the RFC 9162 consistency proof between two sizes of a record, for pantheon verify --earlier --consistency.',
  usage: 'pantheon oar prove-consistency --record <dir|file.oar> --from <size> --to <size> [--out <proof.json>]',
  details: [
    '  --record PATH   the record directory (holding record.oar) or an export of the whole record',
    '  --from N        the earlier committed size',
    '  --to N          the later committed size',
    '  --out FILE      write the proof there (atomically) instead of to stdout',
    '',
    'The file (docs/consistency-proof.md) shows offline that the record of size --to extends the',
    'record of size --from: pantheon verify later.json --earlier earlier.json --consistency FILE --genesis genesis.json',
  ].join('\n'),
  options: {
    record: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
  },
  async run(values) {
    const path = recordFileOf(values.record as string | undefined);
    const [from, to] = [values.from, values.to].map((v, i) => {
      if (typeof v !== 'string' || !SIZE.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${i === 0 ? 'from' : 'to'} must be a record size (1, 2, ...), got ${v === undefined ? 'nothing' : `"${v}"`}`);
      return Number(v);
    });
    const proof = await assembleConsistencyProof(() => readRecordFile(path, { allowPartialTail: true }), from, to);
    const text = JSON.stringify(proof, null, 2) + '\n';
    const out = values.out as string | undefined;
    if (!out) process.stdout.write(text);
    else {
      writeFileAtomic(out, text);
      process.stdout.write(`wrote ${out}: sizes ${from} -> ${to}, ${(proof.proof as unknown[]).length} hashes\n`);
    }
    return 0;
  },
};

/** A record directory (holding record.oar) or a record file. */
function recordFileOf(given: string | undefined): string {
  if (!given) throw new UsageError('give the record: --record <dir|file.oar>');
  if (!existsSync(given)) throw new UsageError(`--record: no such file or directory: ${given}`);
  return statSync(given).isDirectory() ? recordPath(given) : given;
}
