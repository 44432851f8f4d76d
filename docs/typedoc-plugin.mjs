// @ts-check
/**
 * The API reference by topic. TypeDoc groups a project's exports by declaration kind (Classes,
 * Functions, Variables, ...); this plugin files each top-level export of lib/index.ts under the
 * group that docs/groups.json names for it, as an `@group` tag would, without touching lib/.
 *
 * - An export in no group, an export in two groups, or a name in docs/groups.json that is not
 *   exported is an error, so `npm run docs` fails until a new export joins a group.
 * - A `const` of function type (an op made by `defineUnaryOp`, such as `sin`) is documented as a
 *   function, never as a variable: the plugin gives its comment TypeDoc's `@function` modifier.
 * - The groups must appear in typedoc.json's `groupOrder` in the order of docs/groups.json.
 *
 * For the pages (the readme and the guides in docs/guide/):
 * - every docs/guide/*.md must be listed in typedoc.json's `projectDocuments`, whose order is the
 *   sidebar's (a page left out would silently be missing from the site);
 * - a heading must not contain a code span: TypeDoc drops it from the outline and the anchor
 *   ("`where` and NaN" became "#and-nan");
 * - a link to `#playground` becomes a link to the playground page, `playground/index.html` at the
 *   site's root, which the site's build adds after TypeDoc (TypeDoc would reject a relative link to
 *   a file it does not have).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Comment, CommentTag, Context, Converter, ReflectionKind, Renderer } from 'typedoc';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** @type {Record<string, string[]>} */
  const groups = JSON.parse(fs.readFileSync(path.join(here, 'groups.json'), 'utf8')).groups;

  documentFunctionConstsAsFunctions();

  // Before GroupPlugin (RESOLVE_END at -100) builds the groups from the tags.
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => fileUnderGroups(app, context.project, groups), 100);
  app.converter.on(Converter.EVENT_RESOLVE_END, () => checkPages(app));
  app.renderer.on(Renderer.EVENT_END_PAGE, (page) => {
    if (page.contents === undefined) return;
    if (page.model.isDocument() || page.model.isProject()) checkAnchors(app, page.url, page.contents);
    const root = '../'.repeat(page.url.split('/').length - 1);
    page.contents = page.contents.replaceAll('href="#playground"', `href="${root}playground/index.html"`);
  });
}

/**
 * TypeDoc checks links to other pages' headings, not to the page's own: `[below](#no-such-heading)`
 * would render as a link to nowhere. Every `href="#id"` of a guide or the front page must name an
 * element of the page (`#playground` aside, which becomes the playground's address).
 *
 * @param {import('typedoc').Application} app
 * @param {string} url
 * @param {string} html
 */
function checkAnchors(app, url, html) {
  const ids = new Set(Array.from(html.matchAll(/\sid="([^"]*)"/g), (m) => m[1]));
  for (const [, anchor] of html.matchAll(/<a\s[^>]*href="#([^"]*)"/g)) {
    if (anchor !== '' && anchor !== 'playground' && !ids.has(anchor)) {
      app.logger.error(`${url} links to #${anchor}, which is not on the page`);
    }
  }
}

/**
 * The guides' pages: all listed in `projectDocuments`, and no heading with a code span.
 *
 * @param {import('typedoc').Application} app
 */
function checkPages(app) {
  const logger = app.logger;
  const root = path.dirname(here);
  /** @type {string[]} */
  const listed = app.options.getValue('projectDocuments').map((file) => path.resolve(root, file));
  const guideDir = path.join(here, 'guide');
  for (const file of fs.readdirSync(guideDir).filter((f) => f.endsWith('.md'))) {
    if (!listed.includes(path.join(guideDir, file))) {
      logger.error(
        `docs/guide/${file} is not in typedoc.json's projectDocuments; add it where it belongs in the sidebar`,
      );
    }
  }
  const readme = app.options.getValue('readme');
  for (const file of [...listed, ...(readme && readme !== 'none' ? [path.resolve(root, readme)] : [])]) {
    if (!fs.existsSync(file)) continue; // TypeDoc reports it
    let fenced = false;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
        if (!fenced && /^#{1,6}\s.*`/.test(line)) {
          logger.error(
            `${path.relative(root, file)}:${i + 1}: a heading with a code span loses it in the outline and the anchor; write it without backticks`,
          );
        }
      });
  }
}

/**
 * TypeDoc documents `export const f = (x) => ...` as a function, but a const initialised by a call
 * (`defineUnaryOp(...)`) as a variable, unless its comment has the `@function` modifier. Add the
 * modifier to the comment of every const whose type is callable and not constructible.
 */
function documentFunctionConstsAsFunctions() {
  const getComment = Context.prototype.getComment;
  /**
   * @this {Context}
   * @param {ts.Symbol} symbol
   * @param {ReflectionKind} kind
   */
  Context.prototype.getComment = function (symbol, kind) {
    const comment = getComment.call(this, symbol, kind);
    if (kind === ReflectionKind.Variable && comment && !comment.hasModifier('@function')) {
      const declaration = symbol.getDeclarations()?.[0];
      if (declaration && ts.isVariableDeclaration(declaration)) {
        const type = this.checker.getTypeOfSymbolAtLocation(symbol, declaration);
        if (type.getCallSignatures().length > 0 && type.getConstructSignatures().length === 0) {
          comment.modifierTags.add('@function');
        }
      }
    }
    return comment;
  };
}

/**
 * @param {import('typedoc').Application} app
 * @param {import('typedoc').ProjectReflection} project
 * @param {Record<string, string[]>} groups
 */
function fileUnderGroups(app, project, groups) {
  const logger = app.logger;
  /** @type {Map<string, string>} */
  const groupOf = new Map();
  for (const [group, names] of Object.entries(groups)) {
    for (const name of names) {
      const other = groupOf.get(name);
      if (other !== undefined) {
        logger.error(`docs/groups.json: ${name} is in two groups, ${other} and ${group}; keep it in one`);
      }
      groupOf.set(name, group);
    }
  }

  const exported = new Set();
  for (const child of project.children ?? []) {
    exported.add(child.name);
    if (child.kindOf(ReflectionKind.Variable) && isCallable(child)) {
      logger.error(`${child.name} is documented as a variable; it should be a function (see docs/typedoc-plugin.mjs)`);
    }
    const group = groupOf.get(child.name);
    if (group === undefined) {
      logger.error(
        `${child.name} (${ReflectionKind.singularString(child.kind)}) is exported by lib/index.ts but is in no group of docs/groups.json; add it to one`,
      );
      continue;
    }
    commentToTag(child).blockTags.push(new CommentTag('@group', [{ kind: 'text', text: group }]));
  }
  for (const name of groupOf.keys()) {
    if (!exported.has(name)) {
      logger.error(`docs/groups.json names ${name} (in ${groupOf.get(name)}), which lib/index.ts does not export`);
    }
  }

  // A relative link to a source file (`[seed](../examples/seed.ts)`) is copied into media/ and
  // opens as raw text: link a page, or put the code in one. Images are fine.
  for (const file of project.files.getMediaPaths()) {
    if (!/\.(png|jpe?g|gif|svg|webp)$/i.test(file)) {
      logger.error(`A page links to ${file}, which the site would show as a raw file; link a page or include the code`);
    }
  }

  for (const page of project.documents ?? []) {
    const group = page.frontmatter['group'];
    if (group !== 'Guides' && group !== 'Migration') {
      logger.error(`The page "${page.name}" needs \`group: Guides\` or \`group: Migration\` in its front matter`);
    }
  }

  /** @type {string[]} */
  const order = app.options.getValue('groupOrder');
  const listed = order.filter((title) => title in groups);
  const expected = Object.keys(groups);
  if (listed.join('\n') !== expected.join('\n')) {
    logger.error(
      `typedoc.json's groupOrder must list the groups of docs/groups.json in its order: ${expected.join(', ')}`,
    );
  }
}

/**
 * The comment TypeDoc reads `@group` from: the reflection's own, else its first signature's (a
 * function's doc comment lives on its signature).
 *
 * @param {import('typedoc').DeclarationReflection} reflection
 */
function commentToTag(reflection) {
  if (reflection.comment) return reflection.comment;
  const signature = reflection.signatures?.[0];
  if (signature) return (signature.comment ??= new Comment());
  return (reflection.comment = new Comment());
}

/** @param {import('typedoc').DeclarationReflection} reflection */
function isCallable(reflection) {
  const type = reflection.type;
  return type?.type === 'reflection' && (type.declaration.signatures?.length ?? 0) > 0;
}
