// Admission: whether a transaction from HTTP or gossip enters the mempool (docs/api.md,
// POST /v1/tx and "The mempool"). Cheap checks first, the signature last; what no block could
// ever include is refused here; what the mempool evicts or expires leaves the disk too.
import { bytesToHex } from '../protocol/bytes.ts';
import { encodeTxList, TX_LIST_COUNT_MAX } from '../protocol/gossip.ts';
import { checkLogTx } from '../protocol/log-state.ts';
import { readTx, txSender } from '../protocol/tx.ts';
import type { Chain } from './chain.ts';
import type { Logger } from './log.ts';
import type { Mempool } from './mempool.ts';
import type { NodeMetrics } from './metrics.ts';
import type { Network } from './p2p/index.ts';
import type { NodeStore } from './store.ts';

export type AdmitResult = { ok: true; txId: string } | { ok: false; error: string; duplicate?: boolean; invalid?: boolean };

export interface AdmissionOptions {
  chain: Chain;
  store: NodeStore;
  mempool: Mempool;
  network: Network;
  metrics: NodeMetrics;
  log: Logger;
  /** Something may have become includable. */
  onAdmitted: () => void;
  /** The clock, for the mempool's time to live. */
  nowMs?: () => number;
}

export class Admission {
  private expiryTimer: NodeJS.Timeout | undefined;
  private toGossip: Uint8Array[] = [];
  private readonly nowMs: () => number;

  constructor(private readonly o: AdmissionOptions) {
    this.nowMs = o.nowMs ?? Date.now;
  }

  /**
   * Admits a transaction from HTTP or gossip: decode, signature, chain id, fee, nonce, limits.
   * With `persist`, it is on disk before this resolves (the submitter's acknowledgement).
   */
  async admit(bytes: Uint8Array, options: { persist: boolean; gossip: boolean }): Promise<AdmitResult> {
    const { chain, store, mempool } = this.o;
    // Cheap checks first; the signature (the expensive one) last, and once per signed bytes.
    let read;
    try {
      read = readTx(bytes);
    } catch (err) {
      return { ok: false, error: `malformed transaction: ${(err as Error).message}`, invalid: true };
    }
    const { tx } = read;
    const id = bytesToHex(read.id);
    if (mempool.has(id)) return { ok: false, error: 'transaction is already in the mempool', duplicate: true };
    const sender = bytesToHex(txSender(tx));
    const account = chain.account(sender);
    if (account && tx.nonce < account.nonce) {
      // Only a used nonce can belong to a committed transaction: look it up just then.
      if (await store.txLocation(id)) return { ok: false, error: 'transaction is already committed', duplicate: true };
      return { ok: false, error: `nonce ${tx.nonce} was already used (the account's next nonce is ${account.nonce}): a replay` };
    }
    if (!account) return { ok: false, error: 'the sender has no account: it must receive PAN before it can pay fees' };
    // No block includes an attestation from a non-validator (docs/state.md): refused here, or
    // it would wait in the mempool for ever.
    if (tx.payload.kind === 'anchorAttestation' && !chain.validators.indexByAddress.has(sender)) {
      return { ok: false, error: 'anchor attestation: only a validator may record an anchor attestation, and the sender is not in the genesis validator set' };
    }
    // Against the balance left after the sender's pending transactions, so a queue of
    // transactions that can never all be paid does not fill the mempool.
    const cost = tx.fee + (tx.payload.kind === 'transfer' ? tx.payload.amount : 0n);
    const pending = mempool.pendingCost(sender);
    if (account.balance < pending + cost) return { ok: false, error: `the sender's balance ${account.balance} cannot pay ${cost} (fee and amount) after ${pending} already pending` };
    // The log rules against the committed state, when nothing of this sender is pending ahead
    // of it (otherwise the block checks it): a refused rewrite gets its reason here, at once.
    if (tx.nonce === account.nonce) {
      const badLog = checkLogTx(chain.committedLogs, tx);
      if (badLog) return { ok: false, error: badLog };
    }
    const checked = chain.checkSignatureOnce(bytes, read);
    if ('error' in checked) return { ok: false, error: checked.error, invalid: true };
    const added = mempool.add(id, bytes, tx, (s) => chain.account(s)?.nonce ?? 0n, this.nowMs());
    if (!added.ok) return { ok: false, error: added.error, duplicate: added.duplicate };
    if (added.evicted.length > 0) this.forget(added.evicted, 'evicted from the full mempool by a transaction paying more per byte');
    if (options.persist) await store.putMempoolTx(id, bytes);
    if (options.gossip) this.gossip(bytes);
    this.o.onAdmitted();
    this.o.metrics.transactionsAdmitted.inc();
    if (options.persist) this.o.metrics.markSubmitted(id);
    return { ok: true, txId: id };
  }

  /**
   * Queues a transaction for gossip: what is admitted in one turn of the event loop (the
   * acknowledgements of one group commit, say) goes out as one message (docs/gossip.md, topic
   * tx/2), which costs every node on its way one message's overhead instead of one per
   * transaction.
   */
  private gossip(bytes: Uint8Array): void {
    this.toGossip.push(bytes);
    if (this.toGossip.length === 1) setImmediate(() => this.flushGossip());
  }

  private flushGossip(): void {
    const txs = this.toGossip.splice(0);
    for (let at = 0; at < txs.length; at += TX_LIST_COUNT_MAX) {
      const list = encodeTxList(txs.slice(at, at + TX_LIST_COUNT_MAX));
      this.o.network.publish('tx', list).catch((err) => this.o.log('warn', 'gossip publish failed', { error: (err as Error).message }));
    }
  }

  /**
   * Acknowledged transactions survive a crash: back into the mempool at start, each checked
   * again (and deleted from disk when refused now). Their time to live starts again here.
   */
  async reload(): Promise<void> {
    const { store, chain } = this.o;
    let kept = 0;
    let dropped = 0;
    for (const bytes of await store.loadMempool()) {
      const r = await this.admit(bytes, { persist: false, gossip: false });
      if (r.ok) {
        kept++;
        continue;
      }
      const admitted = chain.admitTx(bytes);
      if ('id' in admitted && !this.o.mempool.has(admitted.id)) {
        await store.deleteMempoolTx(admitted.id);
        dropped++;
        this.o.log('info', 'dropped a stored pending transaction refused now', { txId: admitted.id, error: r.error });
      }
    }
    if (kept + dropped > 0) this.o.log('info', 'mempool reloaded', { kept, dropped });
  }

  /** Expires entries past their time to live, checking a few times per time to live. */
  startExpiry(): void {
    const everyMs = Math.max(250, Math.min(10_000, Math.floor(this.o.mempool.limits.ttlMs / 4)));
    this.expiryTimer = setInterval(() => this.expireNow(), everyMs);
    this.expiryTimer.unref();
  }

  stop(): void {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  expireNow(): void {
    const expired = this.o.mempool.expire(this.nowMs());
    if (expired.length > 0) this.forget(expired, `expired: pending for ${this.o.mempool.limits.ttlMs / 1000} s`);
  }

  /** A transaction the state rules refuse for good (seen when building a block): out of the mempool. */
  dropUnincludable(id: string, error: string): void {
    if (!this.o.mempool.has(id)) return;
    this.o.mempool.remove(id);
    void this.o.store.deleteMempoolTx(id).catch(() => undefined);
    this.o.log('warn', 'dropped a pending transaction that no block can include', { txId: id, error });
  }

  /** Entries the mempool let go: off the disk too, and logged. */
  private forget(ids: string[], why: string): void {
    for (const id of ids) void this.o.store.deleteMempoolTx(id).catch(() => undefined);
    this.o.log('info', 'pending transactions left the mempool', { count: ids.length, reason: why, txIds: ids.slice(0, 8) });
  }
}
