// The verify.html user interface: paste or drop proof.json, entry.json or a whole record.oar
// and genesis.json (or type the pinned genesis hash), press Verify, read the verdict at the top
// of the page (failed steps first, marked in words and colour), the Web Crypto cross-check of
// its hashes (hash-cross-check.ts) and the same summary the CLI prints. All work is
// verifyBundleFacts, verifyEntryBundle and auditRecord in this page; the page's CSP forbids any
// request. A record is read from the file in chunks and audited with noble in this thread,
// yielding to the browser every few tens of milliseconds (a message to itself, not a worker:
// the CSP blocks blob workers), so the page keeps drawing its progress bar and never freezes.
// Spec: docs/proof.md, docs/entry-bundle.md, docs/record-audit.md.
import { verifyBundleFacts, type Facts, type VerifyOptions, type VerifyResult } from './verify.ts';
import { verifyEntryBundle } from './verify-entry.ts';
import { isEntryBundle } from './entry-bundle.ts';
import { auditRecord, isRecordBytes, recordReportText, type RecordAuditResult } from './verify-record.ts';
import { RECORD_MAGIC } from '../oar/record.ts';
import { parseCheckpoint, type BitcoinCheckpoint } from '../genesis/genesis.ts';
import { WORK_FLOOR_DIVISOR_MAX } from './bitcoin-assurance.ts';
import { crossCheckHashes, genesisTextToCrossCheck, hashesToCrossCheck, type HashToCrossCheck } from './hash-cross-check.ts';

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`verify.html: element #${id} is missing`);
  return el as T;
};

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}

/** A record dropped or chosen: audited from the file itself when Verify is pressed. */
let recordFile: File | undefined;

/** Reads the form and runs the verifier; returns the result for the page (and tests) to show. */
function runVerification(): { result?: Pick<VerifyResult, 'ok' | 'steps' | 'summary'> & { facts?: Facts }; record?: { file: File; options: VerifyOptions } } {
  const bundleText = byId<HTMLTextAreaElement>('bundle').value.trim();
  const genesisText = byId<HTMLTextAreaElement>('genesis').value.trim();
  const genesisHash = byId<HTMLInputElement>('genesis-hash').value.trim();
  const btcBlock = byId<HTMLInputElement>('btc-block').value.trim();
  const checkpointText = byId<HTMLInputElement>('btc-checkpoint').value.trim();
  const divisorText = byId<HTMLInputElement>('btc-work-divisor').value.trim() || '16';
  const problems: string[] = [];
  let btcCheckpoint: BitcoinCheckpoint | undefined;
  if (checkpointText) {
    const [height, hash, bits, ...rest] = checkpointText.split(':');
    try {
      if (rest.length || !/^(0|[1-9][0-9]*)$/.test(height ?? '')) throw new Error('checkpoint must be HEIGHT:HASH:BITS');
      btcCheckpoint = parseCheckpoint({ height: Number(height), hash: (hash ?? '').toLowerCase(), bits: (bits ?? '').toLowerCase() }, 'checkpoint');
    } catch (err) {
      problems.push((err as Error).message.replace(/^genesis /, ''));
    }
  }
  const minText = byId<HTMLInputElement>('min-confirmations').value.trim() || '6';
  if (!/^(0|[1-9][0-9]{0,3})$/.test(minText)) problems.push('the Bitcoin headers required must be an integer from 0 to 9999');
  if (!/^[1-9][0-9]{0,7}$/.test(divisorText) || Number(divisorText) > WORK_FLOOR_DIVISOR_MAX) problems.push(`the work floor divisor must be an integer from 1 to ${WORK_FLOOR_DIVISOR_MAX}`);
  if (!bundleText && !recordFile) problems.push('paste or drop proof.json or entry.json, or drop a record (.oar)');
  if (!genesisText && !genesisHash) problems.push('paste or drop genesis.json, or type the pinned genesis hash');
  const status = byId('status');
  if (problems.length) {
    status.textContent = `Cannot verify yet: ${problems.join('; ')}.`;
    return {};
  }
  status.textContent = '';
  const options: VerifyOptions = {
    genesis: genesisText || undefined,
    genesisHash: genesisHash || undefined,
    pinnedBtcBlockHash: btcBlock || undefined,
    btcCheckpoint,
    workFloorDivisor: Number(divisorText),
    minBtcConfirmations: Number(minText),
    nowMs: Date.now(),
  };
  if (recordFile) return { record: { file: recordFile, options } };
  return { result: looksLikeEntryBundle(bundleText) ? verifyEntryBundle(bundleText, options) : verifyBundleFacts(bundleText, options) };
}

function looksLikeEntryBundle(text: string): boolean {
  try {
    return isEntryBundle(JSON.parse(text));
  } catch {
    return false;
  }
}

/** The file's bytes, chunk by chunk, never the whole file at once. */
async function* fileChunks(file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** Lets the browser handle input and draw: a message to ourselves is a new task, without setTimeout's 4 ms clamp. */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

async function auditInPage(file: File, options: VerifyOptions): Promise<RecordAuditResult> {
  const progress = byId<HTMLProgressElement>('progress');
  const status = byId('status');
  progress.hidden = false;
  progress.max = file.size;
  progress.value = 0;
  const button = byId<HTMLButtonElement>('verify');
  button.disabled = true;
  try {
    return await auditRecord(fileChunks(file), {
      ...options,
      totalBytes: file.size,
      progressEvery: 50,
      onProgress: (p) => {
        progress.value = p.bytes;
        status.textContent = `Auditing ${file.name}: ${p.entries.toLocaleString('en-US')} entries, ${((100 * p.bytes) / Math.max(file.size, 1)).toFixed(0)} %…`;
      },
      yieldNow: yieldToBrowser,
      yieldEveryMs: 30,
    });
  } finally {
    button.disabled = false;
  }
}

/** Words beside the colour, so a verdict reads the same without colour. */
const MARKS = { pass: 'passed', fail: 'FAILED', 'not-run': 'not run' } as const;

/** The verdict block is at the top of the page; bring it into view after Verify (pressed below it). */
function showVerdict(): void {
  byId('verdict').scrollIntoView({ block: 'start' });
}

/** Recomputes the verdict's hashes with the browser's SHA-256 and says whether they agree. */
async function showCrossCheck(items: HashToCrossCheck[]): Promise<void> {
  const line = byId('webcrypto');
  const check = await crossCheckHashes(items);
  line.textContent = check.text;
  line.dataset.agree = String(check.ok);
  line.dataset.checked = String(check.checked);
  if (!check.ok) byId('headline').className = 'invalid';
}

function showRecord(r: RecordAuditResult, genesisText: string | undefined): void {
  byId('steps').replaceChildren();
  const headline = byId('headline');
  headline.textContent = r.summary.headline;
  const regtest = r.ok && r.checkpoints.some((c) => c.bitcoinNetwork && c.bitcoinNetwork !== 'mainnet');
  headline.className = !r.ok ? 'invalid' : regtest || r.anchoredCheckpoints === 0 ? 'caution' : 'valid';
  headline.dataset.verdict = r.summary.verdict;
  headline.dataset.failedStep = r.failure?.step ?? '';
  headline.dataset.failedSequence = r.failure?.sequence === undefined ? '' : String(r.failure.sequence);
  headline.dataset.bitcoinAssurance = '';
  byId('network').textContent = '';
  byId('summary').replaceChildren();
  byId('record-report').textContent = recordReportText(r);
  byId('status').textContent = `Audited ${r.entries.toLocaleString('en-US')} entries of ${r.bytes.toLocaleString('en-US')} bytes.`;
  showVerdict();
  void showCrossCheck(genesisTextToCrossCheck(genesisText));
}

function show(result: Pick<VerifyResult, 'ok' | 'steps' | 'summary'> & { facts?: Facts }): void {
  byId('record-report').textContent = '';
  byId('headline').dataset.failedStep = '';
  byId('headline').dataset.failedSequence = '';
  // Failed steps first, then the rest in the order they ran.
  const ordered = [...result.steps.filter((s) => s.status === 'fail'), ...result.steps.filter((s) => s.status !== 'fail')];
  byId('steps').replaceChildren(
    ...ordered.map((s) => {
      const li = document.createElement('li');
      li.className = `step ${s.status}`;
      li.dataset.step = s.name;
      li.dataset.status = s.status;
      li.append(text('span', MARKS[s.status], 'mark'), text('strong', ` ${s.name}: `), text('span', s.title), text('div', s.detail, 'detail'));
      return li;
    }),
  );
  const headline = byId('headline');
  headline.textContent = result.summary.headline;
  const assurance = result.summary.bitcoinAssurance;
  const caution = assurance?.level === 'no-real-work' || assurance?.level === 'test-network';
  headline.className = !result.ok ? 'invalid' : caution ? 'caution' : 'valid';
  headline.dataset.verdict = result.summary.verdict;
  headline.dataset.bitcoinAssurance = assurance?.level ?? '';
  byId('network').textContent = assurance
    ? `The pinned genesis anchors this chain into Bitcoin ${assurance.network}.${assurance.costToForge ? ` Cost to forge the Bitcoin headers: ${assurance.costToForge}.` : ''}`
    : '';
  const list = (title: string, items: string[]) => (items.length ? [text('h3', title), (() => {
    const ul = document.createElement('ul');
    ul.append(...items.map((i) => text('li', i)));
    return ul;
  })()] : []);
  byId('summary').replaceChildren(...list('Proven', result.summary.proven), ...list('Assumed', result.summary.assumed));
  showVerdict();
  void showCrossCheck(result.facts ? hashesToCrossCheck(result.facts) : []);
}

async function verifyRecord(file: File, options: VerifyOptions): Promise<void> {
  try {
    showRecord(await auditInPage(file, options), options.genesis as string | undefined);
  } catch (err) {
    byId('status').textContent = `The audit stopped: ${(err as Error).message}`;
  }
}

/** A dropped or chosen record is kept as a file; a genesis goes to the genesis box; anything else to the bundle box. */
async function takeFiles(files: FileList | null): Promise<void> {
  for (const file of Array.from(files ?? [])) {
    const head = new Uint8Array(await file.slice(0, RECORD_MAGIC.length).arrayBuffer());
    if (isRecordBytes(head)) {
      recordFile = file;
      byId('record').textContent = `Record: ${file.name}, ${file.size.toLocaleString('en-US')} bytes. Verify audits it whole (drop a bundle to verify that instead).`;
      byId<HTMLTextAreaElement>('bundle').value = '';
      continue;
    }
    const content = await file.text();
    let isGenesis = false;
    try {
      const json = JSON.parse(content);
      isGenesis = typeof json === 'object' && json !== null && 'validators' in json && 'allocations' in json && !('format' in json);
    } catch {
      // not JSON: leave it to the verifier to say so, in the bundle box
    }
    byId<HTMLTextAreaElement>(isGenesis ? 'genesis' : 'bundle').value = content;
    if (!isGenesis) forgetRecord();
  }
}

function forgetRecord(): void {
  recordFile = undefined;
  byId('record').textContent = '';
}

function main(): void {
  byId('verify').addEventListener('click', () => {
    const { result, record } = runVerification();
    byId('webcrypto').textContent = '';
    if (result) show(result);
    if (record) void verifyRecord(record.file, record.options);
  });
  // Typing or pasting a bundle means the bundle is what to verify now.
  byId('bundle').addEventListener('input', forgetRecord);
  byId<HTMLInputElement>('files').addEventListener('change', (e) => void takeFiles((e.target as HTMLInputElement).files));
  const zone = document.body;
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    void takeFiles(e.dataTransfer?.files ?? null);
  });
  byId('status').textContent = 'Ready. This page works offline and cannot make network requests (see its Content-Security-Policy).';
}

main();
