// The browser-safe part of `pantheon/oar`: the entry and record formats, hashing, signature
// checks and the record verifier. No Node imports, no network (test/imports.test.ts checks):
// this is what verify.html bundles.
export * from './entry.ts';
export * from './jcs.ts';
export * from './record.ts';
export * from './verify.ts';
