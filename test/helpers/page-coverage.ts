// V8 function coverage of verify.html's script, attributed to the modules it was built from.
// esbuild marks where each module starts in the (unminified) bundle with a "// path" line at
// column 0 (the page's script is a module, not wrapped in a function); a
// function belongs to the module whose marker precedes it. Used by test/verify-html.test.ts to
// hold the page to "every function of ours runs" (issue 26).

export interface V8FunctionCoverage {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}

export interface ModuleCoverage {
  module: string;
  functions: number;
  uncovered: string[];
}

const MARKER = /^\/\/ ((?:[\w@.-]+\/)*[\w.-]+\.(?:ts|js))$/gm;

/** Per module: how many functions the script has and which never ran (name and line in the script). */
export function coverageByModule(source: string, functions: readonly V8FunctionCoverage[]): ModuleCoverage[] {
  const starts = [...source.matchAll(MARKER)].map((m) => ({ at: m.index!, module: m[1].replace(/^.*node_modules\//, '') }));
  const moduleAt = (offset: number) => {
    let found: string | undefined;
    for (const s of starts) {
      if (s.at > offset) break;
      found = s.module;
    }
    return found;
  };
  const lineAt = (offset: number) => source.slice(0, offset).split('\n').length;
  const byModule = new Map<string, ModuleCoverage>();
  // A function's first range is the function itself; the rest are blocks inside it.
  for (const f of functions) {
    const whole = f.ranges[0];
    const module = moduleAt(whole.startOffset);
    if (!module) continue; // the bundle's own wrapper
    const m = byModule.get(module) ?? { module, functions: 0, uncovered: [] };
    byModule.set(module, m);
    m.functions++;
    if (whole.count === 0) m.uncovered.push(`${f.functionName || '(anonymous)'} at script line ${lineAt(whole.startOffset)}`);
  }
  return [...byModule.values()];
}

export const isOurs = (module: string) => !module.startsWith('@');
