// `pantheon proof <commitment-id>`: fetches the pieces of a proof from a node and assembles
// the self-contained bundle an auditor verifies offline (docs/proof.md).
import { DEFAULT_ANCHORED_TIMEOUT_MS, DEFAULT_FINAL_TIMEOUT_MS, DEFAULT_NODE_URL, PantheonClient } from '../client.ts';
import { parseHex32, parseTimeoutMs, progressReporter, UsageError, type Command } from './command.ts';

export const proofCommand: Command = {
  name: 'proof',
  summary: 'Write the proof bundle of a commitment (JSON, to stdout) for offline verification.',
  usage: 'pantheon proof <commitment-id> [--node URL] [--wait final|anchored [--timeout S]] [--without-genesis] > proof.json',
  details: [
    `  --node URL          a node's HTTP API (default ${DEFAULT_NODE_URL})`,
    '  --wait W            wait until the commitment is final (default: it must be already) or anchored in Bitcoin',
    `  --timeout S         give up waiting after S seconds (default ${DEFAULT_FINAL_TIMEOUT_MS / 1000} for final, ${DEFAULT_ANCHORED_TIMEOUT_MS / 1000} for anchored);`,
    '                      a wait also fails when the node stops answering for 5 s',
    '  --without-genesis   leave the genesis file out (about 16 KB for 4 validators); the auditor then',
    '                      needs genesis.json (pantheon verify --genesis): a pinned hash alone is not enough',
    '',
    'By default the bundle carries the genesis, so it verifies with only a pinned genesis hash.',
    'Before anchoring the bundle proves finality only, and this says so on stderr.',
  ].join('\n'),
  options: { node: { type: 'string', default: DEFAULT_NODE_URL }, wait: { type: 'string' }, timeout: { type: 'string' }, 'without-genesis': { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(values, [idText]) {
    const id = parseHex32(idText, 'the commitment id');
    const wait = values.wait as string | undefined;
    if (wait !== undefined && wait !== 'final' && wait !== 'anchored') throw new UsageError('--wait must be final or anchored');
    if (values.timeout !== undefined && wait === undefined) throw new UsageError('--timeout applies to --wait; add --wait final or --wait anchored');
    const timeoutMs = parseTimeoutMs(values.timeout, (wait === 'anchored' ? DEFAULT_ANCHORED_TIMEOUT_MS : DEFAULT_FINAL_TIMEOUT_MS) / 1000);
    const progress = wait ? progressReporter() : undefined;
    let proof;
    try {
      proof = await new PantheonClient(values.node as string).proof(id, {
        wait,
        timeoutMs,
        pollMs: 1000,
        includeGenesis: !values['without-genesis'],
        onProgress: ({ status, elapsedMs }) => progress?.update(`waiting until ${wait}: ${status} (${Math.round(elapsedMs / 1000)} s)`),
      });
    } finally {
      progress?.done();
    }
    if (!proof.anchored) process.stderr.write(`note: commitment ${id} is final at height ${proof.height} but not yet anchored in Bitcoin; this bundle proves finality only (use --wait anchored)\n`);
    process.stdout.write(JSON.stringify(proof.bundle, null, 2) + '\n');
    return 0;
  },
};
