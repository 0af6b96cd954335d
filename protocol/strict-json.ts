// One reading of every JSON file (docs/encoding.md, "JSON files"): RFC 8259 text in which no
// object names a member twice. JSON.parse keeps the last of two equal names, another parser may
// keep the first or refuse, so a bundle or genesis with a duplicate could say one thing to one
// verifier and another to the next. Browser-safe.
//
// The scan below only checks the grammar and the names; the value returned is JSON.parse's, so
// nothing else about how the text is read changes. Names are compared after unescaping
// ("a" and "\u0061" are the same name), as RFC 8259 section 8.3 compares them.

/** Deeper nesting than any Pantheon file has; bounds the scanner's stack. */
export const JSON_DEPTH_MAX = 64;

/** The text is not one reading of JSON; `detail` says why without the file's name. */
export class JsonTextError extends Error {
  constructor(
    what: string,
    readonly detail: string,
  ) {
    super(`${what}: ${detail}`);
    this.name = 'JsonTextError';
  }
}

interface Frame {
  kind: 'object' | 'array';
  names: Set<string>;
  path: string;
  /** Objects: the member name being read; arrays: the index of the next element. */
  key: string | number;
}

function pathOf(frame: Frame | undefined): string {
  return frame === undefined ? '(top level)' : frame.path || '(top level)';
}

function childPath(frame: Frame): string {
  if (frame.kind === 'array') return `${frame.path}[${frame.key}]`;
  const name = frame.key as string;
  const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
  return plain ? (frame.path ? `${frame.path}.${name}` : name) : `${frame.path}[${JSON.stringify(name)}]`;
}

/**
 * Parses `text` as JSON, refusing what JSON.parse refuses and, in addition, any object with two
 * members of the same name. `what` names the file in the message ("proof bundle", "genesis").
 */
export function parseStrictJson(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new JsonTextError(what, `expected JSON text, got ${typeof text}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JsonTextError(what, `not valid JSON (${(err as Error).message})`);
  }
  assertNoDuplicateNames(text, what);
  return value;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Scans text that JSON.parse accepted; throws at the first duplicate member name. */
export function assertNoDuplicateNames(text: string, what: string): void {
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const readString = (): string => {
    const start = i; // at the opening quote
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i += 2;
      else if (c === 0x22) break;
      else i++;
    }
    i++; // the closing quote
    return JSON.parse(text.slice(start, i)) as string;
  };
  // After a value: step past a comma or the closers, updating the frames.
  const afterValue = () => {
    for (;;) {
      skipWs();
      const top = stack[stack.length - 1];
      if (top === undefined) return;
      const c = text[i];
      if (c === ',') {
        i++;
        if (top.kind === 'array') top.key = (top.key as number) + 1;
        else readName(top);
        return;
      }
      // '}' or ']': the container ends, and is itself a value of its parent.
      i++;
      stack.pop();
    }
  };
  const readName = (frame: Frame) => {
    skipWs();
    const name = readString();
    if (frame.names.has(name)) {
      throw new JsonTextError(what, `duplicate member ${JSON.stringify(name)} in the object at ${pathOf(frame)}: a member may appear only once, so that every reader reads the file the same way`);
    }
    frame.names.add(name);
    frame.key = name;
    skipWs();
    i++; // ':'
  };
  for (;;) {
    skipWs();
    if (i >= n) return;
    const c = text[i];
    const parent = stack[stack.length - 1];
    if (c === '{' || c === '[') {
      if (stack.length >= JSON_DEPTH_MAX) throw new JsonTextError(what, `nested deeper than ${JSON_DEPTH_MAX} levels`);
      i++;
      const frame: Frame = { kind: c === '{' ? 'object' : 'array', names: new Set(), path: parent ? childPath(parent) : '', key: 0 };
      stack.push(frame);
      skipWs();
      if (text[i] === '}' || text[i] === ']') {
        i++;
        stack.pop();
        afterValue();
      } else if (frame.kind === 'object') {
        readName(frame);
      }
      continue;
    }
    // A scalar: a string, or a run of number / literal characters.
    if (c === '"') readString();
    else while (i < n && /[-+0-9.eEtruefalsn]/.test(text[i])) i++;
    afterValue();
    if (stack.length === 0) return;
  }
}
