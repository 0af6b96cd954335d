// What the Bitcoin part of a proof is worth (docs/anchor.md, "Work floor" and "Cost to
// forge"). A header chain proves only the work in it: six headers at mainnet's proof-of-work
// limit cost about 2.6 x 10^10 hashes, a fraction of a second of one mining machine. So every
// mainnet anchor header must meet a floor taken from a checkpoint the genesis (or the auditor)
// pins, a floor that does not fall with the height the bundle claims; and the verdict says what
// forging the supplied headers would cost, in hashes and in hours of the whole network.
import { bitsToHex, type BitcoinCheckpoint } from '../genesis/genesis.ts';
import { bitsToTarget, hashToDisplayHex, POW_LIMITS, workForBits, type BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';

/** The floor is the checkpoint's difficulty divided by this (docs/anchor.md). */
export const WORK_FLOOR_DIVISOR_DEFAULT = 16;
/** 2^20: beyond it the floor is the proof-of-work limit for any checkpoint since 2011, i.e. no floor. */
export const WORK_FLOOR_DIVISOR_MAX = 1 << 20;
/** Bitcoin's target spacing: the whole network finds one block per 600 s at the current difficulty. */
const BLOCK_SPACING_S = 600;

export interface WorkFloor {
  checkpoint: BitcoinCheckpoint;
  /** Who pinned the checkpoint: the trusted genesis, or the auditor with --btc-checkpoint. */
  pinnedBy: 'genesis' | 'auditor';
  divisor: number;
  /** The easiest target an anchor header may claim: checkpoint target x divisor, at most the pow limit. */
  target: bigint;
}

export function workFloor(checkpoint: BitcoinCheckpoint, divisor: number, pinnedBy: WorkFloor['pinnedBy']): WorkFloor {
  if (!Number.isSafeInteger(divisor) || divisor < 1 || divisor > WORK_FLOOR_DIVISOR_MAX) throw new RangeError(`work floor divisor: expected an integer from 1 to ${WORK_FLOOR_DIVISOR_MAX}, got ${divisor}`);
  const scaled = bitsToTarget(checkpoint.bits) * BigInt(divisor);
  return { checkpoint, pinnedBy, divisor, target: scaled < POW_LIMITS.mainnet ? scaled : POW_LIMITS.mainnet };
}

/** Difficulty 1: the target of bits 1d00ffff, which Bitcoin Core divides by (slightly below the pow limit). */
const DIFFICULTY_1_TARGET = 0xffffn << 208n;

/** Difficulty as Bitcoin Core's getblockheader reports it: the difficulty-1 target over this target. */
export function difficultyOf(target: bigint): string {
  return formatRatio(DIFFICULTY_1_TARGET, target);
}

/** Throws, naming both difficulties, when a header claims a target easier than the floor. */
export function assertMeetsWorkFloor(bits: number, floor: WorkFloor): void {
  const target = bitsToTarget(bits);
  if (target > floor.target) {
    throw new Error(
      `bits ${bitsToHex(bits)} (difficulty ${difficultyOf(target)}) is below the work floor, difficulty ${difficultyOf(floor.target)} = ` +
        `checkpoint ${checkpointText(floor.checkpoint)} difficulty ${difficultyOf(bitsToTarget(floor.checkpoint.bits))} / ${floor.divisor}: ` +
        'headers this cheap can be forged in moments, so they prove no time',
    );
  }
}

export function checkpointText(c: BitcoinCheckpoint): string {
  return `${c.height} (${hashToDisplayHex(c.hash)})`;
}

export interface ForgeCost {
  /** Expected hashes to redo the supplied headers. */
  hashes: bigint;
  /** Those hashes over the whole network's rate at the checkpoint's difficulty; undefined without a checkpoint. */
  networkHours?: number;
}

export function forgeCost(chainwork: bigint, checkpoint: BitcoinCheckpoint | undefined): ForgeCost {
  if (!checkpoint) return { hashes: chainwork };
  // The network finds work(checkpoint) hashes' worth of block every 600 s.
  const perBlock = workForBits(checkpoint.bits);
  const microHours = (chainwork * BigInt(BLOCK_SPACING_S) * 1_000_000n) / (perBlock * 3600n);
  return { hashes: chainwork, networkHours: Number(microHours) / 1_000_000 };
}

/** "about 2.6 × 10^10": two significant figures, rounded down so the cost is never overstated. */
export function formatHashes(n: bigint): string {
  if (n < 1000n) return `${n}`;
  const digits = n.toString();
  const exponent = digits.length - 1;
  return `about ${digits[0]}.${digits[1]} × 10^${exponent}`;
}

/** "1.0 hour", "6 minutes", "0.02 seconds": the time the whole network would spend. */
export function formatNetworkTime(hours: number): string {
  if (hours >= 48) return `${(hours / 24).toFixed(1)} days`;
  if (hours >= 1) return `${hours.toFixed(1)} hours`;
  if (hours * 60 >= 1) return `${(hours * 60).toFixed(1)} minutes`;
  return `${(hours * 3600).toPrecision(2)} seconds`;
}

function formatRatio(a: bigint, b: bigint): string {
  // Three decimals with integer arithmetic: difficulties span 1 to 10^14 and more.
  const thousandths = (a * 1000n) / b;
  const whole = thousandths / 1000n;
  const frac = (thousandths % 1000n).toString().padStart(3, '0');
  if (thousandths === 0n) return (Number(a) / Number(b)).toPrecision(2); // regtest: about 4.7e-10
  return whole >= 1000n ? whole.toString() : `${whole}.${frac}`;
}

/**
 * How much the Bitcoin part of a VALID verdict is worth, for `--json` and the page:
 * - proof-of-work: mainnet headers, each at or above the work floor;
 * - test-network: testnet, whose blocks may be at minimum difficulty (no value at stake);
 * - no-real-work: regtest, where anyone makes such headers at will;
 * - not-anchored: the bundle has no Bitcoin part.
 */
export type BitcoinAssuranceLevel = 'proof-of-work' | 'test-network' | 'no-real-work' | 'not-anchored';

export interface BitcoinAssurance {
  level: BitcoinAssuranceLevel;
  /** The network the trusted genesis anchors into. */
  network: BitcoinNetworkName;
  confirmations?: number;
  /** Expected hashes in the supplied headers, decimal (a bigint does not fit a JSON number). */
  headerWork?: string;
  /** Hours of the whole network at the checkpoint's difficulty to redo that work. */
  forgeNetworkHours?: number;
  /** "about X hashes: about Y hours of the whole Bitcoin network at the checkpoint's difficulty". */
  costToForge?: string;
  workFloor?: { checkpointHeight: number; checkpointHash: string; checkpointBits: string; divisor: number; floorDifficulty: string; pinnedBy: WorkFloor['pinnedBy'] };
}

export function assuranceLevel(network: BitcoinNetworkName): BitcoinAssuranceLevel {
  return network === 'mainnet' ? 'proof-of-work' : network === 'testnet' ? 'test-network' : 'no-real-work';
}

export function costToForgeText(cost: ForgeCost, network: BitcoinNetworkName): string {
  const hashes = `${formatHashes(cost.hashes)} hashes`;
  if (cost.networkHours !== undefined) return `${hashes}: ${cost.networkHours < 1 ? '' : 'about '}${formatNetworkTime(cost.networkHours)} of the whole Bitcoin network at the checkpoint's difficulty`;
  if (network === 'regtest') return `${hashes}: regtest, no real work (one computer makes such headers in moments)`;
  return `${hashes}: ${network}, a test network without value at stake (its blocks may be at minimum difficulty)`;
}
