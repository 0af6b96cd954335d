// Builds light-client/dist/verify.html: page.ts and everything it imports (the verifier,
// protocol/, @noble) bundled by esbuild into one readable, unminified script, inlined with the
// CSS into one file. Its Content-Security-Policy forbids every request, so the page can only
// compute. Run: node --import tsx light-client/build-html.ts
import { build } from 'esbuild';
import { writeFileAtomic } from '../node/files.ts';

const HERE = import.meta.dirname;
export const VERIFY_HTML_PATH = `${HERE}/dist/verify.html`;
export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";

const CSS = `
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 70rem; margin: 1.5rem auto; padding: 0 1rem; color: #1b1b1b; }
  body.dragging { outline: 3px dashed #2a6; outline-offset: -8px; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  textarea { width: 100%; height: 7rem; font: 12px/1.3 ui-monospace, monospace; }
  input[type=text] { width: 100%; font: 13px ui-monospace, monospace; }
  label { display: block; margin-top: .8rem; font-weight: 600; }
  button { margin-top: 1rem; font-size: 1rem; padding: .4rem 1.4rem; }
  #status { color: #555; margin-top: .5rem; }
  ol#steps { padding-left: 0; list-style: none; }
  .step { padding: .35rem .6rem; margin: .25rem 0; border-radius: 4px; }
  .step.pass { background: #e3f6e5; border-left: 6px solid #1f8a36; }
  .step.fail { background: #fde4e1; border-left: 6px solid #c62814; }
  .step.not-run { background: #f0f0f0; border-left: 6px solid #999; color: #666; }
  .mark { font-weight: 700; font-family: ui-monospace, monospace; }
  .detail { font: 12px/1.35 ui-monospace, monospace; word-break: break-all; margin-top: .15rem; }
  #headline { font-weight: 700; font-size: 1.1rem; padding: .5rem .7rem; border-radius: 4px; }
  #headline.valid { background: #1f8a36; color: white; }
  #headline.invalid { background: #c62814; color: white; }
  /* VALID, but the Bitcoin part carries no real work (regtest) or no value at stake (testnet). */
  #headline.caution { background: #f2a900; color: #1a1a1a; }
  #network { font-weight: 600; }
  #summary li { word-break: break-all; }
  #record { margin-top: .4rem; font-weight: 600; }
  progress { width: 100%; margin-top: .5rem; }
  #record-report { font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
`;

const BODY = `
<h1>Pantheon proof verifier</h1>
<p>Checks offline a proof bundle (the operator's commitment, its inclusion in the commitment log, the block's finality by the genesis validators, the Bitcoin anchor), an entry bundle (one audit-record entry down to that anchor) or a whole audit record (every entry, link and signature, and each anchored checkpoint it stores). Nothing leaves this page.</p>
<label for="files">Open or drop proof.json, entry.json or a record (.oar), and genesis.json</label>
<input id="files" type="file" multiple accept=".json,.oar,application/json,application/octet-stream">
<div id="record"></div>
<label for="bundle">Proof bundle or entry bundle (proof.json, entry.json)</label>
<textarea id="bundle" spellcheck="false" placeholder="paste proof.json or entry.json here"></textarea>
<label for="genesis">Genesis file you trust (genesis.json)</label>
<textarea id="genesis" spellcheck="false" placeholder="paste genesis.json here, or type the pinned hash below"></textarea>
<label for="genesis-hash">or the genesis hash you pinned (hex)</label>
<input id="genesis-hash" type="text" spellcheck="false" autocomplete="off">
<label for="btc-block">Optional: a Bitcoin block hash you trust</label>
<input id="btc-block" type="text" spellcheck="false" autocomplete="off">
<label for="btc-checkpoint">Optional, mainnet: a checkpoint you trust instead of the genesis's, HEIGHT:HASH:BITS</label>
<input id="btc-checkpoint" type="text" spellcheck="false" autocomplete="off">
<label for="btc-work-divisor">Work floor: checkpoint difficulty divided by</label>
<input id="btc-work-divisor" type="text" spellcheck="false" autocomplete="off" value="16">
<label for="min-confirmations">Bitcoin headers required from the anchoring block on</label>
<input id="min-confirmations" type="text" spellcheck="false" autocomplete="off" value="6">
<button id="verify" type="button">Verify</button>
<div id="status"></div>
<progress id="progress" hidden></progress>
<ol id="steps"></ol>
<div id="headline"></div>
<div id="network"></div>
<div id="summary"></div>
<pre id="record-report"></pre>
`;

export async function buildVerifyHtml(): Promise<{ path: string; bytes: number; html: string }> {
  const result = await build({
    entryPoints: [`${HERE}/page.ts`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    write: false,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0].text.replace(/<\/script/gi, '<\\/script'); // cannot close the tag early
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pantheon proof verifier</title>
<style>${CSS}</style>
</head>
<body>
${BODY}
<script>
${script}
</script>
</body>
</html>
`;
  writeFileAtomic(VERIFY_HTML_PATH, html);
  return { path: VERIFY_HTML_PATH, bytes: new TextEncoder().encode(html).length, html };
}

if (process.argv[1] === import.meta.filename) {
  const { path, bytes } = await buildVerifyHtml();
  console.log(`wrote ${path} (${bytes} bytes, ${(bytes / 1024).toFixed(0)} KiB)`);
}
