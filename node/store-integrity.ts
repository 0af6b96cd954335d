// The start-up check of a stored chain (docs/storage.md, "Damage"): before the node loads its
// state or opens a socket, every height 1..meta/height has its block, certificate and block
// hash; each header is at its height, hashes to the stored hash and links to the previous
// one (genesis for height 1); each certificate names its block; the stored commitment-log
// leaves are exactly the ones the headers count, and give the last header's log root; the
// stored accounts give its state root. LevelDB checks none of this: a damaged log or table
// loses entries silently. One pass over the stored blocks, in key order.
import { blockHash, decodeBlock, type BlockHeader } from '../protocol/block.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { decodeCertificate } from '../protocol/certificate.ts';
import { MerkleFrontier } from '../protocol/merkle.ts';
import { stateRoot } from '../protocol/state.ts';
import { DatabaseDamaged, NOT_WRITTEN, WHAT_TO_DO } from './leveldb-files.ts';
import type { NodeStore } from './store.ts';

/** Problems named in one refusal; the rest are counted. */
const PROBLEMS_SHOWN_MAX = 8;

export interface StoredChainSummary {
  height: bigint;
  commitmentLogSize: number;
}

/** Heights missing from 1..height, as ranges ("1118–1119"), and those above it. */
function gaps(present: readonly bigint[], height: bigint): { missing: string[]; above: bigint[] } {
  const missing: string[] = [];
  let expected = 1n;
  const range = (from: bigint, to: bigint) => (from === to ? `${from}` : `${from}–${to}`);
  for (const h of present) {
    if (h > height) break;
    if (h > expected) missing.push(range(expected, h - 1n));
    expected = h + 1n;
  }
  if (expected <= height) missing.push(range(expected, height));
  return { missing, above: present.filter((h) => h > height) };
}

export async function checkStoredChain(store: NodeStore, o: { path: string; chainId: string; genesisHash: Uint8Array }): Promise<StoredChainSummary> {
  const problems: string[] = [];
  const problem = (p: string) => problems.push(p);
  const height = await store.height();
  try {
    // Block hashes first: the blocks and certificates are checked against them.
    const hashes = new Map<bigint, Uint8Array>();
    for await (const { height: h, value } of store.heightEntries('blockHash')) {
      if (value.length !== 32) problem(`the stored hash of block ${h} has ${value.length} bytes`);
      hashes.set(h, value);
    }
    const headers = new Map<bigint, BlockHeader>();
    for await (const { height: h, value } of store.heightEntries('block')) {
      let header: BlockHeader;
      try {
        header = decodeBlock(value).header;
      } catch (err) {
        problem(`block ${h} does not decode (${(err as Error).message})`);
        continue;
      }
      headers.set(h, header);
      if (header.height !== h || header.chainId !== o.chainId) problem(`the block stored at height ${h} is block ${header.height} of chain ${header.chainId}`);
      const stored = hashes.get(h);
      if (stored && !equalBytes(blockHash(header), stored)) problem(`block ${h} does not hash to its stored hash ${bytesToHex(stored).slice(0, 16)}…`);
      const previous = h === 1n ? o.genesisHash : hashes.get(h - 1n);
      if (previous && !equalBytes(header.previousBlockHash, previous)) problem(`block ${h} does not link to ${h === 1n ? 'the genesis hash' : `block ${h - 1n}`}`);
    }
    const certHeights: bigint[] = [];
    for await (const { height: h, value } of store.heightEntries('cert')) {
      certHeights.push(h);
      try {
        const c = decodeCertificate(value);
        const stored = hashes.get(h);
        if (c.height !== h || (stored && !equalBytes(c.blockHash, stored))) problem(`the certificate stored at height ${h} certifies block ${c.height} ${bytesToHex(c.blockHash).slice(0, 16)}…`);
      } catch (err) {
        problem(`the certificate of block ${h} does not decode (${(err as Error).message})`);
      }
    }
    for (const [what, heights] of [
      ['block hashes', [...hashes.keys()]],
      ['blocks', [...headers.keys()]],
      ['certificates', certHeights],
    ] as const) {
      const g = gaps(heights, height);
      if (g.missing.length) problem(`${what} ${g.missing.join(', ')} are missing (meta/height says ${height})`);
      if (g.above.length) problem(`${what} exist above meta/height ${height}: ${g.above.slice(0, 3).join(', ')}${g.above.length > 3 ? ', …' : ''}`);
    }

    // The commitment log: block h appended logSize(h) - logSize(h-1) leaves.
    const logSizeAt = (h: bigint) => (h === 0n ? 0n : headers.get(h)?.commitmentLogSize);
    const frontier = new MerkleFrontier();
    let leaves = 0;
    const leafHeights = new Set<bigint>();
    for await (const { height: h, value } of store.heightEntries('logLeaves')) {
      leafHeights.add(h);
      const before = logSizeAt(h - 1n);
      const after = logSizeAt(h);
      if (value.length === 0 || value.length % 32 !== 0) problem(`the log leaves of block ${h} are ${value.length} bytes, not a positive multiple of 32`);
      else if (before !== undefined && after !== undefined && BigInt(value.length / 32) !== after - before) problem(`block ${h} appended ${after - before} log leaves, the database holds ${value.length / 32}`);
      for (let i = 0; i + 32 <= value.length; i += 32, leaves++) frontier.append(value.subarray(i, i + 32));
    }
    for (const [h, header] of headers) {
      const before = logSizeAt(h - 1n);
      if (before !== undefined && header.commitmentLogSize > before && !leafHeights.has(h)) problem(`the log leaves of block ${h} (${header.commitmentLogSize - before}) are missing`);
    }
    const last = headers.get(height);
    if (height > 0n && last) {
      if (BigInt(leaves) !== last.commitmentLogSize) problem(`the database holds ${leaves} commitment-log leaves, block ${height} says ${last.commitmentLogSize}`);
      else if (!equalBytes(frontier.root(), last.commitmentLogRoot)) problem(`the stored commitment-log leaves do not give block ${height}'s log root`);
      if (!equalBytes(stateRoot(o.chainId, { accounts: await store.loadAccounts(), logs: await store.loadLogRecords() }), last.stateRoot)) problem(`the stored accounts and log records do not give block ${height}'s state root`);
    }
    if (problems.length === 0) return { height, commitmentLogSize: leaves };
  } catch (err) {
    if (err instanceof DatabaseDamaged) throw err;
    // LevelDB reports a table it cannot read (a bad block checksum, a missing file) while iterating.
    problem(`LevelDB could not read it: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const shown = problems.slice(0, PROBLEMS_SHOWN_MAX).join('; ');
  const more = problems.length > PROBLEMS_SHOWN_MAX ? `; and ${problems.length - PROBLEMS_SHOWN_MAX} more` : '';
  throw new DatabaseDamaged(`the database at ${o.path} is damaged (LevelDB lost or mangled entries in its log or table files): ${shown}${more}. ${NOT_WRITTEN} ${WHAT_TO_DO}`);
}
