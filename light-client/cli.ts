// `pantheon verify`: the offline verifier in a terminal. Reads the bundle and the trust root
// from files or flags, runs verifyBundle (pure, no network), prints each step and the summary.
// Exit code 0 only when every step passed; 1 when the bundle does not verify; 2 on usage errors.
import { readJsonFile } from '../node/files.ts';
import { printJson, UsageError, type Command } from '../node/cli/command.ts';
import { verifyBundle, type VerifyOptions } from './verify.ts';
import { reportText } from './summary.ts';
import { verifyHistory } from './consistency.ts';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Verify a proof bundle offline: commitment, inclusion, finality and the Bitcoin anchor.',
  usage: 'pantheon verify <proof.json> (--genesis <genesis.json> | --genesis-hash <hex>) [--earlier <proof.json> [--consistency <proof-file.json>]] [--btc-block <hash>] [--min-confirmations N] [--json]',
  details: [
    '  --genesis FILE         the genesis file you trust; its hash is the trust root',
    '  --genesis-hash HEX     the genesis hash you pinned; the bundle must carry the genesis',
    '  --btc-block HASH       a Bitcoin block hash you trust (display hex); the bundle\'s headers must reach it',
    '  --min-confirmations N  Bitcoin headers required from the anchoring block on (default 6)',
    '  --earlier FILE         a bundle of an earlier commitment of the same log: both are verified, then',
    '                         the history is checked to be one (the earlier tree a prefix of the later)',
    '  --consistency FILE     the RFC 9162 consistency proof between the two (docs/consistency-proof.md);',
    '                         not needed when the later commitment extends the earlier size directly',
    '  --json                 print the steps and summary as JSON',
    '',
    'Nothing is fetched: every hash and signature is recomputed from the bundle and the trust root.',
    'Exit code 0 only when every step passed.',
  ].join('\n'),
  options: {
    genesis: { type: 'string' },
    'genesis-hash': { type: 'string' },
    'btc-block': { type: 'string' },
    'min-confirmations': { type: 'string' },
    earlier: { type: 'string' },
    consistency: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [bundlePath]) {
    const genesisPath = values.genesis as string | undefined;
    const pinned = values['genesis-hash'] as string | undefined;
    if (!genesisPath && !pinned) throw new UsageError('give the trust root: --genesis <genesis.json> or --genesis-hash <hex>');
    const minText = values['min-confirmations'] as string | undefined;
    if (minText !== undefined && !/^(0|[1-9][0-9]{0,3})$/.test(minText)) throw new UsageError(`--min-confirmations must be an integer from 0 to 9999, got "${minText}"`);
    const options: VerifyOptions = {
      genesis: genesisPath ? readJsonFile(genesisPath, 'genesis') : undefined,
      genesisHash: pinned,
      pinnedBtcBlockHash: values['btc-block'] as string | undefined,
      minBtcConfirmations: minText === undefined ? undefined : Number(minText),
      // The local clock only bounds how far in the future a timestamp may be; the summary prints it.
      nowMs: Date.now(),
    };
    const earlierPath = values.earlier as string | undefined;
    if (values.consistency !== undefined && !earlierPath) throw new UsageError('--consistency needs --earlier <proof.json>: it links two bundles');
    if (earlierPath) {
      const proofFile = values.consistency === undefined ? undefined : readJsonFile(values.consistency as string, 'consistency proof');
      const h = verifyHistory(readJsonFile(bundlePath, 'proof bundle'), readJsonFile(earlierPath, 'earlier proof bundle'), options, proofFile);
      if (values.json) printJson({ ok: h.ok, history: h.verdict, earlier: { ok: h.earlier.ok, failedStep: h.earlier.failedStep, summary: h.earlier.summary }, later: { ok: h.later.ok, failedStep: h.later.failedStep, summary: h.later.summary } });
      else {
        process.stdout.write(`== earlier bundle (${earlierPath})\n${reportText(h.earlier)}\n== later bundle (${bundlePath})\n${reportText(h.later)}\n`);
        process.stdout.write(`${h.ok ? 'ONE HISTORY' : 'NOT SHOWN TO BE ONE HISTORY'}: ${h.verdict}\n`);
      }
      return h.ok ? 0 : 1;
    }
    const result = verifyBundle(readJsonFile(bundlePath, 'proof bundle'), options);
    if (values.json) printJson({ ok: result.ok, failedStep: result.failedStep, steps: result.steps, summary: result.summary });
    else process.stdout.write(reportText(result));
    return result.ok ? 0 : 1;
  },
};
