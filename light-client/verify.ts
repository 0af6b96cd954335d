// verifyBundle: every link of the chain of evidence (BRIEF.md), recomputed from the bundle's
// bytes and the auditor's trust root alone. Pure: no clock (pass nowMs), no network, no I/O.
// The same function runs in `pantheon verify` and in verify.html.
// Spec: docs/proof.md, "Verification".
import { BundleFormatError, parseBundle, type ProofBundle } from './bundle.ts';
import { runSteps, type Check, type StepName, type StepResult } from './steps.ts';
import { checkGenesis, type TrustInput, type TrustRoot } from './verify-genesis.ts';
import { checkPantheonHeader, type CheckedHeader } from './verify-header.ts';
import { checkCommitment, checkCommitmentSignature, checkInclusion, type CommitmentTx } from './verify-commitment.ts';
import { checkCertificateForm, checkCertificateSignatures, type CertificateFacts } from './verify-finality.ts';
import { checkPantheonChain } from './verify-chain.ts';
import { checkBitcoinHeaders, checkBitcoinMerkle, checkBitcoinNetwork, checkBitcoinPin, checkBitcoinTx, DEFAULT_MIN_BTC_CONFIRMATIONS, type BitcoinHeaderFacts } from './verify-anchor.ts';
import { checkpointText, costToForgeText, difficultyOf, forgeCost, type WorkFloor } from './bitcoin-assurance.ts';
import type { BitcoinCheckpoint } from '../genesis/genesis.ts';
import type { BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';
import { buildSummary, type Summary } from './summary.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { parseStrictJson, type JsonTextError } from '../protocol/strict-json.ts';
import { hashToDisplayHex } from '../anchor/verify-bitcoin.ts';

export interface VerifyOptions extends TrustInput {
  /** The verifier's clock, ms since the epoch: timestamps beyond it (+2 h) fail. Omitted: not checked. */
  nowMs?: number;
  /** A Bitcoin block hash (display hex) the auditor trusts; the bundle's headers must reach it. */
  pinnedBtcBlockHash?: string;
  /** Bitcoin headers required from the anchoring block on (default 6). */
  minBtcConfirmations?: number;
  /** A mainnet checkpoint the auditor pins instead of the genesis's (sets the work floor). */
  btcCheckpoint?: BitcoinCheckpoint;
  /** The work floor is the checkpoint's difficulty divided by this (default 16). */
  workFloorDivisor?: number;
}

/** What the steps established; the summary is written from these, never from bundle claims. */
export interface Facts {
  bundle?: ProofBundle;
  trust?: TrustRoot;
  h?: CheckedHeader;
  tx?: CommitmentTx;
  certificate?: CertificateFacts;
  anchored?: CheckedHeader;
  /** Set by step bitcoin-network: the genesis's network (the bundle's agrees) and, on mainnet, the work floor. */
  btcNetwork?: { network: BitcoinNetworkName; floor?: WorkFloor };
  btc?: { txid: Uint8Array; blockHash: string; claimedHeight: number; network: BitcoinNetworkName; headers?: BitcoinHeaderFacts; pinnedAt?: number; blockTime?: number };
}

export interface VerifyResult {
  /** True only when every step ran and passed. */
  ok: boolean;
  steps: StepResult[];
  /** The first step that failed (later steps are reported as not run). */
  failedStep?: StepName;
  summary: Summary;
}

export function verifyBundle(input: unknown, options: VerifyOptions): VerifyResult {
  const { facts: _facts, ...result } = verifyBundleFacts(input, options);
  return result;
}

/** verifyBundle, with the facts the steps established: for a caller that proves more on top (an entry bundle). */
export function verifyBundleFacts(input: unknown, options: VerifyOptions): VerifyResult & { facts: Facts } {
  const facts: Facts = {};
  const minConfirmations = options.minBtcConfirmations ?? DEFAULT_MIN_BTC_CONFIRMATIONS;
  const need = <T>(value: T | undefined): T => value as T; // steps run in order, so earlier facts exist
  let json: unknown = input;
  let jsonError: string | undefined;
  if (typeof input === 'string') {
    try {
      json = parseStrictJson(input, 'bundle');
    } catch (err) {
      jsonError = (err as JsonTextError).detail;
    }
  }
  // The anchor steps are listed only for bundles that have an anchor section.
  const anchored = typeof json === 'object' && json !== null && 'anchor' in json;

  const plan: { name: StepName; check: Check }[] = [
    {
      name: 'format',
      check: () => {
        if (jsonError !== undefined) throw new BundleFormatError('bundle', jsonError);
        facts.bundle = parseBundle(json);
        const b = facts.bundle;
        return `version ${b.version}, chain "${b.chainId}", ${b.anchor ? 'anchored' : 'finality only (no Bitcoin anchor)'}${b.genesis ? ', genesis included' : ''}`;
      },
    },
    {
      name: 'genesis',
      check: () => {
        facts.trust = checkGenesis(need(facts.bundle), options);
        const t = facts.trust;
        return `genesis ${bytesToHex(t.genesisHash)} (chain "${t.genesis.chainId}", ${t.genesis.validators.length} validators, total power ${t.validatorSet.totalPower}, anchors into Bitcoin ${t.genesis.bitcoin.network}), pinned by ${t.pinnedBy}`;
      },
    },
    {
      name: 'header',
      check: () => {
        facts.h = checkPantheonHeader(need(facts.bundle).block.header, need(facts.trust), options.nowMs, 'header h');
        const { header, hash } = facts.h;
        return `block h = height ${header.height}, hash ${bytesToHex(hash)}, time ${new Date(Number(header.timeMs)).toISOString()}, commitment log size ${header.commitmentLogSize}`;
      },
    },
    {
      name: 'commitment',
      check: () => {
        facts.tx = checkCommitment(need(facts.bundle).commitment.tx, need(facts.trust).genesis.chainId);
        const p = facts.tx.payload;
        return `log "${p.logId}", tree size ${p.treeSize}, root ${bytesToHex(p.root)}, nonce ${facts.tx.nonce}`;
      },
    },
    {
      name: 'inclusion',
      check: () => {
        const b = need(facts.bundle);
        const h = need(facts.h).header;
        checkInclusion(need(facts.trust).genesis.chainId, b.commitment.tx, b.commitment.leafIndex, b.commitment.path, h, need(facts.tx));
        return `leaf ${b.commitment.leafIndex} of ${h.commitmentLogSize}, ${b.commitment.path.length} hashes to root ${bytesToHex(h.commitmentLogRoot)}`;
      },
    },
    {
      name: 'certificate',
      check: () => {
        const t = need(facts.trust);
        facts.certificate = checkCertificateForm(need(facts.bundle).block.certificate, need(facts.h), t.genesis.chainId, t.validatorSet);
        const c = facts.certificate;
        return `round ${c.certificate.round}, signers [${c.signers.join(', ')}] hold ${c.signedPower} of ${c.totalPower} voting power (signatures checked last)`;
      },
    },
  ];

  const anchor = () => need(facts.bundle).anchor!;
  if (anchored) plan.push(
    {
      name: 'pantheon-chain',
      check: () => {
        const a = anchor();
        facts.anchored = checkPantheonChain(need(facts.h), a.pantheonHeaders, need(facts.trust), options.nowMs);
        const H = facts.anchored;
        return a.pantheonHeaders.length === 0 ? `H = h (height ${H.header.height}) is itself the anchored block` : `${a.pantheonHeaders.length} header(s) link h to H = height ${H.header.height}, hash ${bytesToHex(H.hash)}`;
      },
    },
    {
      name: 'bitcoin-network',
      check: () => {
        facts.btcNetwork = checkBitcoinNetwork(anchor().bitcoin, need(facts.trust).genesis, options);
        const { network, floor } = facts.btcNetwork;
        if (!floor) return `the genesis anchors this chain into ${network}, as the bundle says (${network}: no work floor, its blocks may be at minimum difficulty)`;
        return `the genesis anchors this chain into mainnet, as the bundle says; work floor: difficulty ${difficultyOf(floor.target)} = checkpoint ${checkpointText(floor.checkpoint)} (pinned by ${floor.pinnedBy === 'genesis' ? 'the genesis' : 'you'}) difficulty / ${floor.divisor}`;
      },
    },
    {
      name: 'bitcoin-tx',
      check: () => {
        const btc = anchor().bitcoin;
        const { txid } = checkBitcoinTx(btc, need(facts.trust).genesis.chainId, need(facts.anchored));
        facts.btc = { txid, blockHash: '', claimedHeight: btc.blockHeight, network: btc.network };
        return `tx ${hashToDisplayHex(txid)} anchors height ${need(facts.anchored).header.height}, root = hash of block H`;
      },
    },
    {
      name: 'bitcoin-merkle',
      check: () => {
        const btc = anchor().bitcoin;
        const header = checkBitcoinMerkle(btc, need(facts.btc).txid);
        facts.btc!.blockHash = hashToDisplayHex(header.hash);
        facts.btc!.blockTime = header.time;
        return `tx at index ${btc.txIndex} of block ${facts.btc!.blockHash} (${btc.merkleBranch.length} siblings)`;
      },
    },
    {
      name: 'bitcoin-headers',
      check: () => {
        const btc = anchor().bitcoin;
        const floor = need(facts.btcNetwork).floor;
        const h = checkBitcoinHeaders(btc, { nowMs: options.nowMs, minConfirmations, floor });
        facts.btc!.headers = h;
        const cost = costToForgeText(forgeCost(h.chainwork, floor?.checkpoint), btc.network);
        return `${h.confirmations} header(s) on ${btc.network}${floor ? ', each at or above the work floor' : ''}, at least ${minConfirmations} required; total work ${h.chainwork} expected hashes; to forge: ${cost}`;
      },
    },
  );
  if (options.pinnedBtcBlockHash !== undefined) {
    plan.push({
      name: 'bitcoin-pin',
      check: () => {
        if (!anchored) throw new Error('a Bitcoin block hash is pinned but the bundle has no Bitcoin anchor');
        const at = checkBitcoinPin(need(facts.btc).headers!.headers, options.pinnedBtcBlockHash!);
        facts.btc!.pinnedAt = at;
        return at === 0 ? 'the anchoring block is the pinned block' : `the pinned block is the ${at}${ordinal(at)} header after the anchoring block`;
      },
    });
  }
  plan.push(
    {
      name: 'commitment-signature',
      check: () => {
        checkCommitmentSignature(need(facts.tx), need(facts.trust).genesis.chainId);
        return 'signature by the operator key in the transaction verifies';
      },
    },
    {
      name: 'certificate-signatures',
      check: () => {
        const t = need(facts.trust);
        checkCertificateSignatures(need(facts.certificate), need(facts.h), t.genesis.chainId, t.validatorSet);
        return `${need(facts.certificate).signers.length} precommit signature(s) verify`;
      },
    },
  );

  const { steps, failedStep } = runSteps(plan);
  const ok = failedStep === undefined && steps.every((s) => s.ok);
  return { ok, steps, failedStep, summary: buildSummary(facts, ok, failedStep, { nowMs: options.nowMs, minConfirmations }), facts };
}

function ordinal(n: number): string {
  return n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
}
