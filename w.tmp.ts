import { installFastCrypto } from './node/fast-crypto.ts';
import { fastSigner } from './oar/node/signer.ts';
import { auditEntries } from './test/helpers/record-fixture.ts';
import { concatBytes, ZERO_HASH } from './protocol/bytes.ts';
import { encodeRecordHeader } from './oar/record.ts';
import { auditFoundingKey, AUDIT_LOG_ID } from './test/helpers/record-fixture.ts';
import { auditRecord, inlineSignatureChecker } from './light-client/verify-record.ts';
await installFastCrypto();
const sign = await fastSigner();
const parts = [encodeRecordHeader({ chainId: 'pantheon-proof-1', logId: AUDIT_LOG_ID, firstSequence: 0, prevHash: ZERO_HASH, publicKey: auditFoundingKey.publicKey })];
let t = performance.now();
for (const e of auditEntries({ entries: 4000, sign })) parts.push(e.frame);
console.log('gen ms/entry', (performance.now() - t) / 4000);
const rec = concatBytes(...parts); (await import("node:fs")).writeFileSync("/tmp/w4000.oar", rec); process.exit(0);
for (let k = 0; k < 3; k++) {
t = performance.now();
const r = await auditRecord([rec], { genesisHash: '00'.repeat(32), signatures: inlineSignatureChecker(() => true, 'none') });
console.log('walk µs/entry', (1000 * (performance.now() - t)) / 4000, r.ok, r.failure?.detail);
}
