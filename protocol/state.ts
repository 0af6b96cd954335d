// The state transition (docs/state.md): accounts (balances and nonces) and logs (owner key,
// committed size and root). Pure and deterministic. There is no mint: a transfer moves PAN
// from sender to recipient, a fee moves from sender to the block proposer, and nothing else
// changes a balance, so the total is fixed by genesis. Signatures are checked before this
// runs (once, at the edge); applyTx checks the rest, account rules first, then log rules.
import { bytesToHex, concatBytes, hexToBytes } from './bytes.ts';
import { Writer } from './encoding.ts';
import { domainPrefix, TAGS } from './hash.ts';
import { checkLogTx, cloneLogs, combineStateRoot, logsRoot, nextLogRecord, type Logs } from './log-state.ts';
import { leafHash, rootOf } from './merkle.ts';
import { txSender, type UnsignedTx } from './tx-common.ts';

export interface Account {
  balance: bigint;
  nonce: bigint;
}

/** Accounts keyed by the lower-case hex of the 32-byte address. */
export type Accounts = Map<string, Account>;

/** The whole state: accounts and the record of every log. */
export interface State {
  accounts: Accounts;
  logs: Logs;
}

export interface ApplyContext {
  proposer: Uint8Array;
  minFee: bigint;
}

/** Why the account rules refuse `tx` (docs/state.md, rules 1-4), or undefined. Reads only. */
export function checkAccountTx(accounts: Accounts, tx: UnsignedTx, ctx: ApplyContext): string | undefined {
  const senderKey = bytesToHex(txSender(tx));
  const sender = accounts.get(senderKey);
  if (!sender) return `sender ${senderKey} has no account (no balance to pay the fee)`;
  if (tx.nonce !== sender.nonce) return `nonce is ${tx.nonce}, the account's next nonce is ${sender.nonce}`;
  if (tx.fee < ctx.minFee) return `fee ${tx.fee} is below the minimum fee ${ctx.minFee}`;
  const amount = tx.payload.kind === 'transfer' ? tx.payload.amount : 0n;
  const cost = tx.fee + amount;
  if (sender.balance < cost) return `balance ${sender.balance} cannot pay ${cost} (fee ${tx.fee} + amount ${amount})`;
  return undefined;
}

/**
 * Applies one transaction in place. Returns why it is invalid (and leaves the state
 * untouched), or undefined when it was applied.
 */
export function applyTx(state: State, tx: UnsignedTx, ctx: ApplyContext): string | undefined {
  const bad = checkAccountTx(state.accounts, tx, ctx) ?? checkLogTx(state.logs, tx);
  if (bad) return bad;
  const sender = state.accounts.get(bytesToHex(txSender(tx)))!;
  const amount = tx.payload.kind === 'transfer' ? tx.payload.amount : 0n;
  sender.balance -= tx.fee + amount;
  sender.nonce += 1n;
  if (tx.payload.kind === 'transfer') credit(state.accounts, bytesToHex(tx.payload.to), tx.payload.amount);
  credit(state.accounts, bytesToHex(ctx.proposer), tx.fee);
  if (tx.payload.kind === 'commitment' || tx.payload.kind === 'keyChange') {
    state.logs.set(tx.payload.logId, nextLogRecord(state.logs.get(tx.payload.logId), tx));
  }
  return undefined;
}

function credit(accounts: Accounts, key: string, amount: bigint): void {
  if (amount === 0n) return; // a zero credit must not create an empty account
  const account = accounts.get(key);
  if (account) account.balance += amount;
  else accounts.set(key, { balance: amount, nonce: 0n });
}

export function cloneAccounts(accounts: Accounts): Accounts {
  return new Map([...accounts].map(([k, a]) => [k, { ...a }]));
}

export function cloneState(state: State): State {
  return { accounts: cloneAccounts(state.accounts), logs: cloneLogs(state.logs) };
}

export function totalBalance(accounts: Accounts): bigint {
  let sum = 0n;
  for (const a of accounts.values()) sum += a.balance;
  return sum;
}

/** RFC 9162 root over accounts sorted by address: leaf = prefix || address || balance || nonce. */
export function accountsRoot(chainId: string, accounts: Accounts): Uint8Array {
  const prefix = domainPrefix(TAGS.stateLeaf, chainId);
  const keys = [...accounts.keys()].sort();
  return rootOf(
    keys.map((key) => {
      const a = accounts.get(key)!;
      const body = new Writer().fixed(hexToBytes(key, 'address', 32), 32, 'address').u64(a.balance, 'balance').u64(a.nonce, 'nonce').finish();
      return leafHash(concatBytes(prefix, body));
    }),
  );
}

/** The state root (state version 2): taggedHash(state-root tag, chainId, accountsRoot || logsRoot). */
export function stateRoot(chainId: string, state: State): Uint8Array {
  return combineStateRoot(chainId, accountsRoot(chainId, state.accounts), logsRoot(chainId, state.logs));
}
