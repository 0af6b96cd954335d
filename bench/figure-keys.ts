// The figure keys of a results file, shared by bench/run.ts and test/bench-quick.test.ts
// (which must not import run.ts: it runs on import).

/** Every figure key the JSON carries (null when its part did not run). */
export const FIGURE_KEYS = [
  'mldsa65VerifyPerSec', 'mldsa65VerifyPerSecNoble', 'mldsa65SignPerSec', 'sha256MBPerSec', 'sha256MBPerSecNoble', 'sha256SmallHashesPerSec', 'sha256SmallHashesPerSecNoble',
  'commitmentsFinalPerSec', 'limitCommitmentsPerSec', 'throughputRatioToLimit', 'throughputRatioToNobleLimit',
  'latencyP50Ms', 'latencyP99Ms',
  'bundleBytesFinality4', 'bundleBytesAnchored4', 'bundleBytesFinality16', 'bundleBytesAnchored16',
  'verifyMsNode4', 'verifyMsNode16', 'verifyMsChromium4', 'verifyMsChromium16',
  'diskBytesPerCommitment', 'anchorVbytes1', 'anchorVbytes100', 'anchorVbytes10000',
  'profileTop10', 'profileStages', 'idleBytesPerNodePerDay',
] as const;

export const QUICK_FIGURE_KEYS = [
  'mldsa65VerifyPerSec', 'mldsa65VerifyPerSecNoble', 'mldsa65SignPerSec', 'sha256MBPerSec', 'sha256MBPerSecNoble', 'sha256SmallHashesPerSec', 'sha256SmallHashesPerSecNoble',
  'bundleBytesFinality4', 'bundleBytesAnchored4', 'bundleBytesFinality16', 'bundleBytesAnchored16',
  'verifyMsNode4', 'verifyMsNode16', 'diskBytesPerCommitment', 'anchorVbytes1', 'anchorVbytes100', 'anchorVbytes10000',
] as const;

