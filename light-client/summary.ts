// The verdict in words: what the steps proved and what the auditor still assumes. Written only
// from facts the steps established (never from a bundle's claims), so the CLI and the page
// print the same sentences and neither can say more than was checked.
// Spec: docs/proof.md, "Verification"; docs/anchor.md (assurance levels).
import { bytesToHex } from '../protocol/bytes.ts';
import { addressOf } from '../protocol/keys.ts';
import { hashToDisplayHex } from '../anchor/verify-bitcoin.ts';
import type { StepName, StepResult } from './steps.ts';
import type { Facts } from './verify.ts';
import { assuranceLevel, checkpointText, costToForgeText, difficultyOf, forgeCost, type BitcoinAssurance } from './bitcoin-assurance.ts';
import { bitsToHex } from '../genesis/genesis.ts';

export interface Summary {
  verdict: 'VALID' | 'INVALID';
  /** One line: the strongest statement proven, or which step failed. */
  headline: string;
  proven: string[];
  assumed: string[];
  /** VALID only: what the Bitcoin part is worth (regtest and testnet are never plain proof of work). */
  bitcoinAssurance?: BitcoinAssurance;
}

function percent(part: bigint, whole: bigint): string {
  // Integer arithmetic, one decimal, rounded down: never overstate the share.
  const tenths = (part * 1000n) / whole;
  return `${tenths / 10n}${tenths % 10n === 0n ? '' : `.${tenths % 10n}`} %`;
}

export function buildSummary(f: Facts, ok: boolean, failedStep: StepName | undefined, ctx: { nowMs?: number; minConfirmations: number }): Summary {
  if (!ok) {
    return {
      verdict: 'INVALID',
      headline: `NOT VERIFIED: step "${failedStep}" failed; nothing in this bundle is proven`,
      proven: [],
      assumed: [],
    };
  }
  const t = f.trust!;
  const h = f.h!;
  const tx = f.tx!;
  const c = f.certificate!;
  const genesis = bytesToHex(t.genesisHash);
  const proven = [
    `operator ${addressOf(tx.senderPublicKey)} signed (ML-DSA-65) the commitment of log "${tx.payload.logId}" at tree size ${tx.payload.treeSize} to root ${bytesToHex(tx.payload.root)}`,
    `the commitment is leaf ${f.bundle!.commitment.leafIndex} of the commitment log of size ${h.header.commitmentLogSize} in Pantheon block ${h.header.height} (hash ${bytesToHex(h.hash)}, time ${new Date(Number(h.header.timeMs)).toISOString()})`,
    `block ${h.header.height} is final by validators holding ${percent(c.signedPower, c.totalPower)} of the voting power (power ${c.signedPower} of ${c.totalPower}; ${c.signers.length} of the ${t.genesis.validators.length} validators signed) of genesis ${genesis}`,
  ];
  const assumed = [
    `genesis ${genesis} (pinned by ${t.pinnedBy}) is the chain you mean to audit`,
    'fewer than 1/3 of the genesis voting power signs conflicting blocks (BFT assumption behind finality)',
  ];
  let headline = `VERIFIED: final in Pantheon block ${h.header.height} of chain "${t.genesis.chainId}"; not anchored in Bitcoin`;
  let bitcoinAssurance: BitcoinAssurance = { level: 'not-anchored', network: t.genesis.bitcoin.network };
  if (f.btc?.headers && f.anchored) {
    const b = f.btc;
    const H = f.anchored;
    const headers = b.headers!;
    const block = `Bitcoin block ${b.blockHash}`;
    const when = b.blockTime !== undefined ? ` (block time ${new Date(b.blockTime * 1000).toISOString()})` : '';
    const floor = f.btcNetwork?.floor;
    const cost = forgeCost(headers.chainwork, floor?.checkpoint);
    const costText = costToForgeText(cost, b.network);
    proven.push(
      H.header.height === h.header.height
        ? `block ${h.header.height} is itself the anchored block`
        : `block ${h.header.height} precedes block ${H.header.height} (hash ${bytesToHex(H.hash)}): ${H.header.height - h.header.height} header(s) link them by hash`,
      `the hash of block ${H.header.height} is in the OP_RETURN of Bitcoin tx ${hashToDisplayHex(b.txid)}, in ${block}${when}, so block ${h.header.height} existed before that Bitcoin block`,
      `${headers.confirmations} confirmation(s) on ${b.network}, the network the genesis names${floor ? `, every header at or above the work floor (difficulty ${difficultyOf(floor.target)})` : ''}; total work ${headers.chainwork} expected hashes`,
      `cost to forge the supplied headers: ${costText}`,
    );
    if (b.pinnedAt !== undefined) proven.push(`the supplied header chain reaches the Bitcoin block you pinned`);
    if (floor) {
      assumed.push(
        `Bitcoin's difficulty has not fallen below 1/${floor.divisor} of that of checkpoint ${checkpointText(floor.checkpoint)}, pinned by ${floor.pinnedBy === 'genesis' ? 'the genesis' : 'you'} (the work floor; change it with --btc-work-divisor or --btc-checkpoint)`,
      );
    } else {
      assumed.push(
        b.network === 'regtest'
          ? 'nothing about Bitcoin: regtest headers carry no real work, anyone can make them, so the anchor proves no time'
          : 'little about Bitcoin: testnet has no value at stake and its blocks may be at minimum difficulty, so the anchor proves little time',
      );
    }
    assumed.push(
      b.pinnedAt !== undefined
        ? `the Bitcoin block you pinned is on the best ${b.network} chain`
        : `the supplied Bitcoin headers are on the best ${b.network} chain: not compared with the live Bitcoin chain (pin a block hash with --btc-block to check)`,
      `the Bitcoin block height ${b.claimedHeight} is as stated by the bundle (headers do not carry their height)`,
    );
    const anchoredIn = `final in Pantheon block ${h.header.height} and anchored in ${block} with ${headers.confirmations} confirmation(s)`;
    headline =
      b.network === 'mainnet'
        ? `VERIFIED: ${anchoredIn} on mainnet; to forge: ${formatCostShort(costText)}`
        : b.network === 'regtest'
          ? `VERIFIED: ${anchoredIn}; Bitcoin: regtest, no real work`
          : `VERIFIED: ${anchoredIn}; Bitcoin: testnet, a test network without value at stake`;
    bitcoinAssurance = {
      level: assuranceLevel(b.network),
      network: b.network,
      confirmations: headers.confirmations,
      headerWork: headers.chainwork.toString(),
      ...(cost.networkHours !== undefined ? { forgeNetworkHours: cost.networkHours } : {}),
      costToForge: costText,
      ...(floor
        ? {
            workFloor: {
              checkpointHeight: floor.checkpoint.height,
              checkpointHash: hashToDisplayHex(floor.checkpoint.hash),
              checkpointBits: bitsToHex(floor.checkpoint.bits),
              divisor: floor.divisor,
              floorDifficulty: difficultyOf(floor.target),
              pinnedBy: floor.pinnedBy,
            },
          }
        : {}),
    };
  }
  assumed.push(
    ctx.nowMs !== undefined
      ? `the verifier's clock, ${new Date(ctx.nowMs).toISOString()}, is right (timestamps may not exceed it by more than 2 h)`
      : 'no clock was given: timestamps were not compared with the current time',
  );
  return { verdict: 'VALID', headline, proven, assumed, bitcoinAssurance };
}

/** The headline's short form of the cost: the time part when there is one. */
function formatCostShort(costText: string): string {
  const at = costText.indexOf(': ');
  return at < 0 ? costText : costText.slice(at + 2);
}

/** The plain-text report the CLI prints: each step with pass/FAIL, then the summary. */
export function reportText(result: { steps: StepResult[]; summary: Summary }): string {
  const mark = { pass: 'pass', fail: 'FAIL', 'not-run': ' -- ' } as const;
  const lines = result.steps.map((s) => `[${mark[s.status]}] ${s.name}: ${s.title}\n        ${s.detail}`);
  lines.push('', result.summary.headline);
  if (result.summary.proven.length) lines.push('Proven:', ...result.summary.proven.map((p) => `  - ${p}`));
  if (result.summary.assumed.length) lines.push('Assumed:', ...result.summary.assumed.map((a) => `  - ${a}`));
  return lines.join('\n') + '\n';
}
