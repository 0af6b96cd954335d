// Runs one Anchorer as its own process, driven over stdin: each line is a JSON object
// `{"height": "<decimal>", "rootHex": "<64 hex>"}` (a new final Pantheon root) or `{"poll": true}`.
// Writes one JSON line per event to stdout: {"event":"ready"|"ticked"|"attestation"|"log"|"error", ...}.
// Used by the crash tests (kill -9 at random moments) and handy for driving an anchorer by hand.
//
// Usage: node --import tsx anchor/node/anchorer-process.ts --datadir DIR --rpc-url URL --rpc-user U
//        --rpc-password P --chain-id ID --interval N [--confirmations K]
import { createInterface } from 'node:readline';
import { Anchorer } from './anchorer.ts';
import { BitcoinRpc } from './rpc.ts';
import { hexToBytes } from '../../protocol/bytes.ts';

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

function parseArgs(argv: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`anchorer-process: unexpected argument ${JSON.stringify(argv[i])}`);
    values.set(argv[i].slice(2), argv[i + 1]);
  }
  for (const required of ['datadir', 'rpc-url', 'rpc-user', 'rpc-password', 'chain-id', 'interval']) {
    if (!values.get(required)) throw new Error(`anchorer-process: --${required} is required`);
  }
  return values;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rpc = new BitcoinRpc({ url: args.get('rpc-url')!, user: args.get('rpc-user')!, password: args.get('rpc-password')! });
  const anchorer = await Anchorer.open({
    dataDir: args.get('datadir')!,
    chainId: args.get('chain-id')!,
    rpc,
    intervalHeights: Number(args.get('interval')),
    confirmations: Number(args.get('confirmations') ?? 6),
    log: (line) => emit('log', { line }),
    onAttestation: (attestation) => emit('attestation', { attestation }),
  });
  emit('ready', { address: anchorer.address, pid: process.pid });
  // Lines are handled strictly in order: each tick finishes before the next line is read.
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const message = JSON.parse(line) as { height?: string; rootHex?: string; poll?: boolean };
      if (message.poll) await anchorer.poll();
      else await anchorer.tick({ height: BigInt(message.height ?? 'x'), root: hexToBytes(message.rootHex, 'rootHex', 32) });
      emit('ticked', { status: { ...anchorer.status(), balanceSat: anchorer.status().balanceSat.toString() } });
    } catch (err) {
      emit('error', { message: (err as Error).message });
    }
  }
  await anchorer.close();
  rpc.close();
}

main().catch((err) => {
  emit('error', { message: `fatal: ${(err as Error).stack ?? String(err)}` });
  process.exit(1);
});
