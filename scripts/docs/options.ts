/**
 * @module
 * Walks an options type with the TypeScript checker and lists every option it holds: its
 * path (`providers.<name>.timeouts.idleMs`), its type as written, its `@default` and its
 * TSDoc. Nested option groups are followed; a group already listed elsewhere (the global
 * `retry` under a provider) is linked instead of listed twice. New options appear when the
 * generator runs again: nothing here names an option.
 */
import ts from 'typescript';

/** One option. */
export interface OptionRow {
  path: string;
  type: string;
  default?: string;
  description: string;
  /** Where its fields are listed, when that is elsewhere. */
  seeAlso?: { label: string; anchor: string; except: string[] };
}

/** A block of the page: a heading, what the type says of itself, and its options. */
export interface OptionSection {
  level: number;
  heading: string;
  intro: string;
  examples: string[];
  rows: OptionRow[];
}

/** Where an options group's fields were listed, for links from its later uses. */
interface Listed {
  path: string;
  /** Link text: the group's path in code, or a root's heading. */
  label: string;
  anchor: string;
  declarations: Set<ts.Declaration>;
}

type Shape =
  | { kind: 'leaf' }
  | { kind: 'object'; type: ts.Type }
  | { kind: 'array'; element: ts.Type }
  | { kind: 'record'; value: ts.Type }
  | { kind: 'variants'; members: ts.Type[] };

export class OptionWalker {
  private readonly listed: Listed[] = [];

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly isOwn: (node: ts.Node) => boolean,
    /** Heading slug of a section heading, for links into this page. */
    private readonly slug: (heading: string) => string,
  ) {}

  /**
   * The sections of one options type: a table of its own options, then one section per
   * option that is a group (an object, a list or a map of objects).
   */
  document(symbol: ts.Symbol, heading: string, prefix: string, level: number): OptionSection[] {
    const type = this.checker.getDeclaredTypeOfSymbol(symbol);
    const top: OptionSection = { level, heading, intro: this.docOf(symbol), examples: this.examplesOf(symbol), rows: [] };
    const groups: Array<{ path: string; shape: Shape; section: OptionSection }> = [];
    for (const prop of this.checker.getPropertiesOfType(type)) {
      const path = join(prefix, prop.name);
      const shape = this.shapeOf(this.typeOfProp(prop));
      const row = this.rowOf(prop, path);
      top.rows.push(row);
      if (shape.kind === 'leaf' || this.linkTo(row, shape)) continue;
      const intro = [...new Set([this.docOf(prop), this.typeDoc(this.typeOfProp(prop))].filter(Boolean))].join('\n\n');
      const section: OptionSection = { level: level + 1, heading: sectionHeading(path), intro, examples: [], rows: [] };
      row.seeAlso = { label: section.heading, anchor: this.slug(section.heading), except: [] };
      groups.push({ path, shape, section });
    }
    // Every group of this type is listed under its own heading, and that is where a later
    // use of the same fields links to (the global \`retry\`, not the first provider's).
    this.listed.push({ path: heading, label: heading, anchor: this.slug(heading), declarations: this.declarationsOf({ kind: 'object', type }) });
    for (const g of groups) this.listed.push({ path: g.path, label: g.section.heading, anchor: this.slug(g.section.heading), declarations: this.declarationsOf(g.shape) });
    const sections = [top];
    for (const g of groups) {
      sections.push(g.section);
      sections.push(...this.expand(g.shape, g.path, g.section, level + 1, new Set()));
    }
    return sections;
  }

  /** Rows for the fields of a group (into `into`), and sections for variants. */
  private expand(shape: Shape, path: string, into: OptionSection, level: number, seen: Set<ts.Type>): OptionSection[] {
    switch (shape.kind) {
      case 'leaf':
        return [];
      case 'array':
        return this.expand(this.shapeOf(shape.element), `${path}[]`, into, level, seen);
      case 'record':
        return this.expand(this.shapeOf(shape.value), `${path}.<name>`, into, level, seen);
      case 'object':
        if (seen.has(shape.type)) return [];
        return this.fields(this.checker.getPropertiesOfType(shape.type), path, into, level, new Set([...seen, shape.type]));
      case 'variants':
        return this.variants(shape.members, path, level, seen);
    }
  }

  /**
   * Rows for `props` (of a group at `path`) into `into`; a nested group's fields follow its
   * row, unless they were listed elsewhere already (then the row links there).
   */
  private fields(props: ts.Symbol[], path: string, into: OptionSection, level: number, seen: Set<ts.Type>): OptionSection[] {
    const out: OptionSection[] = [];
    for (const prop of props) {
      const propPath = `${path}.${prop.name}`;
      const row = this.rowOf(prop, propPath);
      into.rows.push(row);
      const shape = this.shapeOf(this.typeOfProp(prop));
      if (shape.kind === 'leaf' || this.linkTo(row, shape)) continue;
      if (this.namedObject(shape)) this.listed.push({ path: propPath, label: sectionHeading(propPath), anchor: this.slug(into.heading), declarations: this.declarationsOf(shape) });
      out.push(...this.expand(shape, propPath, into, level, seen));
    }
    return out;
  }

  /**
   * A union of option objects told apart by a literal `type` (the provider types): the
   * fields every variant shares in one table, then one section per variant with its own.
   */
  private variants(members: ts.Type[], path: string, level: number, seen: Set<ts.Type>): OptionSection[] {
    const declarations = members.map((m) => this.declarationsOf({ kind: 'object', type: m }));
    const isShared = (p: ts.Symbol) => declarations.every((set) => set.has(p.declarations![0]!));
    const common: OptionSection = { level: level + 1, heading: `Every ${singular(path)} type`, intro: `Fields every variant of \`${path}\` takes.`, examples: [], rows: [] };
    const out = [common, ...this.fields(this.checker.getPropertiesOfType(members[0]!).filter(isShared), path, common, level + 1, seen)];
    for (const member of members) {
      const tag = this.discriminant(member);
      const symbol = member.aliasSymbol ?? member.getSymbol();
      const section: OptionSection = {
        level: level + 1,
        heading: tag ? `\`${tag}\`` : this.checker.typeToString(member),
        intro: symbol ? this.docOf(symbol) : '',
        examples: symbol ? this.examplesOf(symbol) : [],
        rows: [],
      };
      out.push(section, ...this.fields(this.checker.getPropertiesOfType(member).filter((p) => !isShared(p)), path, section, level + 1, seen));
    }
    return out;
  }

  /** The literal value of a variant's `type` field. */
  private discriminant(member: ts.Type): string | undefined {
    const prop = member.getProperty('type');
    if (!prop) return undefined;
    const t = this.typeOfProp(prop);
    return t.isStringLiteral() ? t.value : undefined;
  }

  /**
   * Points a row at the place a group's fields were already listed, when every field of
   * this group is one of them (`timeouts` under a provider is the global one minus two).
   */
  private linkTo(row: OptionRow, shape: Shape): boolean {
    const decls = this.declarationsOf(shape);
    if (decls.size === 0) return false;
    const home = this.listed.find((l) => l.path !== row.path && [...decls].every((d) => l.declarations.has(d)));
    if (!home) return false;
    const except = [...home.declarations].filter((d) => !decls.has(d)).map((d) => (d as ts.NamedDeclaration).name?.getText() ?? '?');
    row.seeAlso = { label: home.label, anchor: home.anchor, except };
    return true;
  }

  private declarationsOf(shape: Shape): Set<ts.Declaration> {
    const type = this.namedObject(shape) ?? (shape.kind === 'object' ? shape.type : undefined);
    if (!type) return new Set();
    return new Set(this.checker.getPropertiesOfType(type).map((p) => p.declarations?.[0]).filter((d): d is ts.Declaration => d !== undefined));
  }

  /** The object type a group's fields come from (through lists and maps), if it is one. */
  private namedObject(shape: Shape): ts.Type | undefined {
    if (shape.kind === 'object') return shape.type;
    if (shape.kind === 'array') {
      const inner = this.shapeOf(shape.element);
      return inner.kind === 'object' ? inner.type : undefined;
    }
    if (shape.kind === 'record') {
      const inner = this.shapeOf(shape.value);
      return inner.kind === 'object' ? inner.type : undefined;
    }
    return undefined;
  }

  /** What a type is, for the walk: a leaf, an options object, a list or map of them, or variants. */
  private shapeOf(type: ts.Type): Shape {
    const t = this.checker.getNonNullableType(type);
    if (t.isUnion()) {
      const members = t.types.filter((m) => !(m.flags & (ts.TypeFlags.BooleanLiteral | ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      if (members.some((m) => this.isFunction(m))) return { kind: 'leaf' };
      const objects = members.filter((m) => this.isOptionObject(m));
      if (objects.length === 1) return { kind: 'object', type: objects[0]! };
      if (objects.length > 1 && objects.every((m) => this.discriminant(m) !== undefined)) return { kind: 'variants', members: objects };
      return { kind: 'leaf' };
    }
    if (this.checker.isArrayType(t)) {
      const element = this.checker.getTypeArguments(t as ts.TypeReference)[0];
      return element && this.shapeOf(element).kind !== 'leaf' ? { kind: 'array', element } : { kind: 'leaf' };
    }
    const index = t.getStringIndexType();
    if (index && t.getProperties().length === 0 && !this.isFunction(t)) {
      return this.shapeOf(index).kind !== 'leaf' ? { kind: 'record', value: index } : { kind: 'leaf' };
    }
    return this.isOptionObject(t) ? { kind: 'object', type: t } : { kind: 'leaf' };
  }

  private isFunction(t: ts.Type): boolean {
    return t.getCallSignatures().length > 0 || t.getConstructSignatures().length > 0;
  }

  /**
   * An object of options: declared in this repository, with plain properties only (no
   * methods: an interface the host implements, like `Store`, is a leaf) and no index
   * signature (`FailoverRules` is a map of rules, listed as one option).
   */
  private isOptionObject(t: ts.Type): boolean {
    if (!(t.flags & ts.TypeFlags.Object) && !t.isIntersection()) return false;
    if (this.isFunction(t) || this.checker.isArrayType(t)) return false;
    if (t.getStringIndexType() || t.getNumberIndexType()) return false;
    const props = this.checker.getPropertiesOfType(t);
    if (props.length === 0) return false;
    return props.every((p) => {
      const d = p.declarations?.[0];
      return d !== undefined && ts.isPropertySignature(d) && this.isOwn(d);
    });
  }

  private typeOfProp(prop: ts.Symbol): ts.Type {
    const decl = prop.declarations?.[0];
    return decl ? this.checker.getTypeOfSymbolAtLocation(prop, decl) : this.checker.getTypeOfSymbol(prop);
  }

  private rowOf(prop: ts.Symbol, path: string): OptionRow {
    const decl = prop.declarations?.[0];
    let type = 'unknown';
    if (decl && ts.isPropertySignature(decl) && decl.type) {
      type = ts.isTypeLiteralNode(decl.type) ? 'object' : squash(decl.type.getText());
    } else {
      type = this.checker.typeToString(this.typeOfProp(prop), undefined, ts.TypeFormatFlags.NoTruncation);
    }
    const required = decl && ts.isPropertySignature(decl) ? !decl.questionToken : true;
    const tag = prop.getJsDocTags(this.checker).find((t) => t.name === 'default');
    // A named alias (a union of literals such as `Strategy`, a map such as `FailoverRules`)
    // documents its values: show that beside what the option says of itself.
    const own = this.docOf(prop);
    const alias = this.aliasDoc(this.typeOfProp(prop));
    return {
      path,
      type,
      default: tag ? squash(ts.displayPartsToString(tag.text)) : required ? '(required)' : undefined,
      description: [...new Set([own || this.typeDoc(this.typeOfProp(prop)), alias].filter(Boolean))].join('\n\n'),
    };
  }

  private docOf(symbol: ts.Symbol): string {
    return ts.displayPartsToString(symbol.getDocumentationComment(this.checker)).trim();
  }

  /** The TSDoc of a named type, for options that say nothing of their own. */
  private typeDoc(type: ts.Type): string {
    let t = this.checker.getNonNullableType(type);
    if (this.checker.isArrayType(t)) t = this.checker.getTypeArguments(t as ts.TypeReference)[0] ?? t;
    else if (t.getStringIndexType() && t.getProperties().length === 0) t = t.getStringIndexType()!;
    const symbol = t.aliasSymbol ?? (t.isUnion() ? undefined : t.getSymbol());
    if (!symbol || symbol.flags & ts.SymbolFlags.TypeLiteral) return '';
    const decl = symbol.declarations?.[0];
    return decl && this.isOwn(decl) ? this.docOf(symbol) : '';
  }

  /** The TSDoc of a type alias declared in this repository (not of an interface: those are groups or leaves with their own page). */
  private aliasDoc(type: ts.Type): string {
    const symbol = this.checker.getNonNullableType(type).aliasSymbol;
    const decl = symbol?.declarations?.[0];
    return symbol && decl && ts.isTypeAliasDeclaration(decl) && this.isOwn(decl) ? this.docOf(symbol) : '';
  }

  private examplesOf(symbol: ts.Symbol): string[] {
    return symbol
      .getJsDocTags(this.checker)
      .filter((t) => t.name === 'example')
      .map((t) => ts.displayPartsToString(t.text).trim());
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** The heading of a group's section: its path, in code. */
export function sectionHeading(path: string): string {
  return `\`${path}\``;
}

function singular(path: string): string {
  const last = path.split('.').filter((p) => p !== '<name>').pop() ?? path;
  return last.endsWith('s') ? last.slice(0, -1) : last;
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
