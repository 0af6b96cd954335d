// Step "genesis": the trust root. The auditor pins a genesis hash (or supplies the genesis
// file, whose hash is then the pin); every later step is checked against the validator set
// and chain id of that genesis, never against anything the bundle merely states.
// Spec: docs/proof.md, step 2; docs/genesis.md.
import { bytesToHex, equalBytes, hexToBytes } from '../protocol/bytes.ts';
import type { ValidatorSet } from '../protocol/validators.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';
import { genesisHash, genesisValidatorSet, genesisValidatorSetHash, parseGenesis, type Genesis } from '../genesis/genesis.ts';
import type { ProofBundle } from './bundle.ts';
import { fail } from './steps.ts';

export interface TrustRoot {
  genesis: Genesis;
  genesisHash: Uint8Array;
  validatorSet: ValidatorSet;
  validatorSetHash: Uint8Array;
  /** Where the pinned hash came from: the auditor's genesis file, or a hash the auditor typed. */
  pinnedBy: 'genesis file' | 'genesis hash';
}

export interface TrustInput {
  /** The genesis file the auditor trusts, as JSON (object or text). */
  genesis?: unknown;
  /** The genesis hash the auditor pinned, hex or bytes. */
  genesisHash?: string | Uint8Array;
}

function parseGenesisInput(value: unknown, what: string): Genesis {
  let json = value;
  if (typeof value === 'string') {
    try {
      json = parseStrictJson(value, what);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  try {
    return parseGenesis(json);
  } catch (err) {
    fail(`${what}: ${(err as Error).message}`);
  }
}

function pinnedHash(value: string | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) fail(`pinned genesis hash: expected 32 bytes, got ${value.length}`);
    return value;
  }
  try {
    return hexToBytes(typeof value === 'string' ? value.trim().toLowerCase() : value, 'pinned genesis hash', 32);
  } catch (err) {
    fail((err as Error).message);
  }
}

export function checkGenesis(bundle: ProofBundle, input: TrustInput): TrustRoot {
  if (input.genesis === undefined && input.genesisHash === undefined) fail('no trust root: supply the genesis file or pin its hash');
  const pinned = input.genesisHash !== undefined ? pinnedHash(input.genesisHash) : undefined;
  let genesis: Genesis;
  let hash: Uint8Array;
  if (input.genesis !== undefined) {
    genesis = parseGenesisInput(input.genesis, 'supplied genesis');
    hash = genesisHash(genesis);
    if (pinned && !equalBytes(hash, pinned)) fail(`supplied genesis hashes to ${bytesToHex(hash)}, not the pinned ${bytesToHex(pinned)}`);
  } else {
    if (bundle.genesis === undefined) fail('only a genesis hash was pinned and the bundle carries no genesis to check against it: supply the genesis file as well (it must hash to the pinned value)');
    genesis = parseGenesisInput(bundle.genesis, "bundle's genesis");
    hash = genesisHash(genesis);
    if (!equalBytes(hash, pinned!)) fail(`bundle's genesis hashes to ${bytesToHex(hash)}, not the pinned ${bytesToHex(pinned!)}`);
  }
  // A genesis carried alongside a supplied one must be the same chain: the bundle may not show
  // the reader one validator set while being checked against another.
  if (input.genesis !== undefined && bundle.genesis !== undefined) {
    const carried = genesisHash(parseGenesisInput(bundle.genesis, "bundle's genesis"));
    if (!equalBytes(carried, hash)) fail(`bundle's genesis hashes to ${bytesToHex(carried)}, not the trusted ${bytesToHex(hash)}`);
  }
  if (!equalBytes(bundle.genesisHash, hash)) fail(`bundle names genesis ${bytesToHex(bundle.genesisHash)}, the trusted genesis is ${bytesToHex(hash)}`);
  if (bundle.chainId !== genesis.chainId) fail(`bundle is for chain "${bundle.chainId}", the trusted genesis is chain "${genesis.chainId}"`);
  return {
    genesis,
    genesisHash: hash,
    validatorSet: genesisValidatorSet(genesis),
    validatorSetHash: genesisValidatorSetHash(genesis),
    pinnedBy: input.genesis !== undefined ? 'genesis file' : 'genesis hash',
  };
}
