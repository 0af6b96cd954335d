// Voting-power thresholds. With n = 3f + 1 the paper's "2f + 1" is "more than 2/3 of the power"
// and "f + 1" is "more than 1/3": stated as power fractions they also hold for weighted sets.
import { isSupermajority } from '../protocol/validators.ts';
import type { ConsensusConfig } from './types.ts';

/** The paper's 2f + 1: more than 2/3 of the total voting power (protocol's isSupermajority). */
export function isQuorum(config: ConsensusConfig, power: bigint): boolean {
  // Test-only broken variant: a simple majority lets two quorums share no honest validator.
  if (config.unsafe?.halfQuorum) return 2n * power > config.validators.totalPower;
  return isSupermajority(power, config.validators);
}

/** The paper's f + 1: more than 1/3 of the power, so at least one honest validator is among them. */
export function isHonestPresence(config: ConsensusConfig, power: bigint): boolean {
  return 3n * power > config.validators.totalPower;
}
