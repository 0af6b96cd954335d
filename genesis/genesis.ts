// The genesis file (docs/genesis.md): chain id, time, the Bitcoin network (and, on mainnet, a
// checkpoint that sets the verifier's work floor), consensus parameters, validators and
// the PAN allocations, which add up to exactly 5,000,000,000 PAN. Amounts are decimal strings
// handled as bigint, never floats. Pure and browser-safe: the light client pins its hash.
import { Writer } from '../protocol/encoding.ts';
import { assertValidChainId, taggedHash, TAGS } from '../protocol/hash.ts';
import { addressBytes, decodeAddress, encodeAddress, PUBLIC_KEY_SIZE } from '../protocol/keys.ts';
import { bytesToHex, hexToBytes, describe } from '../protocol/bytes.ts';
import { makeValidatorSet, validatorSetHash, VALIDATORS_MAX, type ValidatorSet } from '../protocol/validators.ts';
import type { Accounts } from '../protocol/state.ts';
import { bitsToTarget, hashFromDisplayHex, hashToDisplayHex, POW_LIMITS, type BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';

/** The genesis format this software reads and writes (docs/genesis.md). */
export const GENESIS_VERSION = 3;

/** 1 PAN = 10^8 base units. */
export const BASE_UNITS_PER_PAN = 100_000_000n;
export const TOTAL_SUPPLY_PAN = 5_000_000_000n;
/** 5 x 10^17 base units: the whole supply, fixed here and nowhere else. */
export const TOTAL_SUPPLY = TOTAL_SUPPLY_PAN * BASE_UNITS_PER_PAN;
export const ALLOCATIONS_MAX = 10_000;
const NAME_MAX = 64;

export interface ConsensusParams {
  minFee: bigint;
  blockTxsMax: number;
  blockBytesMax: number;
  timeoutProposeMs: number;
  timeoutPrevoteMs: number;
  timeoutPrecommitMs: number;
  /** Added to each timeout per round, so timeouts grow until the network is in sync. */
  timeoutDeltaMs: number;
  /** Pause after a commit before the next height starts. */
  blockIntervalMs: number;
  /**
   * Longest gap between blocks on an idle chain: a height with nothing to finalise is proposed
   * only once this long has passed since the previous block's time (docs/consensus.md).
   */
  heartbeatMs: number;
  /** At most one Bitcoin anchor transaction per this many seconds, none when nothing is new (docs/anchor.md). */
  anchorIntervalSeconds: number;
}

export interface GenesisValidator {
  name: string;
  publicKey: Uint8Array;
  power: bigint;
}

export interface GenesisAllocation {
  address: Uint8Array;
  amount: bigint;
}

/**
 * A mainnet block known when the chain started. The verifier's work floor is derived from its
 * difficulty (docs/anchor.md, "Work floor"), so a bundle cannot be anchored in cheap headers.
 */
export interface BitcoinCheckpoint {
  height: number;
  /** Block hash, internal byte order (the JSON holds display hex). */
  hash: Uint8Array;
  /** The block's compact target ("nBits"). */
  bits: number;
}

/** The Bitcoin network the chain anchors into; a bundle naming another is refused. */
export interface GenesisBitcoin {
  network: BitcoinNetworkName;
  /** Mainnet only, and required there; testnet and regtest headers may be at minimum difficulty. */
  checkpoint?: BitcoinCheckpoint;
}

export const BITCOIN_NETWORKS: readonly BitcoinNetworkName[] = ['mainnet', 'testnet', 'regtest'];
/** Encoded as u8 in the genesis: index in this list. */
const NETWORK_CODES: Readonly<Record<BitcoinNetworkName, number>> = { mainnet: 0, testnet: 1, regtest: 2 };
/** Far above any Bitcoin height for centuries; keeps the value a u32. */
export const CHECKPOINT_HEIGHT_MAX = 100_000_000;

export interface Genesis {
  chainId: string;
  genesisTimeMs: bigint;
  bitcoin: GenesisBitcoin;
  params: ConsensusParams;
  validators: GenesisValidator[];
  allocations: GenesisAllocation[];
}

export const DEFAULT_PARAMS: ConsensusParams = {
  minFee: 1000n,
  blockTxsMax: 2000,
  // Below the gossip message limit (node/p2p: about 3.9 MB), since a proposal carries its block.
  blockBytesMax: 3 * 1024 * 1024,
  timeoutProposeMs: 1000,
  timeoutPrevoteMs: 500,
  timeoutPrecommitMs: 500,
  timeoutDeltaMs: 250,
  blockIntervalMs: 500,
  // 120 s: an empty block of four validators costs about 32 KB of LevelDB per node (issue 29:
  // its commit certificate alone holds three or four 3,309-byte ML-DSA-65 signatures), so an
  // idle chain grows about 23 MB a day per node, half the 50 MB budget. The margin pays for
  // larger validator sets (every signer adds a signature to each block) and LevelDB's own
  // overhead; 55 s would spend the whole budget on four validators. A block every two
  // minutes still shows monitors and light clients that the chain is alive.
  heartbeatMs: 120_000,
  // 600 s, Bitcoin's mean block interval: at most 144 anchor transactions a day under any
  // load, so the fee bill is bounded, and an anchor rarely waits for the previous one to confirm.
  anchorIntervalSeconds: 600,
};

const PARAM_LIMITS: Record<Exclude<keyof ConsensusParams, 'minFee'>, [number, number]> = {
  blockTxsMax: [1, 65_535],
  blockBytesMax: [1024, 3_800_000],
  timeoutProposeMs: [1, 600_000],
  timeoutPrevoteMs: [1, 600_000],
  timeoutPrecommitMs: [1, 600_000],
  timeoutDeltaMs: [0, 600_000],
  blockIntervalMs: [0, 600_000],
  heartbeatMs: [100, 86_400_000],
  anchorIntervalSeconds: [1, 86_400],
};

// ---- parsing and validation -----------------------------------------------------------------

function fail(where: string, what: string): never {
  throw new Error(`genesis ${where}: ${what}`);
}

function expectObject(value: unknown, where: string, fields: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected a JSON object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!fields.includes(key)) fail(where, `unknown field "${key}" (allowed: ${fields.join(', ')})`);
  }
  for (const key of fields) {
    if (!(key in obj)) fail(where, `missing field "${key}"`);
  }
  return obj;
}

/** A non-negative integer written as a decimal string, e.g. "500000000000000000". */
export function parseAmount(value: unknown, where: string): bigint {
  if (typeof value === 'number') fail(where, `must be a decimal string such as "${value}", not a JSON number (numbers lose precision)`);
  if (typeof value !== 'string') fail(where, `must be a decimal string, got ${describe(value)}`);
  if (value.startsWith('-')) fail(where, `negative amounts are not allowed (got "${value}")`);
  if (/^[0-9]*\.[0-9]*$/.test(value)) fail(where, `fractional amounts are not allowed: amounts are integer base units, 1 PAN = 10^8 (got "${value}")`);
  if (!/^(0|[1-9][0-9]*)$/.test(value)) fail(where, `must be a decimal integer without leading zeros, sign or exponent (got ${describe(value)})`);
  const amount = BigInt(value);
  if (amount >= 1n << 64n) fail(where, `${value} does not fit in 64 bits`);
  return amount;
}

function parseSmallInt(value: unknown, where: string, [min, max]: [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(where, `must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

function parseTime(value: unknown): bigint {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(value)) {
    fail('genesisTime', `must be an RFC 3339 UTC time such as "2026-11-25T00:00:00Z", got ${describe(value)}`);
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0 || new Date(ms).toISOString().slice(0, 19) !== value.slice(0, 19)) {
    fail('genesisTime', `${value} is not a real date`);
  }
  return BigInt(ms);
}

const PARAM_FIELDS = Object.keys(DEFAULT_PARAMS);

/** "1702349e": the compact target as 8 hex digits, as bitcoind's getblockheader prints it. */
export function parseBitsHex(value: unknown, where: string): number {
  if (typeof value !== 'string' || !/^[0-9a-f]{8}$/.test(value)) fail(where, `must be the compact target as 8 lower-case hex digits, as getblockheader prints "bits" (e.g. "1702349e"), got ${describe(value)}`);
  const bits = parseInt(value, 16);
  try {
    bitsToTarget(bits);
  } catch (err) {
    fail(where, (err as Error).message.replace(/^bits: /, ''));
  }
  return bits;
}

export function bitsToHex(bits: number): string {
  return bits.toString(16).padStart(8, '0');
}

/** {height, hash, bits} of a mainnet block; shared by the genesis and the verifier's --btc-checkpoint. */
export function parseCheckpoint(value: unknown, where: string): BitcoinCheckpoint {
  const c = expectObject(value, where, ['height', 'hash', 'bits']);
  const height = parseSmallInt(c.height, `${where}.height`, [0, CHECKPOINT_HEIGHT_MAX]);
  if (typeof c.hash !== 'string' || !/^[0-9a-f]{64}$/.test(c.hash)) fail(`${where}.hash`, `must be a block hash as 64 lower-case hex digits (display order, as explorers print it), got ${describe(c.hash)}`);
  const hash = hashFromDisplayHex(c.hash, `${where}.hash`);
  const bits = parseBitsHex(c.bits, `${where}.bits`);
  if (bitsToTarget(bits) > POW_LIMITS.mainnet) fail(`${where}.bits`, `${c.bits} is easier than the mainnet proof-of-work limit: not a mainnet block`);
  return { height, hash, bits };
}

function parseBitcoin(value: unknown): GenesisBitcoin {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('bitcoin', 'expected a JSON object');
  const network = (value as Record<string, unknown>).network;
  if (!BITCOIN_NETWORKS.includes(network as BitcoinNetworkName)) fail('bitcoin.network', `must be one of ${BITCOIN_NETWORKS.join(', ')}, got ${describe(network)}`);
  const hasCheckpoint = 'checkpoint' in value;
  if (network !== 'mainnet') {
    if (hasCheckpoint) fail('bitcoin.checkpoint', `only a mainnet genesis has one: ${network} headers may legitimately be at the minimum difficulty, so no work floor applies`);
    expectObject(value, 'bitcoin', ['network']);
    return { network: network as BitcoinNetworkName };
  }
  if (!hasCheckpoint) fail('bitcoin.checkpoint', 'a mainnet genesis must pin a checkpoint {height, hash, bits}: a mainnet block known when the chain starts, whose difficulty sets the work floor every anchor header must meet (docs/anchor.md)');
  const b = expectObject(value, 'bitcoin', ['network', 'checkpoint']);
  return { network: 'mainnet', checkpoint: parseCheckpoint(b.checkpoint, 'bitcoin.checkpoint') };
}

function assertVersion(json: unknown): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('file', 'expected a JSON object');
  const obj = json as Record<string, unknown>;
  // Before the field check: a version 1 file should hear "old version", not "missing field".
  if (!('version' in obj) || obj.version === 1) {
    fail('version', `this is a version 1 genesis (it has no "version" member and names no Bitcoin network); this software reads version ${GENESIS_VERSION}: add "version": ${GENESIS_VERSION}, a "bitcoin" section and params "heartbeatMs" and "anchorIntervalSeconds" (docs/genesis.md). The genesis hash changes, so this starts a new chain`);
  }
  if (obj.version === 2) {
    fail('version', `this is a version 2 genesis (no params.heartbeatMs or params.anchorIntervalSeconds: its validators propose an empty block every blockIntervalMs and anchor by block count); this software reads version ${GENESIS_VERSION}: set "version": ${GENESIS_VERSION} and add "heartbeatMs" and "anchorIntervalSeconds" to "params" (docs/genesis.md). The genesis hash changes, so this starts a new chain`);
  }
  if (obj.version !== GENESIS_VERSION) fail('version', `unsupported version ${describe(obj.version)}; this software reads version ${GENESIS_VERSION}`);
}

export function parseGenesis(json: unknown): Genesis {
  assertVersion(json);
  const top = expectObject(json, 'file', ['version', 'chainId', 'genesisTime', 'bitcoin', 'params', 'validators', 'allocations']);
  try {
    assertValidChainId(top.chainId);
  } catch (err) {
    fail('chainId', (err as Error).message.replace(/^chainId: /, ''));
  }
  const chainId = top.chainId as string;
  const genesisTimeMs = parseTime(top.genesisTime);
  const bitcoin = parseBitcoin(top.bitcoin);

  const p = expectObject(top.params, 'params', PARAM_FIELDS);
  const params = { minFee: parseAmount(p.minFee, 'params.minFee') } as ConsensusParams;
  for (const [key, limits] of Object.entries(PARAM_LIMITS) as [keyof typeof PARAM_LIMITS, [number, number]][]) {
    params[key] = parseSmallInt(p[key], `params.${key}`, limits);
  }
  if (params.heartbeatMs < params.blockIntervalMs) fail('params.heartbeatMs', `must be at least blockIntervalMs (${params.blockIntervalMs}), got ${params.heartbeatMs}`);

  if (!Array.isArray(top.validators) || top.validators.length === 0) fail('validators', 'must be a non-empty array');
  if (top.validators.length > VALIDATORS_MAX) fail('validators', `at most ${VALIDATORS_MAX} validators`);
  const seenKeys = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const validators = top.validators.map((raw, i): GenesisValidator => {
    const where = `validators[${i}]`;
    const v = expectObject(raw, where, ['name', 'publicKey', 'power']);
    if (typeof v.name !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(v.name)) fail(`${where}.name`, 'must be 1-64 printable ASCII characters');
    if (seenNames.has(v.name)) fail(`${where}.name`, `duplicate of validators[${seenNames.get(v.name)}].name "${v.name}"`);
    seenNames.set(v.name, i);
    let publicKey: Uint8Array;
    try {
      publicKey = hexToBytes(v.publicKey, `${where}.publicKey`, PUBLIC_KEY_SIZE);
    } catch (err) {
      fail(`${where}.publicKey`, `malformed ML-DSA-65 public key: ${(err as Error).message.replace(/^[^:]*: /, '')}`);
    }
    const keyHex = v.publicKey as string;
    if (seenKeys.has(keyHex)) fail(`${where}.publicKey`, `duplicate of validators[${seenKeys.get(keyHex)}].publicKey`);
    seenKeys.set(keyHex, i);
    const power = parseAmount(v.power, `${where}.power`);
    if (power === 0n) fail(`${where}.power`, 'voting power must be at least 1');
    return { name: v.name, publicKey, power };
  });
  const totalPower = validators.reduce((s, v) => s + v.power, 0n);
  if (totalPower >= 1n << 62n) fail('validators', 'total voting power must be below 2^62');

  if (!Array.isArray(top.allocations) || top.allocations.length === 0) fail('allocations', 'must be a non-empty array');
  if (top.allocations.length > ALLOCATIONS_MAX) fail('allocations', `at most ${ALLOCATIONS_MAX} allocations`);
  const seenAccounts = new Map<string, number>();
  let total = 0n;
  const allocations = top.allocations.map((raw, i): GenesisAllocation => {
    const where = `allocations[${i}]`;
    const a = expectObject(raw, where, ['address', 'amount']);
    let address: Uint8Array;
    try {
      address = decodeAddress(a.address, `${where}.address`);
    } catch (err) {
      fail(`${where}.address`, (err as Error).message.replace(/^[^:]*: /, ''));
    }
    const accountKey = bytesToHex(address);
    if (seenAccounts.has(accountKey)) fail(`${where}.address`, `duplicate account, already allocated in allocations[${seenAccounts.get(accountKey)}]`);
    seenAccounts.set(accountKey, i);
    const amount = parseAmount(a.amount, `${where}.amount`);
    if (amount === 0n) fail(`${where}.amount`, 'must be positive');
    total += amount;
    return { address, amount };
  });
  if (total !== TOTAL_SUPPLY) {
    const diff = total - TOTAL_SUPPLY;
    fail('allocations', `add up to ${total} base units; the supply is exactly ${TOTAL_SUPPLY} (5,000,000,000 PAN), ${diff > 0n ? `${diff} too many` : `${-diff} too few`}`);
  }
  return { chainId, genesisTimeMs, bitcoin, params, validators, allocations };
}

export function checkpointToJson(c: BitcoinCheckpoint): Record<string, unknown> {
  return { height: c.height, hash: hashToDisplayHex(c.hash), bits: bitsToHex(c.bits) };
}

/** The JSON form, the inverse of parseGenesis. */
export function genesisToJson(g: Genesis): Record<string, unknown> {
  const { minFee, ...rest } = g.params;
  return {
    version: GENESIS_VERSION,
    chainId: g.chainId,
    genesisTime: new Date(Number(g.genesisTimeMs)).toISOString().replace('.000Z', 'Z'),
    bitcoin: g.bitcoin.checkpoint ? { network: g.bitcoin.network, checkpoint: checkpointToJson(g.bitcoin.checkpoint) } : { network: g.bitcoin.network },
    params: { minFee: minFee.toString(), ...rest },
    validators: g.validators.map((v) => ({ name: v.name, publicKey: bytesToHex(v.publicKey), power: v.power.toString() })),
    allocations: g.allocations.map((a) => ({ address: encodeAddress(a.address), amount: a.amount.toString() })),
  };
}

// ---- canonical encoding and hash ------------------------------------------------------------

export function encodeGenesis(g: Genesis): Uint8Array {
  const p = g.params;
  const cp = g.bitcoin.checkpoint;
  const w = new Writer()
    .string(g.chainId, 64, 'chainId')
    .u64(g.genesisTimeMs, 'genesisTimeMs')
    .u8(NETWORK_CODES[g.bitcoin.network], 'bitcoin.network')
    .bool(cp !== undefined);
  if (cp) w.u32(cp.height, 'checkpoint.height').fixed(cp.hash, 32, 'checkpoint.hash').u32(cp.bits, 'checkpoint.bits');
  return w
    .u64(p.minFee, 'minFee')
    .u32(p.blockTxsMax, 'blockTxsMax')
    .u32(p.blockBytesMax, 'blockBytesMax')
    .u32(p.timeoutProposeMs, 'timeoutProposeMs')
    .u32(p.timeoutPrevoteMs, 'timeoutPrevoteMs')
    .u32(p.timeoutPrecommitMs, 'timeoutPrecommitMs')
    .u32(p.timeoutDeltaMs, 'timeoutDeltaMs')
    .u32(p.blockIntervalMs, 'blockIntervalMs')
    .u32(p.heartbeatMs, 'heartbeatMs')
    .u32(p.anchorIntervalSeconds, 'anchorIntervalSeconds')
    .list(g.validators, VALIDATORS_MAX, 'validators', (w, v) => {
      w.string(v.name, NAME_MAX, 'name').fixed(v.publicKey, PUBLIC_KEY_SIZE, 'publicKey').u64(v.power, 'power');
    })
    .list(g.allocations, ALLOCATIONS_MAX, 'allocations', (w, a) => {
      w.fixed(a.address, 32, 'address').u64(a.amount, 'amount');
    })
    .finish();
}

/** The hash an auditor pins: taggedHash(genesis tag, chainId, canonical encoding). */
export function genesisHash(g: Genesis): Uint8Array {
  return taggedHash(TAGS.genesis, g.chainId, encodeGenesis(g));
}

export function genesisValidatorSet(g: Genesis): ValidatorSet {
  return makeValidatorSet(g.validators.map((v) => ({ publicKey: v.publicKey, power: v.power })));
}

export function genesisValidatorSetHash(g: Genesis): Uint8Array {
  return validatorSetHash(g.chainId, genesisValidatorSet(g));
}

export function genesisAccounts(g: Genesis): Accounts {
  return new Map(g.allocations.map((a) => [bytesToHex(a.address), { balance: a.amount, nonce: 0n }]));
}

// ---- creation -------------------------------------------------------------------------------

export interface CreateGenesisOptions {
  chainId: string;
  genesisTimeMs: bigint;
  validatorPublicKeys: Uint8Array[];
  /** Accounts that share the supply equally (any remainder goes to the first). */
  fundedPublicKeys: Uint8Array[];
  /** Base units given to each validator first (to pay for anchor attestations); default 0. */
  validatorAllowance?: bigint;
  params?: Partial<ConsensusParams>;
  /** The Bitcoin network the chain anchors into (default regtest, the devnet's). */
  bitcoin?: GenesisBitcoin;
}

export function createGenesis(o: CreateGenesisOptions): Genesis {
  if (o.fundedPublicKeys.length === 0) throw new Error('createGenesis: at least one funded account is required');
  const allowance = o.validatorAllowance ?? 0n;
  const rest = TOTAL_SUPPLY - allowance * BigInt(o.validatorPublicKeys.length);
  const share = rest / BigInt(o.fundedPublicKeys.length);
  const remainder = rest - share * BigInt(o.fundedPublicKeys.length);
  const genesis: Genesis = {
    chainId: o.chainId,
    genesisTimeMs: o.genesisTimeMs,
    bitcoin: o.bitcoin ?? { network: 'regtest' },
    params: { ...DEFAULT_PARAMS, ...o.params },
    validators: o.validatorPublicKeys.map((publicKey, i) => ({ name: `validator-${i}`, publicKey, power: 1n })),
    allocations: [
      ...o.fundedPublicKeys.map((pk, i) => ({ address: addressBytes(pk), amount: share + (i === 0 ? remainder : 0n) })),
      ...(allowance > 0n ? o.validatorPublicKeys.map((pk) => ({ address: addressBytes(pk), amount: allowance })) : []),
    ],
  };
  // Round-trip through the validator: what we write is exactly what we accept.
  return parseGenesis(genesisToJson(genesis));
}
