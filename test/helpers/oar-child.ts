// A writer process for the OAR crash tests (test/oar-crash.test.ts). It opens (and so
// recovers) the record, then appends from several concurrent actors until it is killed,
// printing to stdout, which is a pipe and so written synchronously on Linux:
//   ready <size> <torn sequence or ->     after open and recovery
//   ack <sequence> <entryHash>            an entry whose call returned (it is on disk)
//   act <intentSequence>                  an action began under guard (its permit in hand)
// Usage: node --import tsx test/helpers/oar-child.ts <dir> <actors> <mode>
//   mode "loop": actors append until killed; mode "hang": one guard whose action never ends.
// The child loads everything, then waits for a line on stdin before it opens the record, so
// the test can start the next writer while the previous one still runs (the lock is taken
// only at open).
import { keyPairFromSeed } from '../../protocol/keys.ts';
import { fastSigner, OarWriter } from '../../oar/node/index.ts';
import { CHILD_CHAIN_ID, CHILD_KEY_SEED, CHILD_LOG_ID } from './oar-child-config.ts';


const say = (line: string) => process.stdout.write(line + '\n');

async function main(): Promise<void> {
  const [dir, actorsText, mode] = process.argv.slice(2);
  const key = keyPairFromSeed(CHILD_KEY_SEED);
  await fastSigner();
  say('loaded');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const writer = await OarWriter.open({ dir, chainId: CHILD_CHAIN_ID, logId: CHILD_LOG_ID, key, create: true });
  say(`ready ${writer.size} ${writer.recoveredTornTail?.sequence ?? '-'}`);
  if (mode === 'hang') {
    await writer.guard({ actor: 'hanging-agent', actorVersion: 'v1', payload: { proposal: 'wire 100 to acct 7' } }, (permit) => {
      say(`act ${permit.sequence}`);
      return new Promise(() => {}); // never returns: the test kills us here
    });
    return;
  }
  const actors = Number(actorsText);
  await Promise.all(Array.from({ length: actors }, (_, a) => actor(writer, a)));
}

async function actor(writer: OarWriter, index: number): Promise<never> {
  const name = `agent-${index}`;
  for (let round = 0; ; round++) {
    if (index % 2 === 0) {
      // Under guard: the action announces itself, so the test can check its intent is on disk.
      await writer
        .guard({ actor: name, actorVersion: 'v2', payload: { round, decision: round % 3 === 0 ? 'deny' : 'approve' } }, async (permit) => {
          say(`ack ${permit.sequence} ${permit.entryHash}`);
          say(`act ${permit.sequence}`);
          await new Promise((resolve) => setTimeout(resolve, round % 4));
          if (round % 7 === 3) throw new Error('the upstream service refused');
          return { done: round };
        })
        .catch((err: Error) => {
          if (!err.message.includes('upstream')) throw err;
        });
    } else {
      const permit = await writer.intend({ actor: name, actorVersion: 'v1', payload: { round, note: 'x'.repeat(round % 50) } });
      say(`ack ${permit.sequence} ${permit.entryHash}`);
      const sealed = await writer.outcome(permit, { payload: { result: round } });
      say(`ack ${sealed.sequence} ${sealed.entryHash}`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`oar-child: ${(err as Error).stack}\n`);
  process.exit(1);
});
