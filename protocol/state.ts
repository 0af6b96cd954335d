// The state transition (docs/state.md): balances and nonces. Pure and deterministic. There is
// no mint: a transfer moves PAN from sender to recipient, a fee moves from sender to the
// block proposer, and nothing else changes a balance, so the total is fixed by genesis.
// Signatures are checked before this runs (once, at the edge); applyTx checks the rest.
import { bytesToHex, concatBytes, hexToBytes } from './bytes.ts';
import { Writer } from './encoding.ts';
import { domainPrefix, TAGS } from './hash.ts';
import { leafHash, rootOf } from './merkle.ts';
import { txSender, type UnsignedTx } from './tx.ts';

export interface Account {
  balance: bigint;
  nonce: bigint;
}

/** Accounts keyed by the lower-case hex of the 32-byte address. */
export type Accounts = Map<string, Account>;

export interface ApplyContext {
  proposer: Uint8Array;
  minFee: bigint;
}

/**
 * Applies one transaction in place. Returns why it is invalid (and leaves the accounts
 * untouched), or undefined when it was applied.
 */
export function applyTx(accounts: Accounts, tx: UnsignedTx, ctx: ApplyContext): string | undefined {
  const senderKey = bytesToHex(txSender(tx));
  const sender = accounts.get(senderKey);
  if (!sender) return `sender ${senderKey} has no account (no balance to pay the fee)`;
  if (tx.nonce !== sender.nonce) return `nonce is ${tx.nonce}, the account's next nonce is ${sender.nonce}`;
  if (tx.fee < ctx.minFee) return `fee ${tx.fee} is below the minimum fee ${ctx.minFee}`;
  const amount = tx.payload.kind === 'transfer' ? tx.payload.amount : 0n;
  const cost = tx.fee + amount;
  if (sender.balance < cost) return `balance ${sender.balance} cannot pay ${cost} (fee ${tx.fee} + amount ${amount})`;

  sender.balance -= cost;
  sender.nonce += 1n;
  if (tx.payload.kind === 'transfer') credit(accounts, bytesToHex(tx.payload.to), tx.payload.amount);
  credit(accounts, bytesToHex(ctx.proposer), tx.fee);
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

export function totalBalance(accounts: Accounts): bigint {
  let sum = 0n;
  for (const a of accounts.values()) sum += a.balance;
  return sum;
}

/** RFC 6962 root over accounts sorted by address: leaf = prefix || address || balance || nonce. */
export function stateRoot(chainId: string, accounts: Accounts): Uint8Array {
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
