// The verify.html user interface: paste or drop proof.json and genesis.json (or type the
// pinned genesis hash), press Verify, read each step in green or red and the same summary the
// CLI prints. All work is verifyBundle in this page; the page's CSP forbids any request.
import { verifyBundle, type VerifyResult } from './verify.ts';
import { parseCheckpoint, type BitcoinCheckpoint } from '../genesis/genesis.ts';
import { WORK_FLOOR_DIVISOR_MAX } from './bitcoin-assurance.ts';

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

/** Reads the form and runs the verifier; returns the result for the page (and tests) to show. */
function runVerification(): VerifyResult | undefined {
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
  if (!/^[1-9][0-9]{0,7}$/.test(divisorText) || Number(divisorText) > WORK_FLOOR_DIVISOR_MAX) problems.push(`the work floor divisor must be an integer from 1 to ${WORK_FLOOR_DIVISOR_MAX}`);
  if (!bundleText) problems.push('paste or drop proof.json');
  if (!genesisText && !genesisHash) problems.push('paste or drop genesis.json, or type the pinned genesis hash');
  const status = byId('status');
  if (problems.length) {
    status.textContent = `Cannot verify yet: ${problems.join('; ')}.`;
    return undefined;
  }
  status.textContent = '';
  return verifyBundle(bundleText, {
    genesis: genesisText || undefined,
    genesisHash: genesisHash || undefined,
    pinnedBtcBlockHash: btcBlock || undefined,
    btcCheckpoint,
    workFloorDivisor: Number(divisorText),
    nowMs: Date.now(),
  });
}

function show(result: VerifyResult): void {
  const steps = byId('steps');
  steps.replaceChildren(
    ...result.steps.map((s) => {
      const li = document.createElement('li');
      li.className = `step ${s.status}`;
      li.dataset.step = s.name;
      li.dataset.status = s.status;
      li.append(text('span', s.status === 'pass' ? 'pass' : s.status === 'fail' ? 'FAIL' : 'not run', 'mark'), text('strong', ` ${s.name}: `), text('span', s.title), text('div', s.detail, 'detail'));
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
}

/** A dropped or chosen file goes to the genesis box if it looks like a genesis, else to the bundle box. */
async function takeFiles(files: FileList | null): Promise<void> {
  for (const file of Array.from(files ?? [])) {
    const content = await file.text();
    let isGenesis = false;
    try {
      const json = JSON.parse(content);
      isGenesis = typeof json === 'object' && json !== null && 'validators' in json && 'allocations' in json && !('format' in json);
    } catch {
      // not JSON: leave it to the verifier to say so, in the bundle box
    }
    byId<HTMLTextAreaElement>(isGenesis ? 'genesis' : 'bundle').value = content;
  }
}

function main(): void {
  byId('verify').addEventListener('click', () => {
    const result = runVerification();
    if (result) show(result);
  });
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
