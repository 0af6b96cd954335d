// verifyEntryBundle: one OAR entry proved down to Bitcoin (docs/entry-bundle.md). The embedded
// commitment bundle is checked by verifyBundle, unchanged; then the entry's own links: the
// key in force (from the founding key named by the log id, through the key changes shown),
// the entry's and its partner's signatures, the disclosed payloads, and the inclusion of every
// entry shown under the committed root. Pure: no clock (pass nowMs), no network, no I/O.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { addressBytes, addressOf } from '../protocol/keys.ts';
import { verifyInclusion } from '../protocol/merkle.ts';
import { logIdOwner } from '../protocol/tx-common.ts';
import { parseStrictJson, type JsonTextError } from '../protocol/strict-json.ts';
import { decodeSignedEntry, entryHash, entryLeafHash, payloadHash, verifyEntrySignature, type Entry, type KeyChangeEntry, type SignedEntry } from '../oar/entry.ts';
import { parseCanonicalJson } from '../oar/jcs.ts';
import { BundleFormatError } from './bundle.ts';
import { parseEntryBundle, type EntryBundle, type IncludedEntry } from './entry-bundle.ts';
import { fail, runSteps, STEP_TITLES, type Check, type StepName, type StepResult } from './steps.ts';
import { verifyBundleFacts, type Facts, type VerifyOptions, type VerifyResult } from './verify.ts';
import type { Summary } from './summary.ts';

export interface EntryVerifyResult {
  /** True only when every step, the commitment bundle's and the entry's, ran and passed. */
  ok: boolean;
  steps: StepResult[];
  failedStep?: StepName;
  summary: Summary;
  /** What the commitment bundle's steps established (for the page's Web Crypto cross-check). */
  facts?: Facts;
}

interface Decoded {
  bundle: EntryBundle;
  entry: SignedEntry;
  partner?: SignedEntry;
  keyChanges: (SignedEntry & { entry: KeyChangeEntry })[];
}

const ENTRY_STEPS: readonly StepName[] = ['checkpoint', 'founding-key', 'key-changes', 'entry-signature', 'entry-payload', 'partner', 'entry-inclusion'];

export function verifyEntryBundle(input: unknown, options: VerifyOptions): EntryVerifyResult {
  let decoded: Decoded | undefined;
  const format = runSteps([{ name: 'entry-format', check: () => ((decoded = decodeBundle(input)), formatDetail(decoded)) }]);
  if (!decoded) return finish([...format.steps, ...notRun(ENTRY_STEPS, 'entry-format')], 'entry-format');

  const d: Decoded = decoded;
  const commitment = verifyBundleFacts(d.bundle.commitmentBundle, options);
  if (!commitment.ok) return finish([...format.steps, ...commitment.steps, ...notRun(ENTRY_STEPS, commitment.failedStep!)], commitment.failedStep, commitment.facts);

  const chainId = d.bundle.chainId;
  // The key in force at each sequence: the founding key, then each key change from the entry after it.
  const keyAt = (sequence: number): { key: Uint8Array; from?: number } => {
    let at: { key: Uint8Array; from?: number } = { key: d.bundle.foundingKey };
    for (const k of d.keyChanges) if (k.entry.sequence < sequence) at = { key: k.entry.newPublicKey, from: k.entry.sequence };
    return at;
  };
  const S = d.bundle.checkpointSize;
  let root: Uint8Array | undefined;
  const plan: { name: StepName; check: Check }[] = [
    {
      name: 'checkpoint',
      check: () => {
        const tx = commitment.facts.tx!;
        if (commitment.facts.bundle!.chainId !== chainId) fail(`the commitment bundle is for chain "${commitment.facts.bundle!.chainId}", the entry bundle for "${chainId}"`);
        if (tx.payload.logId !== d.bundle.logId) fail(`the commitment is for log "${tx.payload.logId}", not "${d.bundle.logId}"`);
        if (tx.payload.treeSize !== BigInt(S)) fail(`the commitment is for record size ${tx.payload.treeSize}, the bundle's checkpoint size is ${S}`);
        root = tx.payload.root;
        return `the verified commitment is of log "${d.bundle.logId}" at size ${S}, root ${bytesToHex(root)}`;
      },
    },
    {
      name: 'founding-key',
      check: () => {
        if (!equalBytes(addressBytes(d.bundle.foundingKey), logIdOwner(d.bundle.logId))) fail(`the founding key's address is ${addressOf(d.bundle.foundingKey)}, not the owner address in log id ${d.bundle.logId}`);
        return `founding key ${addressOf(d.bundle.foundingKey)} is the owner the log id names`;
      },
    },
    {
      name: 'key-changes',
      check: () => {
        for (const k of d.keyChanges) {
          const { key } = keyAt(k.entry.sequence);
          if (!verifyEntrySignature(chainId, k, key)) fail(`the key change at entry ${k.entry.sequence} is not signed by the key in force there (${addressOf(key)})`);
          if (equalBytes(k.entry.newPublicKey, key)) fail(`the key change at entry ${k.entry.sequence} names the key already in force`);
        }
        if (d.keyChanges.length === 0) return 'no key change below the entries shown: the founding key is in force';
        return d.keyChanges.map((k) => `entry ${k.entry.sequence}: ${addressOf(keyAt(k.entry.sequence).key)} -> ${addressOf(k.entry.newPublicKey)}`).join('; ');
      },
    },
    {
      name: 'entry-signature',
      check: () => {
        const { key } = keyAt(d.entry.entry.sequence);
        if (!verifyEntrySignature(chainId, d.entry, key)) fail(`entry ${d.entry.entry.sequence}: the signature does not verify with the key in force (${addressOf(key)}): the signed bytes or the signature changed`);
        return `entry ${d.entry.entry.sequence} is signed by ${addressOf(key)}`;
      },
    },
    {
      name: 'entry-payload',
      check: () => checkPayload(chainId, d.entry, d.bundle.entry),
    },
    {
      name: 'partner',
      check: () => {
        if (!d.partner) return d.entry.entry.kind === 'key-change' ? 'a key change has no partner' : 'no partner entry in the bundle';
        checkPartner(d.entry.entry, d.partner.entry);
        const { key } = keyAt(d.partner.entry.sequence);
        if (!verifyEntrySignature(chainId, d.partner, key)) fail(`partner entry ${d.partner.entry.sequence}: the signature does not verify with the key in force (${addressOf(key)})`);
        return `entry ${d.partner.entry.sequence} (${d.partner.entry.kind}) is signed by ${addressOf(key)}; ${checkPayload(chainId, d.partner, d.bundle.partner!)}`;
      },
    },
    {
      name: 'entry-inclusion',
      check: () => {
        const shown: [SignedEntry, IncludedEntry][] = [[d.entry, d.bundle.entry], ...(d.partner ? [[d.partner, d.bundle.partner!] as [SignedEntry, IncludedEntry]] : []), ...d.keyChanges.map((k, i) => [k, d.bundle.keyChanges[i]] as [SignedEntry, IncludedEntry])];
        for (const [signed, included] of shown) {
          const leaf = entryLeafHash(entryHash(chainId, included.signedEntry));
          // The index and the size come from checked fields, never from the path's length.
          if (!verifyInclusion(leaf, signed.entry.sequence, S, included.path, root!)) fail(`entry ${signed.entry.sequence}: its path (${included.path.length} hashes) does not lead to the committed root at size ${S}`);
        }
        return `${shown.length} entr${shown.length === 1 ? 'y' : 'ies'} (${shown.map(([s]) => s.entry.sequence).join(', ')}) lead to root ${bytesToHex(root!)} of size ${S}`;
      },
    },
  ];
  const own = runSteps(plan);
  const steps = [...format.steps, ...commitment.steps, ...own.steps];
  if (own.failedStep) return finish(steps, own.failedStep, commitment.facts);
  return { ok: true, steps, summary: entrySummary(d, commitment, keyAt), facts: commitment.facts };
}

function decodeBundle(input: unknown): Decoded {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = parseStrictJson(input, 'bundle');
    } catch (err) {
      throw new BundleFormatError('bundle', (err as JsonTextError).detail);
    }
  }
  const bundle = parseEntryBundle(json);
  const decode = (e: IncludedEntry, field: string): SignedEntry => {
    let signed: SignedEntry;
    try {
      signed = decodeSignedEntry(e.signedEntry);
    } catch (err) {
      throw new BundleFormatError(`${field}.signedEntry`, (err as Error).message);
    }
    if (signed.entry.logId !== bundle.logId) throw new BundleFormatError(`${field}.signedEntry`, `the entry is of log "${signed.entry.logId}", the bundle of "${bundle.logId}"`);
    if (signed.entry.sequence >= bundle.checkpointSize) throw new BundleFormatError(`${field}.signedEntry`, `entry ${signed.entry.sequence} is not below the checkpoint size ${bundle.checkpointSize}`);
    return signed;
  };
  const entry = decode(bundle.entry, 'entry');
  const partner = bundle.partner ? decode(bundle.partner, 'partner') : undefined;
  let previous = -1;
  const keyChanges = bundle.keyChanges.map((k, i) => {
    const signed = decode(k, `keyChanges[${i}]`);
    if (signed.entry.kind !== 'key-change') throw new BundleFormatError(`keyChanges[${i}]`, `entry ${signed.entry.sequence} is an ${signed.entry.kind}, not a key change`);
    if (signed.entry.sequence <= previous) throw new BundleFormatError(`keyChanges[${i}]`, `entry ${signed.entry.sequence} is not after the key change before it (entry ${previous})`);
    previous = signed.entry.sequence;
    return signed as SignedEntry & { entry: KeyChangeEntry };
  });
  return { bundle, entry, partner, keyChanges };
}

function formatDetail(d: Decoded): string {
  const e = d.entry.entry;
  return `entry ${e.sequence} (${e.kind}) of log "${d.bundle.logId}" on chain "${d.bundle.chainId}", checkpoint size ${d.bundle.checkpointSize}${d.partner ? `, partner entry ${d.partner.entry.sequence}` : ''}, ${d.keyChanges.length} key change(s)`;
}

function checkPayload(chainId: string, signed: SignedEntry, included: IncludedEntry): string {
  const n = signed.entry.sequence;
  if (!included.payload) return `entry ${n}: payload withheld (only its salted hash is in the entry)`;
  if (!equalBytes(payloadHash(chainId, included.payload.salt, included.payload.bytes), signed.entry.payloadHash)) fail(`entry ${n}: the payload and salt do not hash to the entry's payloadHash`);
  try {
    parseCanonicalJson(included.payload.bytes);
  } catch (err) {
    fail(`entry ${n}: ${(err as Error).message}`);
  }
  return `entry ${n}: payload of ${included.payload.bytes.length} bytes matches its salted hash and is canonical JSON`;
}

/** An intent's partner is the outcome naming it; an outcome's is the intent it names; same actor and version. */
function checkPartner(e: Entry, p: Entry): void {
  if (e.kind === 'key-change') fail(`entry ${e.sequence} is a key change, which has no partner`);
  const [intent, outcome] = e.kind === 'intent' ? [e, p] : [p, e];
  if (intent.kind !== 'intent') fail(`entry ${intent.sequence} is an ${intent.kind}, not the intent outcome ${outcome.sequence} names`);
  if (outcome.kind !== 'outcome') fail(`entry ${outcome.sequence} is a ${outcome.kind}, not an outcome of intent ${intent.sequence}`);
  if (outcome.intentSequence !== intent.sequence) fail(`outcome ${outcome.sequence} names intent ${outcome.intentSequence}, not ${intent.sequence}`);
  if (outcome.actor !== intent.actor || outcome.actorVersion !== intent.actorVersion) fail(`outcome ${outcome.sequence} is by ${outcome.actor} ${outcome.actorVersion}, intent ${intent.sequence} by ${intent.actor} ${intent.actorVersion}`);
}

function notRun(names: readonly StepName[], failedStep: StepName): StepResult[] {
  return names.map((name) => ({ name, title: STEP_TITLES[name], ok: false, status: 'not-run' as const, detail: `not checked: step "${failedStep}" failed` }));
}

function finish(steps: StepResult[], failedStep: StepName | undefined, facts?: Facts): EntryVerifyResult {
  return {
    ok: false,
    steps,
    failedStep,
    facts,
    summary: { verdict: 'INVALID', headline: `NOT VERIFIED: step "${failedStep}" failed; nothing in this entry bundle is proven`, proven: [], assumed: [] },
  };
}

const PAYLOAD_SHOWN_MAX = 300;

function entrySummary(d: Decoded, commitment: VerifyResult & { facts: Facts }, keyAt: (sequence: number) => { key: Uint8Array; from?: number }): Summary {
  const e = d.entry.entry;
  const p = d.partner?.entry;
  const S = d.bundle.checkpointSize;
  const f = commitment.facts;
  const by = `actor ${e.actor} ${e.actorVersion}`;
  let what: string;
  if (e.kind === 'intent') what = p?.kind === 'outcome' ? `an intent by ${by}, was recorded before its outcome (entry ${p.sequence}, ${p.status})` : `an intent by ${by} (no outcome within the anchored record of size ${S})`;
  else if (e.kind === 'outcome') what = `the outcome (${e.status}) of intent ${e.intentSequence} by ${by}${p ? `, was recorded after that intent` : ''}`;
  else what = `a key change to ${addressOf(e.newPublicKey)} by ${by}`;
  const btc = f.btc?.headers ? f.btc : undefined;
  const when = btc ? `existed before Bitcoin block ${btc.blockHash}${btc.blockTime !== undefined ? ` (time ${new Date(btc.blockTime * 1000).toISOString()})` : ''}` : `is final in Pantheon block ${f.h!.header.height} (not anchored in Bitcoin)`;
  const network = btc?.network === 'regtest' ? '; Bitcoin: regtest, no real work' : btc?.network === 'testnet' ? '; Bitcoin: testnet, a test network without value at stake' : '';
  const headline = `VERIFIED: entry ${e.sequence} of log ${d.bundle.logId}, ${what}, and ${when}${network}`;

  const signer = (n: number) => {
    const { key, from } = keyAt(n);
    return `${addressOf(key)}, the key in force at ${n} (${from === undefined ? "the log's founding key, whose address is in the log id" : `named by the key change at entry ${from}`})`;
  };
  const payloadLine = (s: SignedEntry, included?: IncludedEntry) => {
    if (!included?.payload) return `entry ${s.entry.sequence}'s payload is withheld: only its salted hash is known`;
    const text = new TextDecoder().decode(included.payload.bytes);
    return `entry ${s.entry.sequence}'s payload is the one it sealed: ${text.length > PAYLOAD_SHOWN_MAX ? `${text.slice(0, PAYLOAD_SHOWN_MAX)}… (${included.payload.bytes.length} bytes)` : text}`;
  };
  const proven = [
    `entry ${e.sequence} of log ${d.bundle.logId} (${e.kind}, ${by}, stated time ${new Date(e.timeMs).toISOString()}) is signed (ML-DSA-65) by ${signer(e.sequence)}`,
    payloadLine(d.entry, d.bundle.entry),
  ];
  if (p) {
    proven.push(`entry ${p.sequence} (${p.kind}${p.kind === 'outcome' ? `, ${p.status}` : ''}) is its ${p.kind === 'outcome' ? 'outcome' : 'intent'}, signed by ${signer(p.sequence)}; the hash chain under the committed root fixes their order`, payloadLine(d.partner!, d.bundle.partner));
  }
  proven.push(`entr${p ? 'ies' : 'y'} ${[e.sequence, ...(p ? [p.sequence] : [])].join(' and ')}${d.keyChanges.length ? ` and ${d.keyChanges.length} key change(s)` : ''} are in the record of size ${S} whose root ${bytesToHex(f.tx!.payload.root)} the operator committed on Pantheon`);
  proven.push(...commitment.summary.proven);
  const assumed = [
    `that the action waited for its intent: the record proves the intent was sealed, not that the action ran after it`,
    `that the entry's stated time (the writer's clock) is right: only that it existed ${btc ? `before Bitcoin block ${btc.blockHash}` : `by Pantheon block ${f.h!.header.height}`} is proven`,
    `that the record is complete only up to the anchored size ${S}: entries after it are not fixed in time`,
    'that the key changes shown are all those below the entry (one left out can only make a genuine entry fail, never a false one pass)',
    ...commitment.summary.assumed,
  ];
  return { verdict: 'VALID', headline, proven, assumed, bitcoinAssurance: commitment.summary.bitcoinAssurance };
}
