// The mempool: admitted transactions waiting for a block. Bounded in count and bytes; per
// sender in nonce order; a minimum fee; replays (used nonces, known ids) refused; entries
// leave on inclusion. Acknowledged entries are persisted by the caller before it answers.
import { bytesToHex } from '../protocol/bytes.ts';
import { txSender, type SignedTx } from '../protocol/tx.ts';

export interface MempoolLimits {
  countMax: number;
  bytesMax: number;
  /** How far ahead of the account's next nonce a sender may queue. */
  nonceGapMax: number;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = { countMax: 20_000, bytesMax: 128 * 1024 * 1024, nonceGapMax: 64 };

interface Entry {
  id: string;
  bytes: Uint8Array;
  tx: SignedTx;
  sender: string;
}

export type AddResult = { ok: true } | { ok: false; duplicate?: boolean; error: string };

export class Mempool {
  private readonly byId = new Map<string, Entry>();
  /** sender -> nonce -> entry */
  private readonly bySender = new Map<string, Map<bigint, Entry>>();
  private bytes = 0;

  constructor(
    private readonly limits: MempoolLimits,
    private readonly minFee: bigint,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** What the sender's pending transactions will spend: fees and amounts. */
  pendingCost(senderHex: string): bigint {
    let sum = 0n;
    for (const e of this.bySender.get(senderHex)?.values() ?? []) sum += e.tx.fee + (e.tx.payload.kind === 'transfer' ? e.tx.payload.amount : 0n);
    return sum;
  }

  hasNonce(senderHex: string, nonce: bigint): boolean {
    return this.bySender.get(senderHex)?.has(nonce) ?? false;
  }

  /** `accountNonce` is the sender's next nonce in the committed state. */
  add(id: string, bytes: Uint8Array, tx: SignedTx, accountNonce: bigint): AddResult {
    if (this.byId.has(id)) return { ok: false, duplicate: true, error: 'transaction is already in the mempool' };
    if (tx.fee < this.minFee) return { ok: false, error: `fee ${tx.fee} is below the minimum fee ${this.minFee}` };
    if (tx.nonce < accountNonce) return { ok: false, error: `nonce ${tx.nonce} was already used (the account's next nonce is ${accountNonce}): a replay` };
    if (tx.nonce > accountNonce + BigInt(this.limits.nonceGapMax)) {
      return { ok: false, error: `nonce ${tx.nonce} is more than ${this.limits.nonceGapMax} ahead of the account's next nonce ${accountNonce}` };
    }
    const sender = bytesToHex(txSender(tx));
    const queue = this.bySender.get(sender) ?? new Map<bigint, Entry>();
    if (queue.has(tx.nonce)) return { ok: false, error: `another transaction with nonce ${tx.nonce} from this sender is already pending` };
    if (this.byId.size >= this.limits.countMax) return { ok: false, error: `mempool is full (${this.limits.countMax} transactions); try again later` };
    if (this.bytes + bytes.length > this.limits.bytesMax) return { ok: false, error: 'mempool is full (bytes); try again later' };
    const entry = { id, bytes, tx, sender };
    queue.set(tx.nonce, entry);
    this.bySender.set(sender, queue);
    this.byId.set(id, entry);
    this.bytes += bytes.length;
    return { ok: true };
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.bytes -= entry.bytes.length;
    const queue = this.bySender.get(entry.sender);
    queue?.delete(entry.tx.nonce);
    if (queue?.size === 0) this.bySender.delete(entry.sender);
  }

  /**
   * Candidates for a block: for each sender, consecutive nonces from its account nonce,
   * interleaved across senders in arrival order. Entries whose nonce is now used are dropped.
   */
  candidates(nextNonce: (sender: string) => bigint, countMax: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const stale: string[] = [];
    for (const [sender, queue] of this.bySender) {
      let nonce = nextNonce(sender);
      for (const e of queue.values()) if (e.tx.nonce < nonce) stale.push(e.id);
      while (queue.has(nonce) && out.length < countMax) {
        out.push(queue.get(nonce)!.bytes);
        nonce++;
      }
      if (out.length >= countMax) break;
    }
    for (const id of stale) this.remove(id);
    return out;
  }
}
