#!/usr/bin/env node
// Fails unless every parameter of the public API has a description: every parameter of every
// function, method and constructor TypeDoc documents (namespace members and interface methods
// included), and of every exported constant or property whose type is a function (the ops that
// `defineOp` and `defineUnaryOp` return, and the Tensor methods typed `Method<typeof op>`).
//
//   node scripts/check-doc-params.mjs              converts lib/ with TypeDoc, as typedoc.json says
//   node scripts/check-doc-params.mjs api.json     reads `typedoc --json api.json` output instead
//
// A parameter is described when TypeDoc puts a comment on it: a `@param name - text` tag (for a
// destructured parameter too: `@param options - text`), an inline comment, or a description that
// `{@inheritDoc}` or an overridden method's comment gives it. Prints one `file:line: symbol(param)`
// line per undescribed parameter, and exits 1 if there is any.
//
// A Tensor method typed `Method<typeof op>` has one parameter in TypeDoc's eyes, `...rest`, a named
// tuple of the op's parameters after the tensor: TypeDoc cannot describe a tuple's members, so the
// method's comment describes `rest` (`@param rest - The arguments of {@link op} after the tensor,
// described there.`), and the op's own `@param` tags describe each. `{@inheritDoc op}` copies the
// op's parameter descriptions by position, so a method written out by hand that drops the op's
// first parameter (`Tensor.cast`) describes its own parameters instead of inheriting.
import { readFile } from 'node:fs/promises';
import { Application, Logger, LogLevel, PackageJsonReader, TSConfigReader, TypeDocReader } from 'typedoc';

// ReflectionKind values (typedoc's `ReflectionKind`), as its JSON output writes them.
const KIND = {
  Variable: 0x20,
  Function: 0x40,
  Constructor: 0x200,
  Property: 0x400,
  Method: 0x800,
  Accessor: 0x40000,
};

async function loadProject(jsonFile) {
  if (jsonFile !== undefined) return JSON.parse(await readFile(jsonFile, 'utf8'));
  const app = await Application.bootstrapWithPlugins(
    // Sources give each report its file and line. Type errors are tsc's to report (CI runs it).
    {
      disableSources: false,
      disableGit: true,
      basePath: process.cwd(),
      sourceLinkTemplate: '{path}',
      skipErrorChecking: true,
      treatWarningsAsErrors: false,
      logLevel: LogLevel.Warn,
    },
    [new TypeDocReader(), new PackageJsonReader(), new TSConfigReader()],
  );
  // Keep TypeDoc (and the docs plugins) quiet unless the conversion fails: the docs build reports
  // their messages.
  const errors = [];
  app.logger = new (class extends Logger {
    log(message, level) {
      super.log(message, level);
      if (level >= LogLevel.Error) errors.push(message);
    }
  })();
  const project = await app.convert();
  if (project === undefined) {
    console.error([...errors, 'check-doc-params: TypeDoc could not convert the project'].join('\n'));
    process.exit(2);
  }
  return app.serializer.projectToObject(project, process.cwd());
}

const described = (reflection) =>
  reflection.comment?.summary?.some((part) => part.text.trim() !== '' || part.kind !== 'text') ?? false;

/** Where a reflection is declared, `file:line`: its own source, else its nearest ancestor's. */
function locationOf(chain) {
  for (let i = chain.length - 1; i >= 0; i--) {
    const source = chain[i].sources?.[0];
    if (source !== undefined) return `${source.fileName}:${source.line}`;
  }
  return '(no source in the JSON)';
}

/** The signatures whose parameters a reflection's readers call it with, or none. */
function signaturesOf(reflection) {
  if ((reflection.kind & (KIND.Function | KIND.Method | KIND.Constructor)) !== 0) return reflection.signatures ?? [];
  if ((reflection.kind & KIND.Accessor) !== 0) return reflection.setSignature ? [reflection.setSignature] : [];
  // A constant or property of function type: an op from `defineOp`, a `Method<typeof op>` method.
  if ((reflection.kind & (KIND.Variable | KIND.Property)) !== 0 && reflection.type?.type === 'reflection') {
    return reflection.type.declaration.signatures ?? [];
  }
  return [];
}

/** Each undescribed parameter, by `file:line: symbol(param)`, with its file and line for sorting. */
const problems = new Map();

function walk(reflection, chain) {
  for (const signature of signaturesOf(reflection)) {
    for (const parameter of signature.parameters ?? []) {
      if (described(parameter)) continue;
      const owner = chain.map((r) => r.name).join('.');
      const location = locationOf([...chain, signature]);
      const line = `${location}: ${owner}(${parameter.flags?.isRest ? '...' : ''}${parameter.name})`;
      problems.set(line, { file: location.replace(/:\d+$/, ''), at: Number(location.match(/:(\d+)$/)?.[1] ?? 0) });
    }
  }
  for (const child of reflection.children ?? []) {
    // A member inherited unchanged is checked where it is declared.
    if (child.inheritedFrom !== undefined) continue;
    walk(child, [...chain, child]);
  }
}

const project = await loadProject(process.argv[2]);
walk(project, []);

if (problems.size > 0) {
  const lines = [...problems.keys()].sort((a, b) => {
    const [p, q] = [problems.get(a), problems.get(b)];
    return p.file.localeCompare(q.file) || p.at - q.at || a.localeCompare(b);
  });
  console.error(lines.join('\n'));
  console.error(
    `\ncheck-doc-params: ${lines.length} parameter${lines.length === 1 ? '' : 's'} without a description: ` +
      `give each a \`@param name - text\` in the TSDoc comment of its function or method`,
  );
  process.exit(1);
}
console.log('check-doc-params: every parameter of the API has a description');
