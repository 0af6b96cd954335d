// The Web Crypto cross-check (issue 26): the genesis hash, the Pantheon header hashes and the
// Bitcoin header hashes the verifier computed with noble's SHA-256 are computed again with the
// SHA-256 the browser ships (crypto.subtle.digest), from the same bytes, and compared. A page
// whose bundled SHA-256 were wrong, or changed, would disagree with the browser's own. Tags and
// prefixes as in docs/tags.md; Bitcoin's double SHA-256 as in docs/anchor.md.
import { domainPrefix, TAGS } from '../protocol/hash.ts';
import { concatBytes, equalBytes } from '../protocol/bytes.ts';
import { encodeGenesis, genesisHash, parseGenesis, type Genesis } from '../genesis/genesis.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';
import type { Facts } from './verify.ts';

/** One hash to recompute: the exact bytes hashed and the value the verifier got from noble. */
export interface HashToCrossCheck {
  what: string;
  input: Uint8Array;
  /** Bitcoin hashes are SHA-256 twice. */
  double: boolean;
  noble: Uint8Array;
}

export interface CrossCheck {
  ok: boolean;
  /** How many hashes were recomputed. */
  checked: number;
  /** One line for the verdict. */
  text: string;
}

export function genesisToCrossCheck(genesis: Genesis, hash: Uint8Array): HashToCrossCheck {
  return { what: 'genesis hash', input: concatBytes(domainPrefix(TAGS.genesis, genesis.chainId), encodeGenesis(genesis)), double: false, noble: hash };
}

/** A record audit's trust root: the genesis file the auditor supplied, if it parses (the audit says so if not). */
export function genesisTextToCrossCheck(text: string | undefined): HashToCrossCheck[] {
  if (!text) return [];
  try {
    const genesis = parseGenesis(parseStrictJson(text, 'genesis'));
    return [genesisToCrossCheck(genesis, genesisHash(genesis))];
  } catch {
    return [];
  }
}

/** The hashes a proof bundle's verification established, as far as its steps got. */
export function hashesToCrossCheck(facts: Facts): HashToCrossCheck[] {
  const out: HashToCrossCheck[] = [];
  const { bundle, trust } = facts;
  if (!bundle || !trust) return out;
  out.push(genesisToCrossCheck(trust.genesis, trust.genesisHash));
  const header = (what: string, bytes: Uint8Array, hash: Uint8Array) => ({ what, input: concatBytes(domainPrefix(TAGS.blockHeader, trust.genesis.chainId), bytes), double: false, noble: hash });
  if (facts.h) out.push(header('header h', bundle.block.header, facts.h.hash));
  const H = bundle.anchor?.pantheonHeaders.at(-1);
  if (facts.anchored && H) out.push(header('header H', H, facts.anchored.hash));
  const btc = facts.btc?.headers;
  if (btc && bundle.anchor) {
    btc.headers.forEach((h, i) => out.push({ what: `Bitcoin header ${i}`, input: bundle.anchor!.bitcoin.headers[i], double: true, noble: h.hash }));
  }
  return out;
}

/** Recomputes every hash with `subtle` (the browser's crypto.subtle by default) and compares. */
export async function crossCheckHashes(items: readonly HashToCrossCheck[], subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<CrossCheck> {
  const sha256 = async (bytes: Uint8Array) => new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const differ: string[] = [];
  for (const item of items) {
    const once = await sha256(item.input);
    const digest = item.double ? await sha256(once) : once;
    if (!equalBytes(digest, item.noble)) differ.push(item.what);
  }
  const pantheon = items.filter((i) => !i.double && i.what !== 'genesis hash').length;
  const bitcoin = items.filter((i) => i.double).length;
  const what = [items.some((i) => i.what === 'genesis hash') ? 'the genesis hash' : '', pantheon ? `${pantheon} Pantheon header hash${pantheon === 1 ? '' : 'es'}` : '', bitcoin ? `${bitcoin} Bitcoin header hash${bitcoin === 1 ? '' : 'es'}` : '']
    .filter(Boolean)
    .join(', ');
  if (items.length === 0) return { ok: true, checked: 0, text: 'Web Crypto cross-check: no hash to recompute (the verification stopped before the genesis was established).' };
  if (differ.length) return { ok: false, checked: items.length, text: `Web Crypto cross-check FAILED: crypto.subtle.digest (this browser's SHA-256) disagrees with the verifier's SHA-256 on ${differ.join(', ')}. Do not trust this page's verdict.` };
  return { ok: true, checked: items.length, text: `Web Crypto cross-check: crypto.subtle.digest (this browser's own SHA-256) recomputed ${what}; all ${items.length} agree with the verifier's.` };
}
