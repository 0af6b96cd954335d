// Wire format of the hello exchanged on every new connection (docs/gossip.md, "Hello"): the
// protocol version, the chain id, and optionally a validator's proof that it runs this peer
// id. Pure: no libp2p, no I/O, so the vectors test it directly.
import { DecodeError, decodeExact, Reader, Writer } from '../../../protocol/encoding.ts';
import { TAGS, assertValidChainId } from '../../../protocol/hash.ts';
import { SIGNATURE_SIZE, sign, verify } from '../../../protocol/keys.ts';

/**
 * The version of everything a node says on the wire: gossip payloads, sync, and the formats
 * they carry (transactions, blocks, votes). Bump it whenever any of them changes; nodes of
 * different versions refuse each other in the hello, with the reason in both logs.
 * Version 2: proposals carry compact blocks (topic proposal/2) and sync has the 'txs' kind.
 * Version 3: transactions are gossiped as lists (topic tx/2).
 */
export const PROTOCOL_VERSION = 3;
/**
 * Stable across protocol versions: the version lives inside the message, so a node of another
 * version still negotiates the stream and hears why it is refused.
 */
export const HELLO_PROTOCOL_ID = '/pantheon/hello/1';
/** u32 version, string(64) chain id, u8 proof kind, u32 index, 3,309-byte signature. */
export const HELLO_BYTES_MAX = 4 + 4 + 64 + 1 + 4 + SIGNATURE_SIZE;

const PROOF_NONE = 0x00;
const PROOF_VALIDATOR = 0x01;

export interface ValidatorProof {
  /** Index of the validator in the genesis validator set. */
  validatorIndex: number;
  /** ML-DSA-65 over signingBytes(validator-peer tag, chainId, peer id bytes). */
  signature: Uint8Array;
}

export interface Hello {
  protocolVersion: number;
  chainId: string;
  validatorProof?: ValidatorProof;
}

export function encodeHello(hello: Hello): Uint8Array {
  const w = new Writer().u32(hello.protocolVersion, 'protocolVersion').string(hello.chainId, 64, 'chainId');
  if (hello.validatorProof === undefined) return w.u8(PROOF_NONE, 'proofKind').finish();
  return w
    .u8(PROOF_VALIDATOR, 'proofKind')
    .u32(hello.validatorProof.validatorIndex, 'validatorIndex')
    .fixed(hello.validatorProof.signature, SIGNATURE_SIZE, 'signature')
    .finish();
}

/**
 * Only the leading u32 is common to every version. A receiver reads it first and, if it is not
 * its own, refuses the peer without parsing the rest (whose layout that version may change).
 */
export function decodeHelloVersion(body: Uint8Array): number {
  if (body.length < 4) throw new DecodeError('protocolVersion', `hello of ${body.length} bytes is too short to hold the protocol version`);
  return new Reader(body).u32('protocolVersion');
}

/** Decodes a hello of PROTOCOL_VERSION; throws DecodeError naming the bad field. */
export function decodeHello(body: Uint8Array): Hello {
  return decodeExact(body, 'hello', (r) => {
    const protocolVersion = r.u32('protocolVersion');
    if (protocolVersion !== PROTOCOL_VERSION) throw new DecodeError('protocolVersion', `${protocolVersion} is not ${PROTOCOL_VERSION}`);
    const chainId = r.string(64, 'chainId');
    try {
      assertValidChainId(chainId);
    } catch (err) {
      throw new DecodeError('chainId', (err as Error).message);
    }
    const kind = r.u8('proofKind');
    if (kind === PROOF_NONE) return { protocolVersion, chainId };
    if (kind !== PROOF_VALIDATOR) throw new DecodeError('proofKind', `${kind} is neither 0 (none) nor 1 (validator)`);
    const validatorIndex = r.u32('validatorIndex');
    const signature = r.fixed(SIGNATURE_SIZE, 'signature');
    return { protocolVersion, chainId, validatorProof: { validatorIndex, signature } };
  });
}

/** The validator's signature binding its genesis key to the libp2p peer id it runs. */
export function signValidatorProof(chainId: string, peerIdBytes: Uint8Array, validatorIndex: number, secretKey: Uint8Array): ValidatorProof {
  return { validatorIndex, signature: sign(TAGS.validatorPeer, chainId, peerIdBytes, secretKey) };
}

/** Returns what is wrong with a proof, or undefined when it proves validatorIndex runs peerIdBytes. */
export function checkValidatorProof(chainId: string, peerIdBytes: Uint8Array, proof: ValidatorProof, validatorPublicKeys: readonly Uint8Array[]): string | undefined {
  const publicKey = validatorPublicKeys[proof.validatorIndex];
  if (publicKey === undefined) return `validator index ${proof.validatorIndex} is not in the genesis set of ${validatorPublicKeys.length}`;
  if (!verify(TAGS.validatorPeer, chainId, peerIdBytes, proof.signature, publicKey)) {
    return `the signature does not verify under validator ${proof.validatorIndex}'s genesis key for this peer id`;
  }
  return undefined;
}
