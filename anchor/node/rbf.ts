// BIP 125 (opt-in full replace-by-fee) rules as they apply to an anchor replacement.
// https://github.com/bitcoin/bips/blob/master/bip-0125.mediawiki
// The anchorer checks every replacement it signs against these before persisting it, and a
// unit test checks them on real signed transactions.
import { Transaction } from 'bitcoinjs-lib';

export interface FeePaidTx {
  rawTxHex: string;
  feeSat: bigint;
}

/** The most a sequence number may be for a tx to signal replaceability (BIP 125 "Summary"). */
export const MAX_BIP125_RBF_SEQUENCE = 0xfffffffd;

function outpoints(tx: Transaction): string[] {
  return tx.ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`).sort();
}

export function signalsReplaceability(tx: Transaction): boolean {
  return tx.ins.some((i) => i.sequence <= MAX_BIP125_RBF_SEQUENCE);
}

/**
 * Every way `replacement` fails to be a valid BIP 125 replacement of `original` under our
 * policy (same inputs exactly, so no new unconfirmed inputs and one conflicting tx), each
 * message naming the rule. Empty when it is valid.
 */
export function bip125Violations(original: FeePaidTx, replacement: FeePaidTx, incrementalRelayFeeSatPerVb = 1): string[] {
  if (!(incrementalRelayFeeSatPerVb >= 0)) throw new RangeError(`incrementalRelayFeeSatPerVb must be >= 0, got ${incrementalRelayFeeSatPerVb}`);
  for (const [name, t] of [['original', original], ['replacement', replacement]] as const) {
    if (!t || typeof t.rawTxHex !== 'string' || typeof t.feeSat !== 'bigint' || t.feeSat < 0n) throw new Error(`${name}: expected { rawTxHex, feeSat: bigint >= 0 }`);
  }
  const before = Transaction.fromHex(original.rawTxHex);
  const after = Transaction.fromHex(replacement.rawTxHex);
  const problems: string[] = [];
  // Rule 1: the original must signal (nSequence <= 0xfffffffd on some input).
  if (!signalsReplaceability(before)) problems.push('rule 1: original does not signal replaceability');
  // Our policy: the replacement conflicts with exactly the original, spending the same inputs
  // (this also satisfies rule 2: no new unconfirmed inputs).
  if (outpoints(before).join(',') !== outpoints(after).join(',')) problems.push('same inputs: replacement does not spend exactly the original inputs');
  if (before.getId() === after.getId()) problems.push('same inputs: replacement is the original transaction');
  // So it can itself be replaced by the next, newer root.
  if (!signalsReplaceability(after)) problems.push('replacement does not signal replaceability');
  // Rule 3: absolute fee at least the original's (we require strictly higher).
  if (replacement.feeSat <= original.feeSat) problems.push(`rule 3: replacement fee ${replacement.feeSat} sat is not higher than the original's ${original.feeSat} sat`);
  // Rule 4: the increase pays for the replacement's own bandwidth at the incremental relay rate.
  const vsize = after.virtualSize();
  const minIncrease = BigInt(Math.ceil(incrementalRelayFeeSatPerVb * vsize));
  if (replacement.feeSat - original.feeSat < minIncrease) {
    problems.push(`rule 4: fee increase ${replacement.feeSat - original.feeSat} sat is below ${minIncrease} sat (${incrementalRelayFeeSatPerVb} sat/vB x ${vsize} vB)`);
  }
  // Bitcoin Core also refuses a replacement with a lower fee rate than what it replaces.
  if (Number(replacement.feeSat) / vsize <= Number(original.feeSat) / before.virtualSize()) problems.push('fee rate: replacement fee rate is not higher than the original');
  return problems;
}

/**
 * The least fee a replacement may pay: more than every version it could be replacing
 * (`highestFeeSat`), by the incremental relay rate times its size (rule 4). The size is not
 * known before signing, so the previous version's size + 1 vbyte stands in for it (same
 * inputs and outputs, only the signature length can differ by a byte).
 */
export function replacementMinFeeSat(highestFeeSat: bigint, previousVsize: number, incrementalRelayFeeSatPerVb = 1): bigint {
  if (typeof highestFeeSat !== 'bigint' || highestFeeSat < 0n) throw new RangeError(`highestFeeSat: expected a bigint >= 0, got ${String(highestFeeSat)}`);
  if (!Number.isInteger(previousVsize) || previousVsize <= 0) throw new RangeError(`previousVsize: expected a positive integer, got ${previousVsize}`);
  if (!(incrementalRelayFeeSatPerVb >= 0)) throw new RangeError(`incrementalRelayFeeSatPerVb must be >= 0, got ${incrementalRelayFeeSatPerVb}`);
  return highestFeeSat + BigInt(Math.max(1, Math.ceil(incrementalRelayFeeSatPerVb * (previousVsize + 1))));
}

export function assertValidBip125Replacement(original: FeePaidTx, replacement: FeePaidTx, incrementalRelayFeeSatPerVb = 1): void {
  const problems = bip125Violations(original, replacement, incrementalRelayFeeSatPerVb);
  if (problems.length > 0) throw new Error(`BIP 125 replacement invalid: ${problems.join('; ')}`);
}
