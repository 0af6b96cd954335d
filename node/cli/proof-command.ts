// `pantheon proof <commitment-id>`: fetches the pieces of a proof from a node and assembles
// the self-contained bundle an auditor verifies offline (docs/proof.md).
import { hexToBytes } from '../../protocol/bytes.ts';
import { parseGenesis } from '../../genesis/genesis.ts';
import { assembleBundle } from '../../light-client/assemble.ts';
import { api, DEFAULT_NODE_URL, sleep } from '../client.ts';
import { UsageError, type Command } from './command.ts';

export const proofCommand: Command = {
  name: 'proof',
  summary: 'Write the proof bundle of a commitment (JSON, to stdout) for offline verification.',
  usage: 'pantheon proof <commitment-id> [--node URL] [--wait final|anchored] [--without-genesis] > proof.json',
  details: [
    `  --node URL          a node's HTTP API (default ${DEFAULT_NODE_URL})`,
    '  --wait W            wait until the commitment is final (default: it must be already) or anchored in Bitcoin',
    '  --without-genesis   leave the genesis file out (about 16 KB for 4 validators); the auditor then',
    '                      needs genesis.json (pantheon verify --genesis): a pinned hash alone is not enough',
    '',
    'By default the bundle carries the genesis, so it verifies with only a pinned genesis hash.',
    'Before anchoring the bundle proves finality only, and this says so on stderr.',
  ].join('\n'),
  options: { node: { type: 'string', default: DEFAULT_NODE_URL }, wait: { type: 'string' }, 'without-genesis': { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(values, [id]) {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new UsageError(`the commitment id must be 64 lower-case hex digits, got "${id}"`);
    const wait = values.wait as string | undefined;
    if (wait !== undefined && wait !== 'final' && wait !== 'anchored') throw new UsageError('--wait must be final or anchored');
    const nodeUrl = values.node as string;
    const started = Date.now();
    let pieces = await api(nodeUrl, `/v1/proof/${id}`).catch((err) => (wait && err.status === 404 ? { status: 'unknown' } : Promise.reject(err)));
    while (wait && (pieces.status !== 'final' || (wait === 'anchored' && !pieces.anchor))) {
      process.stderr.write(`\rwaiting until ${wait}: ${pieces.status === 'final' ? 'final, not yet anchored' : pieces.status} (${Math.round((Date.now() - started) / 1000)} s)  `);
      await sleep(1000);
      pieces = await api(nodeUrl, `/v1/proof/${id}`).catch(() => pieces);
    }
    if (wait) process.stderr.write('\n');
    if (pieces.status !== 'final') throw new Error(`commitment ${id} is ${pieces.status}, not final yet; use --wait final`);
    const genesis = parseGenesis(await api(nodeUrl, '/v1/genesis'));
    const headers = [hexToBytes(pieces.header, 'header'), ...(pieces.anchor?.headersAfter ?? []).map((h: string) => hexToBytes(h, 'header'))];
    const bundle = assembleBundle({
      genesis,
      includeGenesis: !values['without-genesis'],
      commitmentTx: hexToBytes(pieces.commitmentTx, 'commitmentTx'),
      leafIndex: pieces.logIndex,
      logSize: pieces.logSize,
      inclusionPath: pieces.inclusionPath.map((h: string) => hexToBytes(h, 'path')),
      headers,
      certificate: hexToBytes(pieces.certificate, 'certificate'),
      attestation: pieces.anchor?.attestation,
      bitcoinNetwork: pieces.anchor?.network,
    });
    if (!pieces.anchor) process.stderr.write(`note: commitment ${id} is final at height ${pieces.height} but not yet anchored in Bitcoin; this bundle proves finality only (use --wait anchored)\n`);
    process.stdout.write(JSON.stringify(bundle, null, 2) + '\n');
    return 0;
  },
};
