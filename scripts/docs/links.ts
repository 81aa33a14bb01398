/**
 * @module
 * Checks every relative link of a set of markdown files: the file (or folder) it points
 * at exists, and its `#anchor` is a heading of that page as GitHub slugs it (or an
 * explicit `<a id>`). Links to other sites are not followed: tests stay offline.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';

const md = new MarkdownIt({ html: true });

export interface LinkProblem {
  file: string;
  line: number;
  link: string;
  problem: string;
}

interface Page {
  anchors: Set<string>;
  links: Array<{ href: string; line: number }>;
}

/** The anchors and links of one markdown text. */
export function readPage(text: string): Page {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  const links: Page['links'] = [];
  const tokens = md.parse(text, {});
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'heading_open') anchors.add(slugger.slug(renderedText(tokens[i + 1]?.children ?? [])));
    if (token.type === 'html_block') htmlAnchors(token.content, anchors);
    for (const child of token.children ?? []) {
      const line = (token.map?.[0] ?? 0) + 1;
      if (child.type === 'link_open') links.push({ href: child.attrGet('href') ?? '', line });
      if (child.type === 'image') links.push({ href: child.attrGet('src') ?? '', line });
      if (child.type === 'html_inline') htmlAnchors(child.content, anchors);
    }
  }
  return { anchors, links };
}

/** The text a heading renders to, which is what GitHub slugs. */
function renderedText(children: Token[]): string {
  return children
    .filter((c) => c.type === 'text' || c.type === 'code_inline' || c.type === 'softbreak')
    .map((c) => (c.type === 'softbreak' ? ' ' : c.content))
    .join('');
}

function htmlAnchors(html: string, into: Set<string>): void {
  for (const m of html.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) into.add(m[1]!);
}

/** Every broken relative link or anchor in `files` (paths below `root`). */
export function checkLinks(root: string, files: string[]): LinkProblem[] {
  const pages = new Map<string, Page>();
  const pageOf = (path: string) => {
    let page = pages.get(path);
    if (!page) {
      page = readPage(readFileSync(path, 'utf8'));
      pages.set(path, page);
    }
    return page;
  };
  const problems: LinkProblem[] = [];
  for (const file of files) {
    const path = join(root, file);
    for (const { href, line } of pageOf(path).links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue;
      const report = (problem: string) => problems.push({ file, line, link: href, problem });
      const [target = '', anchor] = decodeURI(href).split('#') as [string, string | undefined];
      const targetPath = target === '' ? path : resolve(dirname(path), target);
      if (!targetPath.startsWith(root)) report('points outside the repository');
      else if (!existsSync(targetPath)) report(`no such file: ${relative(root, targetPath)}`);
      else if (anchor !== undefined && targetPath.endsWith('.md') && statSync(targetPath).isFile() && !pageOf(targetPath).anchors.has(anchor)) {
        report(`no heading #${anchor} in ${relative(root, targetPath)}`);
      }
    }
  }
  return problems;
}
