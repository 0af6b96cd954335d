// The verifier's report: one entry per check, in the order they run. Steps run cheapest
// first and stop at the first failure (as CometBFT's light client does), so a tampered
// bundle costs a few hashes, and the ML-DSA signature checks run only on bundles whose
// every hash already matched.
// Spec: docs/proof.md, "Verification".

export type StepName =
  | 'format'
  | 'genesis'
  | 'header'
  | 'commitment'
  | 'inclusion'
  | 'certificate'
  | 'pantheon-chain'
  | 'bitcoin-network'
  | 'bitcoin-tx'
  | 'bitcoin-merkle'
  | 'bitcoin-headers'
  | 'bitcoin-pin'
  | 'commitment-signature'
  | 'certificate-signatures'
  // An entry bundle's own steps (docs/entry-bundle.md), around its commitment bundle's.
  | 'entry-format'
  | 'checkpoint'
  | 'founding-key'
  | 'key-changes'
  | 'entry-signature'
  | 'entry-payload'
  | 'partner'
  | 'entry-inclusion';

/** What each step checks, in words the CLI and the page both print. */
export const STEP_TITLES: Readonly<Record<StepName, string>> = {
  format: 'Bundle is well-formed (format, version, base64, bounds)',
  genesis: 'Genesis matches the pinned hash (trust root)',
  header: 'Header h decodes, is on this chain, names the genesis validator set',
  commitment: 'Commitment transaction decodes for this chain',
  inclusion: "Commitment is in the commitment log of header h (RFC 6962 path to the header's root and size)",
  certificate: 'Commit certificate is for block h, signers hold > 2/3 of genesis voting power',
  'pantheon-chain': 'Headers h..H link by hash (h precedes the anchored block H)',
  'bitcoin-network': 'Bitcoin network is the one the genesis anchors into; on mainnet, the work floor is set',
  'bitcoin-tx': 'Bitcoin transaction carries this chain, height H and the hash of block H in OP_RETURN',
  'bitcoin-merkle': "Bitcoin transaction is in the block (merkle branch to the header's root)",
  'bitcoin-headers': 'Bitcoin headers link, meet the work floor and their targets, give k confirmations',
  'bitcoin-pin': 'Bitcoin header chain reaches the pinned Bitcoin block',
  'commitment-signature': "Operator's ML-DSA-65 signature on the commitment verifies",
  'certificate-signatures': 'Every precommit signature in the certificate verifies (ML-DSA-65)',
  'entry-format': 'Entry bundle is well-formed; its entries decode and belong to its log',
  checkpoint: 'The verified commitment is of this log at the checkpoint size',
  'founding-key': "The founding key's address is the one in the log id",
  'key-changes': 'Each key change is signed by the key in force before it (ML-DSA-65)',
  'entry-signature': 'The entry is signed by the key in force at its sequence (ML-DSA-65)',
  'entry-payload': 'The disclosed payload and salt hash to the entry\'s payload hash; canonical JSON',
  partner: 'The partner entry is signed and is the intent or outcome this entry names',
  'entry-inclusion': 'Each entry shown is in the committed record root (RFC 6962 paths)',
};

export type StepStatus = 'pass' | 'fail' | 'not-run';

export interface StepResult {
  name: StepName;
  title: string;
  /** True only when the check ran and passed. */
  ok: boolean;
  status: StepStatus;
  detail: string;
}

/** A step's check: returns what it established (the pass detail) or throws why it failed. */
export type Check = () => string;

/**
 * Thrown by a check that cannot conclude because a later step is the cause: the step that
 * throws it is reported as not run, and `step` fails with `detail` when its turn comes (the
 * steps after the thrower do not run). The inclusion step uses it when the operator's
 * signature does not verify either: the signed bytes changed, and that is what to report.
 */
export class BlameStep extends Error {
  constructor(
    readonly step: StepName,
    detail: string,
    readonly own: string,
  ) {
    super(detail);
  }
}

export function runSteps(plan: readonly { name: StepName; check: Check }[]): { steps: StepResult[]; failedStep?: StepName } {
  const steps: StepResult[] = [];
  let failedStep: StepName | undefined;
  let blamed: BlameStep | undefined;
  for (const { name, check } of plan) {
    const title = STEP_TITLES[name];
    if (blamed?.step === name) {
      steps.push({ name, title, ok: false, status: 'fail', detail: blamed.message });
      continue;
    }
    if (failedStep) {
      steps.push({ name, title, ok: false, status: 'not-run', detail: `not checked: step "${failedStep}" failed` });
      continue;
    }
    try {
      steps.push({ name, title, ok: true, status: 'pass', detail: check() });
    } catch (err) {
      if (err instanceof BlameStep) {
        blamed = err;
        failedStep = err.step;
        steps.push({ name, title, ok: false, status: 'not-run', detail: err.own });
        continue;
      }
      failedStep = name;
      steps.push({ name, title, ok: false, status: 'fail', detail: err instanceof Error ? err.message : String(err) });
    }
  }
  return { steps, failedStep };
}

/** Thrown by a check: the message is the step's failure detail. */
export function fail(detail: string): never {
  throw new Error(detail);
}
