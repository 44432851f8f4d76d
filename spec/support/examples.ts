/**
 * The machinery of spec/examples.spec.ts (which states the conventions):
 * reading the public API and its TSDoc out of lib/ with the TypeScript
 * compiler API, parsing `// value` comments, and running `@example` code.
 */
import * as path from 'node:path';
import * as ts from 'typescript';

// ---------------------------------------------------------------------------
// The public API and its TSDoc
// ---------------------------------------------------------------------------

/** One documented thing of the public API. */
export interface DocItem {
  /** As the docs name it: `tensor`, `Tensor.add`, `GradientTape.constructor`, `(package)`. */
  readonly name: string;
  /** An exported value (function, class, const), an exported type, a class member, or the package doc. */
  readonly kind: 'value' | 'type' | 'member' | 'package';
  /** Whether it has a TSDoc comment with a summary or tags. */
  readonly documented: boolean;
  /** The text of each `@example` tag. */
  readonly examples: readonly string[];
  /** `file:line` of the declaration, for messages. */
  readonly location: string;
}

/**
 * Compiler options for the library and its examples: the project's, with
 * 'tapegrad' resolving to `entry` (an example imports the package by name).
 */
function compilerOptions(entry: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: [],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    paths: { tapegrad: [path.resolve(entry)] },
  };
}

/** The whole public API as TypeDoc sees it: the exports of `entry` and the public members of exported classes. */
export function publicApi(entry: string): DocItem[] {
  const root = path.dirname(path.dirname(path.resolve(entry)));
  const program = ts.createProgram([entry], compilerOptions(entry));
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!source || !moduleSymbol) throw new Error(`examples: cannot read the module ${entry}`);
  const where = (node: ts.Node) => {
    const file = node.getSourceFile();
    const { line } = file.getLineAndCharacterOfPosition(node.getStart());
    return `${path.relative(root, file.fileName)}:${line + 1}`;
  };

  const items: DocItem[] = [];
  const packageDoc = packageComment(source);
  if (packageDoc) {
    items.push({ name: '(package)', kind: 'package', documented: true, examples: packageDoc, location: where(source) });
  }
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.declarations ?? [];
    const isValue = (symbol.flags & ts.SymbolFlags.Value) !== 0;
    // A namespace export (`export * as losses from ...`) is documented by its file's
    // `@packageDocumentation` comment, and its exports are documented as its members.
    const namespaceFile = declarations.find(ts.isSourceFile);
    const namespaceDoc = namespaceFile && packageComment(namespaceFile);
    items.push({
      name: exported.name,
      kind: isValue ? 'value' : 'type',
      documented: namespaceFile ? namespaceDoc !== undefined : declarations.some(hasDoc),
      examples: namespaceFile ? (namespaceDoc ?? []) : examplesOf(declarations),
      location: declarations[0] ? where(declarations[0]) : '?',
    });
    if (namespaceFile)
      items.push(...namespaceMembersOf(exported.name, checker.getExportsOfModule(symbol), where, checker));
    for (const declaration of declarations) {
      if (ts.isClassDeclaration(declaration)) items.push(...membersOf(exported.name, declaration, where));
    }
    if (declarations.some(ts.isClassDeclaration)) {
      items.push(...mergedMembersOf(exported.name, declarations, checker, moduleSymbol, where));
    }
  }
  return items;
}

/**
 * The members a class gets from interfaces merged into it (as the op
 * families declare Tensor's methods), with those interfaces' bases. A member
 * whose TSDoc is `{@inheritDoc name}` takes the docs of the export `name`.
 */
function mergedMembersOf(
  className: string,
  declarations: readonly ts.Declaration[],
  checker: ts.TypeChecker,
  moduleSymbol: ts.Symbol,
  where: (node: ts.Node) => string,
): DocItem[] {
  const interfaces: ts.InterfaceDeclaration[] = [];
  const visit = (declaration: ts.InterfaceDeclaration) => {
    if (interfaces.includes(declaration)) return;
    interfaces.push(declaration);
    for (const clause of declaration.heritageClauses ?? []) {
      for (const base of clause.types) {
        const symbol = checker.getSymbolAtLocation(base.expression);
        const target = symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        (target?.declarations ?? []).filter(ts.isInterfaceDeclaration).forEach(visit);
      }
    }
  };
  declarations.filter(ts.isInterfaceDeclaration).forEach(visit);
  const exports = new Map(checker.getExportsOfModule(moduleSymbol).map((e) => [e.name, e]));
  const docsOf = (member: ts.TypeElement): { documented: boolean; examples: string[] } => {
    const text = ts
      .getJSDocCommentsAndTags(member)
      .filter(ts.isJSDoc)
      .map((doc) => ts.getTextOfJSDocComment(doc.comment)?.trim() ?? '')
      .join('');
    const inherited = /^\{@inheritDoc (\w+)\}$/.exec(text)?.[1];
    const source = inherited === undefined ? undefined : exports.get(inherited);
    if (source === undefined) return { documented: hasDoc(member), examples: examplesOf([member]) };
    const symbol = source.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(source) : source;
    const targets = symbol.declarations ?? [];
    return { documented: targets.some(hasDoc), examples: examplesOf(targets) };
  };
  return interfaces.flatMap((declaration) =>
    declaration.members.flatMap((member) => {
      if (!member.name || ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal')) return [];
      return [
        {
          name: `${className}.${member.name.getText()}`,
          kind: 'member' as const,
          ...docsOf(member),
          location: where(member),
        },
      ];
    }),
  );
}

/** The exports of a namespace export, as members named `namespace.name`. */
function namespaceMembersOf(
  namespace: string,
  exports: readonly ts.Symbol[],
  where: (node: ts.Node) => string,
  checker: ts.TypeChecker,
): DocItem[] {
  return exports.flatMap((exported) => {
    // A re-export (`export { x } from ...`) is documented where `x` is declared.
    const member = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = member.declarations ?? [];
    const name = `${namespace}.${exported.name}`;
    // A namespace inside a namespace (`export * as schedules from ...`) is documented by its file.
    const file = declarations.find(ts.isSourceFile);
    if (file !== undefined) {
      const doc = packageComment(file);
      return [
        { name, kind: 'member' as const, documented: doc !== undefined, examples: doc ?? [], location: where(file) },
        ...namespaceMembersOf(name, checker.getExportsOfModule(member), where, checker),
      ];
    }
    return [
      {
        name,
        kind: 'member' as const,
        documented: declarations.some(hasDoc),
        examples: examplesOf(declarations),
        location: declarations[0] ? where(declarations[0]) : '?',
      },
    ];
  });
}

/** The public, non-internal members of a class, one item per name (overloads and accessor pairs merged). */
function membersOf(className: string, declaration: ts.ClassDeclaration, where: (node: ts.Node) => string): DocItem[] {
  const byName = new Map<string, ts.ClassElement[]>();
  for (const member of declaration.members) {
    if (ts.isSemicolonClassElement(member) || ts.isClassStaticBlockDeclaration(member)) continue;
    if (ts.isIndexSignatureDeclaration(member)) continue;
    if (member.name && ts.isPrivateIdentifier(member.name)) continue;
    if (
      ts.getCombinedModifierFlags(member as ts.Declaration) &
      (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
    ) {
      continue;
    }
    const name = ts.isConstructorDeclaration(member) ? 'constructor' : (member.name?.getText() ?? '?');
    byName.set(name, [...(byName.get(name) ?? []), member]);
  }
  const items: DocItem[] = [];
  for (const [name, members] of byName) {
    if (members.some((m) => ts.getJSDocTags(m).some((tag) => tag.tagName.text === 'internal'))) continue;
    items.push({
      name: `${className}.${name}`,
      kind: 'member',
      documented: members.some(hasDoc),
      examples: examplesOf(members),
      location: where(members[0]!),
    });
  }
  return items;
}

function hasDoc(node: ts.Node): boolean {
  return ts
    .getJSDocCommentsAndTags(node)
    .some((doc) => ts.isJSDoc(doc) && (Boolean(ts.getTextOfJSDocComment(doc.comment)?.trim()) || Boolean(doc.tags)));
}

function examplesOf(nodes: readonly ts.Node[]): string[] {
  const texts = nodes.flatMap((node) =>
    ts
      .getJSDocTags(node)
      .filter((tag) => tag.tagName.text === 'example')
      .map((tag) => ts.getTextOfJSDocComment(tag.comment) ?? ''),
  );
  return [...new Set(texts)];
}

/** The `@example` texts of the file's `@packageDocumentation` comment, if it has one. */
function packageComment(source: ts.SourceFile): string[] | undefined {
  const text = source.getFullText();
  for (const range of ts.getLeadingCommentRanges(text, 0) ?? []) {
    const comment = text.slice(range.pos, range.end);
    if (!comment.startsWith('/**') || !comment.includes('@packageDocumentation')) continue;
    const holder = ts.createSourceFile('package.ts', `${comment}\nlet _holder: number;`, ts.ScriptTarget.ES2022, true);
    return examplesOf(holder.statements.slice(0, 1));
  }
  return undefined;
}

/** The code of each ```ts fenced block in an `@example` text. */
export function codeBlocks(example: string): string[] {
  return [...example.matchAll(/^[ \t]*```(?:ts|typescript)[ \t]*\n([\s\S]*?)^[ \t]*```/gm)].map((m) => m[1]!);
}

// ---------------------------------------------------------------------------
// `// value` comments
// ---------------------------------------------------------------------------

/** A plain value as a value comment writes it, and as a checked value is compared. */
export type Plain = number | string | boolean | null | undefined | readonly Plain[];

/** What a value comment claims. */
export interface Claim {
  readonly value: Plain;
  /** Written `~value`: equal within a relative 1e-4 (plus 1e-6), not exactly. */
  readonly approx: boolean;
  /** Written `value (bool)` (or int32, float32, float64): the value is a tensor of this dtype. */
  readonly dtype?: string;
  /** Written `Float32Array [1, 2]`: the value is a typed array of this kind. */
  readonly typedArray?: string;
}

/** Whether a comment starts the way a value does, so it must parse as one. */
export function looksLikeClaim(comment: string): boolean {
  return /^(~|-?\d|-?\.\d|\[|'|"|(true|false|undefined|null|NaN|-?Infinity)\b|(Float32|Float64|Int32|Uint8)Array\b)/.test(
    comment,
  );
}

/**
 * Parses `value`, `~value`, `value (dtype)`, `TypedArrayName [..]`, each
 * optionally followed by `: free text`. Anything else is not a claim.
 */
export function parseClaim(comment: string): Claim | undefined {
  let text = comment.trim();
  let typedArray: string | undefined;
  const prefix = /^(Float32Array|Float64Array|Int32Array|Uint8Array)\s+/.exec(text);
  if (prefix) {
    typedArray = prefix[1]!;
    text = text.slice(prefix[0].length);
  }
  const approx = text.startsWith('~');
  if (approx) text = text.slice(1);
  const reader = { text, at: 0 };
  let value: Plain;
  try {
    value = readValue(reader);
  } catch {
    return undefined;
  }
  const rest = /^\s*(?:\((bool|int32|float32|float64)\))?\s*(?::.*)?$/.exec(text.slice(reader.at));
  if (!rest) return undefined;
  if (typedArray !== undefined && !Array.isArray(value)) return undefined;
  return {
    value,
    approx,
    ...(rest[1] !== undefined ? { dtype: rest[1] } : {}),
    ...(typedArray !== undefined ? { typedArray } : {}),
  };
}

function readValue(r: { text: string; at: number }): Plain {
  const skip = () => {
    while (r.at < r.text.length && /\s/.test(r.text[r.at]!)) r.at++;
  };
  skip();
  const c = r.text[r.at];
  if (c === '[') {
    r.at++;
    const out: Plain[] = [];
    skip();
    if (r.text[r.at] === ']') {
      r.at++;
      return out;
    }
    for (;;) {
      out.push(readValue(r));
      skip();
      const d = r.text[r.at++];
      if (d === ']') return out;
      if (d !== ',') throw new Error('expected , or ]');
    }
  }
  if (c === "'" || c === '"') {
    let s = '';
    for (r.at++; r.at < r.text.length; r.at++) {
      const d = r.text[r.at]!;
      if (d === c) {
        r.at++;
        return s;
      }
      if (d === '\\') {
        const e = r.text[++r.at];
        s += e === 'n' ? '\n' : (e ?? '');
      } else s += d;
    }
    throw new Error('unterminated string');
  }
  const m = /^(?:-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|-?Infinity|NaN|true|false|null|undefined)(?![\w.$])/i.exec(
    r.text.slice(r.at),
  );
  if (!m) throw new Error('not a value');
  r.at += m[0].length;
  const word = m[0];
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (word === 'null') return null;
  if (word === 'undefined') return undefined;
  return Number(word);
}

interface TensorLikeValue {
  readonly dtype: string;
  arraySync(): unknown;
}

function isTensor(x: unknown): x is TensorLikeValue {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { arraySync?: unknown }).arraySync === 'function' &&
    typeof (x as { dtype?: unknown }).dtype === 'string'
  );
}

/** A value as it is compared: tensors by `arraySync()`, typed arrays as arrays, arrays element by element. */
function plain(x: unknown): Plain {
  if (isTensor(x)) return x.arraySync() as Plain;
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return x.map(plain);
  if (x === null || ['number', 'string', 'boolean', 'undefined'].includes(typeof x)) return x as Plain;
  throw new Error(`cannot compare a ${describeType(x)} with a value comment`);
}

function describeType(x: unknown): string {
  return typeof x === 'object' && x !== null ? (x.constructor?.name ?? 'object') : typeof x;
}

function same(actual: Plain, expected: Plain, approx: boolean): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => same((actual as readonly Plain[])[i], e, approx))
    );
  }
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isNaN(expected) || Number.isNaN(actual)) return Number.isNaN(expected) && Number.isNaN(actual);
    if (actual === expected) return true;
    if (approx) return Math.abs(actual - expected) <= 1e-6 + 1e-4 * Math.abs(expected);
    // Comments write float32 values with as many digits as it takes to name the float32.
    return Math.fround(actual) === Math.fround(expected);
  }
  return actual === expected;
}

/** A value as a comment would write it. */
export function show(x: Plain): string {
  if (Array.isArray(x)) return `[${x.map(show).join(', ')}]`;
  if (typeof x === 'string') return `'${x.replace(/'/g, "\\'")}'`;
  return String(x);
}

/** Compares a value with a claim: undefined if it holds, else what the value really is. */
export function refute(actual: unknown, claim: Claim): string | undefined {
  let value: Plain;
  try {
    value = plain(actual);
  } catch (e) {
    return (e as Error).message;
  }
  const dtype = isTensor(actual) ? ` (${actual.dtype})` : '';
  if (claim.dtype !== undefined && (!isTensor(actual) || actual.dtype !== claim.dtype)) {
    return `${show(value)}${dtype || ` (a ${describeType(actual)}, not a tensor)`}`;
  }
  if (claim.typedArray !== undefined && describeType(actual) !== claim.typedArray) {
    return `${describeType(actual)} ${show(value)}`;
  }
  return same(value, claim.value, claim.approx) ? undefined : `${show(value)}${dtype}`;
}

// ---------------------------------------------------------------------------
// Running an example
// ---------------------------------------------------------------------------

/** A value comment to check: the statement on `line` (1-based, in the example) must evaluate to `claim`. */
export interface Check {
  readonly line: number;
  readonly code: string;
  readonly comment: string;
  readonly claim: Claim;
}

/** An example rewritten to report the value of each statement with a value comment. */
export interface Instrumented {
  readonly code: string;
  readonly checks: readonly Check[];
  /** Trailing comments that start like a value but cannot be checked, with the reason. */
  readonly problems: readonly string[];
  /** Names imported from 'tapegrad'. */
  readonly imports: readonly string[];
  /** Module specifiers imported other than 'tapegrad'. */
  readonly foreignImports: readonly string[];
}

export const CHECK = '__checkValue';

/**
 * Rewrites `expr; // value` as `CHECK(i, (expr)); // value`, and appends
 * `CHECK(i, name);` to `const name = expr; // value`, for top-level statements.
 */
export function instrument(code: string): Instrumented {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const checks: Check[] = [];
  const problems: string[] = [];
  const imports: string[] = [];
  const foreignImports: string[] = [];
  const edits: { start: number; end: number; text: string }[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      if (statement.moduleSpecifier.text !== 'tapegrad') foreignImports.push(statement.moduleSpecifier.text);
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        imports.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
      }
    }
    const comment = (ts.getTrailingCommentRanges(code, statement.end) ?? [])[0];
    if (!comment || comment.kind !== ts.SyntaxKind.SingleLineCommentTrivia) continue;
    const text = code.slice(comment.pos + 2, comment.end).trim();
    const line = source.getLineAndCharacterOfPosition(statement.end).line + 1;
    if (!looksLikeClaim(text)) continue;
    const claim = parseClaim(text);
    if (!claim) {
      problems.push(`line ${line}: '// ${text}' starts like a value but does not parse as one`);
      continue;
    }
    const index = checks.length;
    if (ts.isExpressionStatement(statement)) {
      const expression = statement.expression.getText(source);
      checks.push({ line, code: expression, comment: text, claim });
      edits.push({
        start: statement.getStart(source),
        end: statement.end,
        text: `${CHECK}(${index}, (${expression}));`,
      });
      continue;
    }
    const declarations = ts.isVariableStatement(statement) ? statement.declarationList.declarations : [];
    const only = declarations.length === 1 ? declarations[0]! : undefined;
    if (only && ts.isIdentifier(only.name) && only.initializer) {
      checks.push({ line, code: only.name.text, comment: text, claim });
      edits.push({ start: statement.end, end: statement.end, text: ` ${CHECK}(${index}, ${only.name.text});` });
      continue;
    }
    problems.push(
      `line ${line}: '// ${text}' is a value comment on a statement that is neither an expression nor ` +
        'a single `const name = ...`, so it cannot be checked',
    );
  }
  let out = code;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return { code: out, checks, problems, imports, foreignImports };
}

/** What running an example did. */
export interface RunResult {
  /** Value comments checked (and found true). */
  readonly checked: number;
  /** Anything printed with console.log and friends. */
  readonly logs: readonly string[];
}

/**
 * Runs an example as CommonJS in this realm (typed arrays and `instanceof`
 * must be the library's), with every export of `lib` in scope and
 * `require('tapegrad')` giving `lib`. Throws if it throws, if it does not
 * transpile, or if a value comment is false.
 */
export function runExample(code: string, lib: Record<string, unknown>): RunResult | Promise<RunResult> {
  const instrumented = instrument(code);
  if (instrumented.problems.length > 0) throw new Error(instrumented.problems.join('\n'));
  const { outputText, diagnostics } = ts.transpileModule(instrumented.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: 'example.ts',
    reportDiagnostics: true,
  });
  if (diagnostics && diagnostics.length > 0) {
    throw new Error(
      `the example does not transpile:\n${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n')}`,
    );
  }
  const failures: string[] = [];
  const seen = new Set<number>();
  const check = (index: number, value: unknown): unknown => {
    const c = instrumented.checks[index]!;
    seen.add(index);
    const actual = refute(value, c.claim);
    if (actual !== undefined) {
      failures.push(`line ${c.line}: \`${c.code}\` is ${actual}, but the comment says // ${c.comment}`);
    }
    return value;
  };
  const logs: string[] = [];
  const record = (...args: unknown[]) => void logs.push(args.map(String).join(' '));
  const quietConsole = { ...console, log: record, info: record, warn: record, error: record, debug: record };
  const requireLib = (id: string): unknown => {
    if (id === 'tapegrad') return lib;
    throw new Error(`examples may import only from 'tapegrad', not '${id}'`);
  };
  const names = Object.keys(lib).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  // An example that awaits (reading a GPU tensor, setBackend) runs as an async function, as a module's top level would.
  const asynchronous = /\bawait\b/.test(outputText);
  const Fn = asynchronous ? (Object.getPrototypeOf(async () => {}).constructor as FunctionConstructor) : Function;
  const run = new Fn('require', 'exports', 'module', 'console', CHECK, ...names, outputText) as (
    ...args: unknown[]
  ) => unknown;
  const moduleExports = {};
  const finish = (): RunResult => {
    instrumented.checks.forEach((c, i) => {
      if (!seen.has(i)) failures.push(`line ${c.line}: \`${c.code}\` never ran`);
    });
    if (failures.length > 0) throw new Error(`wrong value comments:\n${failures.join('\n')}`);
    return { checked: instrumented.checks.length, logs };
  };
  const done = run(
    requireLib,
    moduleExports,
    { exports: moduleExports },
    quietConsole,
    check,
    ...names.map((name) => lib[name]),
  );
  return asynchronous ? (done as Promise<unknown>).then(finish) : finish();
}

// ---------------------------------------------------------------------------
// Type checking examples
// ---------------------------------------------------------------------------

/**
 * Type checks examples as TypeScript modules against the library at `entry`
 * (strict, the project's targets), each importing from 'tapegrad' the exports
 * it uses without importing them. Returns one message per error, naming the
 * example and its line.
 */
export function typeCheckExamples(
  entry: string,
  examples: readonly { readonly title: string; readonly code: string }[],
  exportNames: ReadonlySet<string>,
): string[] {
  const options = compilerOptions(entry);
  const dir = path.join(path.dirname(path.resolve(entry)), '__examples__');
  const files = new Map<string, { title: string; text: string }>();
  examples.forEach(({ title, code }, i) => {
    const missing = [...unimportedExports(code, exportNames)];
    // Imports are hoisted, so the added one goes last and the example's line numbers stay.
    const text = `${code}\n${missing.length > 0 ? `import { ${missing.join(', ')} } from 'tapegrad';` : ''}\nexport {};\n`;
    files.set(path.join(dir, `example${i}.ts`), { title, text });
  });
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const file = files.get(path.resolve(fileName));
    return file
      ? ts.createSourceFile(fileName, file.text, languageVersion, true, ts.ScriptKind.TS)
      : getSourceFile.call(host, fileName, languageVersion, ...rest);
  };
  host.fileExists = (fileName) => files.has(path.resolve(fileName)) || fileExists.call(host, fileName);
  host.readFile = (fileName) => files.get(path.resolve(fileName))?.text ?? readFile.call(host, fileName);
  const program = ts.createProgram([...files.keys()], options, host);
  const messages: string[] = [];
  for (const [fileName, { title }] of files) {
    const source = program.getSourceFile(fileName)!;
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = d.start === undefined ? '?' : source.getLineAndCharacterOfPosition(d.start).line + 1;
      messages.push(`${title}, line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
  }
  return messages;
}

/** The exports an example refers to by name but neither imports nor declares itself. */
function unimportedExports(code: string, exportNames: ReadonlySet<string>): Set<string> {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const used = new Set<string>();
  const declared = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && exportNames.has(node.text)) {
      const parent = node.parent;
      const isName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isQualifiedName(parent) && parent.right === node);
      const isDeclaration =
        (ts.isVariableDeclaration(parent) ||
          ts.isParameter(parent) ||
          ts.isFunctionDeclaration(parent) ||
          ts.isClassDeclaration(parent) ||
          ts.isBindingElement(parent) ||
          ts.isImportSpecifier(parent)) &&
        parent.name === node;
      if (isDeclaration) declared.add(node.text);
      else if (!isName) used.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return new Set([...used].filter((name) => !declared.has(name)));
}
