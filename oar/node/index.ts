// `pantheon/oar`: the Open Audit Record (docs/oar.md). The format and verifier (browser-safe,
// also exported alone by oar/browser.ts) and the durable Node-side writer, lock and export.
export * from '../browser.ts';
export { OarWriter, OarInputError, DEFAULT_MAX_PAYLOAD_BYTES, type OarWriterOptions, type Permit, type IntentInput, type OutcomeInput, type Sealed, type RecordHistory } from './writer.ts';
export { Checkpointer, readCheckpointJournal, CHECKPOINT_JOURNAL, type CheckpointChain, type ChainLogPage, type CheckpointRecord, type CheckpointStatus, type CheckpointerOptions, type CheckpointerStatus, type CheckpointEvent } from './checkpointer.ts';
export { acquireLock, LogLockedError, LOCK_FILE, type LogLock } from './lock.ts';
export { exportRecord, type ExportOptions, type ExportResult } from './export.ts';
export { readRecordFile, recoverRecordFile, recordPath, fileChunks, RECORD_FILE, TORN_DIR, type TornTail, type Recovered } from './record-file.ts';
export { fastSigner } from './signer.ts';
export { serveOar, REQUEST_LINE_MAX, type ServeOptions, type OarService } from './serve.ts';
