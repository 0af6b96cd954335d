// The validator set (docs/genesis.md, "validator set hash"): ML-DSA-65 public keys with voting power, in genesis
// order. An index into this list names a validator in votes and certificates.
import { Writer } from './encoding.ts';
import { taggedHash, TAGS } from './hash.ts';
import { addressBytes, PUBLIC_KEY_SIZE } from './keys.ts';
import { bytesToHex } from './bytes.ts';

export const VALIDATORS_MAX = 256;

export interface Validator {
  publicKey: Uint8Array;
  power: bigint;
}

export interface ValidatorSet {
  validators: readonly Validator[];
  totalPower: bigint;
  /** Lower-case hex address -> index, for lookups by address. */
  indexByAddress: ReadonlyMap<string, number>;
  addresses: readonly Uint8Array[];
}

export function makeValidatorSet(validators: readonly Validator[]): ValidatorSet {
  if (validators.length === 0) throw new Error('validators: at least one validator is required');
  if (validators.length > VALIDATORS_MAX) throw new Error(`validators: at most ${VALIDATORS_MAX}`);
  const indexByAddress = new Map<string, number>();
  const addresses: Uint8Array[] = [];
  let totalPower = 0n;
  validators.forEach((v, i) => {
    if (v.power < 1n) throw new Error(`validators[${i}].power: must be at least 1`);
    const address = addressBytes(v.publicKey);
    const key = bytesToHex(address);
    if (indexByAddress.has(key)) throw new Error(`validators[${i}]: same public key as validators[${indexByAddress.get(key)}]`);
    indexByAddress.set(key, i);
    addresses.push(address);
    totalPower += v.power;
  });
  return { validators, totalPower, indexByAddress, addresses };
}

export function encodeValidatorSet(set: ValidatorSet): Uint8Array {
  return new Writer()
    .list(set.validators, VALIDATORS_MAX, 'validators', (w, v) => {
      w.fixed(v.publicKey, PUBLIC_KEY_SIZE, 'publicKey').u64(v.power, 'power');
    })
    .finish();
}

export function validatorSetHash(chainId: string, set: ValidatorSet): Uint8Array {
  return taggedHash(TAGS.validatorSet, chainId, encodeValidatorSet(set));
}

/** True when `power` is more than two thirds of the set's total: 3 * power > 2 * total. */
export function isSupermajority(power: bigint, set: ValidatorSet): boolean {
  return 3n * power > 2n * set.totalPower;
}
