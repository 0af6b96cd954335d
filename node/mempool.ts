// The mempool: admitted transactions waiting for a block (docs/api.md, "The mempool"). Bounded
// in count, bytes and per sender; nonces within a window of the account's; every entry expires
// a fixed time after it entered; when full, an entry no block can take yet (behind a nonce gap)
// goes first, then the lowest fee per byte, to make room for a better-paying one. Candidates
// for a block come in fee order. Acknowledged entries are persisted by the caller (node/
// admission.ts), which also deletes what this class evicts or expires.
import { bytesToHex } from '../protocol/bytes.ts';
import { txLeafHash } from '../protocol/block.ts';
import { txSender, type SignedTx } from '../protocol/tx.ts';

export interface MempoolLimits {
  countMax: number;
  bytesMax: number;
  /** How far ahead of the account's next nonce a sender may queue. */
  nonceGapMax: number;
  /** Pending transactions per sender at most. */
  perSenderMax: number;
  /** An entry leaves this long after it entered (or after the node started, for one reloaded from disk). */
  ttlMs: number;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = { countMax: 20_000, bytesMax: 128 * 1024 * 1024, nonceGapMax: 64, perSenderMax: 64, ttlMs: 10 * 60_000 };

interface Entry {
  id: string;
  bytes: Uint8Array;
  tx: SignedTx;
  sender: string;
  enteredMs: number;
  /** Its leaf hash in a block's tx tree (hex), once computed: how a compact block names it. */
  leafHex?: string;
}

export type AddResult = { ok: true; evicted: string[] } | { ok: false; duplicate?: boolean; error: string };

/** The committed state's next nonce of a sender (hex address). */
export type NextNonce = (sender: string) => bigint;

/** a pays more per byte than b: a.fee / a.size > b.fee / b.size, exactly. */
function paysMorePerByte(a: Entry | { tx: SignedTx; bytes: Uint8Array }, b: Entry | { tx: SignedTx; bytes: Uint8Array }): boolean {
  return a.tx.fee * BigInt(b.bytes.length) > b.tx.fee * BigInt(a.bytes.length);
}

export class Mempool {
  private readonly byId = new Map<string, Entry>();
  /** sender -> nonce -> entry */
  private readonly bySender = new Map<string, Map<bigint, Entry>>();
  private bytes = 0;
  /** Entries by tx leaf hash (docs/block.md, "Compact blocks"); filled lazily on lookup. */
  private readonly byLeaf = new Map<string, Entry>();
  /** Entries added since the last lookup, not yet in byLeaf. */
  private unindexed: Entry[] = [];

  constructor(
    readonly limits: MempoolLimits,
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

  /**
   * Adds a checked transaction. `nextNonce` is the committed state's; `nowMs` starts the
   * entry's time to live. When the mempool is full, evicts (and returns the ids of) entries
   * the rule puts below this one; refuses it when there are none.
   */
  add(id: string, bytes: Uint8Array, tx: SignedTx, nextNonce: NextNonce, nowMs: number): AddResult {
    if (this.byId.has(id)) return { ok: false, duplicate: true, error: 'transaction is already in the mempool' };
    if (tx.fee < this.minFee) return { ok: false, error: `fee ${tx.fee} is below the minimum fee ${this.minFee}` };
    const sender = bytesToHex(txSender(tx));
    const accountNonce = nextNonce(sender);
    if (tx.nonce < accountNonce) return { ok: false, error: `nonce ${tx.nonce} was already used (the account's next nonce is ${accountNonce}): a replay` };
    if (tx.nonce > accountNonce + BigInt(this.limits.nonceGapMax)) {
      return { ok: false, error: `nonce ${tx.nonce} is more than ${this.limits.nonceGapMax} ahead of the account's next nonce ${accountNonce}` };
    }
    const queue = this.bySender.get(sender) ?? new Map<bigint, Entry>();
    if (queue.has(tx.nonce)) return { ok: false, error: `another transaction with nonce ${tx.nonce} from this sender is already pending` };
    if (queue.size >= this.limits.perSenderMax) return { ok: false, error: `the sender already has ${queue.size} pending transactions, the most one sender may have` };
    const entry: Entry = { id, bytes, tx, sender, enteredMs: nowMs };
    const evicted: string[] = [];
    if (this.byId.size >= this.limits.countMax || this.bytes + bytes.length > this.limits.bytesMax) {
      const victims = this.victimsFor(entry, queue, accountNonce, nextNonce);
      if (!victims) {
        const what = this.byId.size >= this.limits.countMax ? `${this.limits.countMax} transactions` : 'bytes';
        return { ok: false, error: `mempool is full (${what}) and holds nothing this transaction may replace (it needs a higher fee per byte); try again later` };
      }
      for (const v of victims) {
        this.remove(v);
        evicted.push(v);
      }
    }
    queue.set(tx.nonce, entry);
    this.bySender.set(sender, queue);
    this.byId.set(id, entry);
    this.bytes += bytes.length;
    this.unindexed.push(entry);
    // Bounded even when no lookup comes for a long time: entries gone since are let go.
    if (this.unindexed.length > 2 * this.limits.countMax) this.unindexed = this.unindexed.filter((e) => this.byId.get(e.id) === e);
    return { ok: true, evicted };
  }

  /**
   * The entries to evict so that `entry` fits, or undefined when the rule allows none: first
   * the last entry of a sender that waits behind a nonce gap (no block can take it now), lowest
   * fee per byte first; then the last entry of any sender paying less per byte than `entry`.
   * Never the new entry's own sender (that would open a gap before it), and only for an entry
   * that a block could take next.
   */
  private victimsFor(entry: Entry, queue: Map<bigint, Entry>, accountNonce: bigint, nextNonce: NextNonce): string[] | undefined {
    for (let n = accountNonce; n < entry.tx.nonce; n++) if (!queue.has(n)) return undefined;
    const victims: string[] = [];
    let count = this.byId.size;
    let bytes = this.bytes;
    const taken = new Set<string>();
    while (count >= this.limits.countMax || bytes + entry.bytes.length > this.limits.bytesMax) {
      let best: { e: Entry; gapped: boolean } | undefined;
      for (const [sender, q] of this.bySender) {
        if (sender === entry.sender) continue;
        const tail = this.tailOf(q, taken);
        if (!tail) continue;
        const gapped = this.isGapped(q, tail, nextNonce(sender), taken);
        if (!gapped && !paysMorePerByte(entry, tail)) continue;
        if (!best || (gapped && !best.gapped) || (gapped === best.gapped && paysMorePerByte(best.e, tail))) best = { e: tail, gapped };
      }
      if (!best) return undefined;
      taken.add(best.e.id);
      victims.push(best.e.id);
      count--;
      bytes -= best.e.bytes.length;
    }
    return victims;
  }

  /** The sender's entry with the highest nonce, not counting `taken`. */
  private tailOf(q: Map<bigint, Entry>, taken: Set<string>): Entry | undefined {
    let tail: Entry | undefined;
    for (const e of q.values()) if (!taken.has(e.id) && (!tail || e.tx.nonce > tail.tx.nonce)) tail = e;
    return tail;
  }

  /** Whether a nonce between the account's and the tail's is missing: then no block can take the tail now. */
  private isGapped(q: Map<bigint, Entry>, tail: Entry, accountNonce: bigint, taken: Set<string>): boolean {
    let present = 0n;
    for (const e of q.values()) if (!taken.has(e.id) && e.tx.nonce >= accountNonce) present++;
    return tail.tx.nonce - accountNonce + 1n !== present;
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.bytes -= entry.bytes.length;
    if (entry.leafHex !== undefined) this.byLeaf.delete(entry.leafHex);
    const queue = this.bySender.get(entry.sender);
    queue?.delete(entry.tx.nonce);
    if (queue?.size === 0) this.bySender.delete(entry.sender);
  }

  /** Removes and returns the ids of the entries that entered `ttlMs` or more before `nowMs`. */
  expire(nowMs: number): string[] {
    const out: string[] = [];
    // byId is in insertion order, so the oldest come first.
    for (const e of this.byId.values()) {
      if (nowMs - e.enteredMs < this.limits.ttlMs) break;
      out.push(e.id);
    }
    for (const id of out) this.remove(id);
    return out;
  }

  /**
   * The signed bytes of the pending transaction whose tx leaf hash (docs/block.md) is
   * `leafHashHex`, if any. Entries are hashed once, at the first lookup after they entered.
   */
  byLeafHash(chainId: string, leafHashHex: string): Uint8Array | undefined {
    if (this.unindexed.length > 0) {
      for (const e of this.unindexed) {
        if (this.byId.get(e.id) !== e || e.leafHex !== undefined) continue;
        e.leafHex = bytesToHex(txLeafHash(chainId, e.bytes));
        this.byLeaf.set(e.leafHex, e);
      }
      this.unindexed = [];
    }
    return this.byLeaf.get(leafHashHex)?.bytes;
  }

  /** Whether a block could take something now: some sender's next nonce is pending. */
  hasCandidate(nextNonce: NextNonce): boolean {
    for (const [sender, queue] of this.bySender) if (queue.has(nextNonce(sender))) return true;
    return false;
  }

  /**
   * Candidates for a block: for each sender, consecutive nonces from its account nonce;
   * senders in order of what their first candidate pays per byte (arrival order between
   * equals). Entries whose nonce is now used are dropped.
   */
  candidates(nextNonce: NextNonce, countMax: number): Uint8Array[] {
    const heads: { queue: Map<bigint, Entry>; nonce: bigint; head: Entry }[] = [];
    const stale: string[] = [];
    for (const [sender, queue] of this.bySender) {
      const nonce = nextNonce(sender);
      for (const e of queue.values()) if (e.tx.nonce < nonce) stale.push(e.id);
      const head = queue.get(nonce);
      if (head) heads.push({ queue, nonce, head });
    }
    for (const id of stale) this.remove(id);
    heads.sort((a, b) => (paysMorePerByte(a.head, b.head) ? -1 : paysMorePerByte(b.head, a.head) ? 1 : 0));
    const out: Uint8Array[] = [];
    for (const { queue, nonce: first } of heads) {
      let nonce = first;
      while (queue.has(nonce) && out.length < countMax) {
        out.push(queue.get(nonce)!.bytes);
        nonce++;
      }
      if (out.length >= countMax) break;
    }
    return out;
  }
}
