/**
 * @module
 * Configuration files. `loadConfigFile` reads a {@link RelayConfig} from JSON, or from
 * YAML when the `yaml` package is installed; `watchConfigFile` applies every edit
 * through `relay.update` and reports a broken one as a `configError` control event,
 * leaving the configuration in force untouched. Keys stay in the environment: a file
 * names them with `apiKeyEnv`.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InvalidConfigError } from './errors/index.js';
import type { RelayConfig } from './options.js';
import { Redactor } from './secrets/redactor.js';
import { headerSecrets } from './secrets/slots.js';
import type { Relay } from './relay/relay.js';

/** Quiet time after the last change before the file is read. */
const DEBOUNCE_MS = 100; // .1s

type Parse = (text: string) => unknown;
let yamlParse: Promise<Parse | undefined> | undefined;

/**
 * Reads a relay configuration from a JSON file, or a YAML file (`.yaml`, `.yml`) when
 * the `yaml` package is installed. A syntax error throws an `InvalidConfigError` naming
 * the file and the line; the values are validated by `createRelay` or `relay.update`,
 * which name the bad field. Put provider keys in the environment (`apiKeyEnv`): `apiKey`
 * literals are read too, but a file is easily committed or copied.
 *
 * @example
 * ```ts
 * const relay = createRelay(await loadConfigFile('switchyard.json'));
 * ```
 */
export async function loadConfigFile(path: string): Promise<RelayConfig> {
  return parseConfigFile(path, await readFile(path, 'utf8'));
}

async function parseConfigFile(path: string, text: string): Promise<RelayConfig> {
  const source = text.replace(/^\uFEFF/, '');
  let value: unknown;
  if (/\.ya?ml$/i.test(path)) {
    const parse = await loadYaml();
    if (!parse) throw new InvalidConfigError(path, 'reading YAML needs the `yaml` package, which is not installed (npm install yaml), or use a .json file');
    try {
      value = parse(source);
    } catch (err) {
      // The first line says what and where; the lines after it quote the file.
      const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/:$/, '');
      throw new InvalidConfigError(path, `invalid YAML: ${first}`);
    }
  } else {
    try {
      value = JSON.parse(source);
    } catch (err) {
      throw new InvalidConfigError(path, jsonProblem(err, source));
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidConfigError(path, `expected an object at the top level, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as RelayConfig;
}

function loadYaml(): Promise<Parse | undefined> {
  // A variable specifier: `yaml` is optional, neither a dependency nor bundled.
  const specifier = 'yaml';
  yamlParse ??= import(specifier).then(
    (mod: { parse?: Parse; default?: { parse?: Parse } }) => mod.parse ?? mod.default?.parse,
    () => undefined,
  );
  return yamlParse;
}

/** What went wrong in a JSON file, without V8's quote of the text around it (it may hold a key). */
function jsonProblem(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = / (in|after) JSON at position (\d+)/.exec(message);
  if (at) {
    const before = text.slice(0, Number(at[2])).split('\n');
    const reason = message.slice(0, at.index) + (at[1] === 'after' ? ' after the end' : '');
    return `invalid JSON at line ${before.length}, column ${before.at(-1)!.length + 1}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
  }
  const token = /^Unexpected token '(.)'/u.exec(message);
  if (token) return `invalid JSON: unexpected token '${token[1]}'`;
  if (message.startsWith('Unexpected end of JSON input')) return 'invalid JSON: unexpected end of input';
  return 'invalid JSON';
}

/** Options of {@link watchConfigFile}. */
export interface WatchConfigFileOptions {
  /**
   * Quiet time after the last change before the file is read, in ms: an editor's
   * several writes of one save are applied once.
   * @default 100
   */
  debounceMs?: number;
  /**
   * Adds what a file cannot hold (a `store`, a `callers.key` function, `now`) to each
   * configuration read, before `update` validates it.
   */
  transform?: (config: RelayConfig) => RelayConfig;
}

/** A running {@link watchConfigFile}. */
export interface ConfigFileWatcher {
  /** Stops watching. */
  stop(): void;
}

/**
 * Watches a configuration file and applies each edit with
 * `relay.update(config, { actor: 'file:<path>' })`. An edit that cannot be applied (the
 * file is unreadable, its JSON or YAML is broken, or `update` refuses the configuration)
 * is reported as a `control` event with `action: 'configError'` and
 * `detail: { path, message }`, and changes nothing. Editors that save by renaming a new
 * file over the old one, and Kubernetes ConfigMap volumes, are followed. Nothing here
 * keeps the process alive.
 *
 * @example
 * ```ts
 * const relay = createRelay(await loadConfigFile('switchyard.json'));
 * const watcher = watchConfigFile(relay, 'switchyard.json');
 * relay.on('control', (e) => e.action === 'configError' && log.error(e.detail, 'config not applied'));
 * process.once('SIGTERM', () => { watcher.stop(); void relay.close({ drainMs: 10_000 }); });
 * ```
 */
export function watchConfigFile(relay: Relay, path: string, options: WatchConfigFileOptions = {}): ConfigFileWatcher {
  const file = resolve(path);
  const name = basename(file);
  const debounceMs = options.debounceMs ?? DEBOUNCE_MS;
  const actor = `file:${path}`;
  let timer: NodeJS.Timeout | undefined;
  // The text last handled: an event that changed nothing applies nothing.
  let last: string | undefined;
  let queue = Promise.resolve();
  let stopped = false;

  const report = (err: unknown, config?: unknown) => {
    if (stopped || relay.isClosed) return;
    let message = err instanceof Error ? err.message : String(err);
    if (message.startsWith(`${path}: `)) message = message.slice(path.length + 2);
    message = secretsIn(config).message(message);
    relay.reportConfigError(path, message, { actor });
  };

  const apply = async () => {
    if (stopped) return;
    if (relay.isClosed) return stop();
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      last = undefined;
      return report(err);
    }
    if (stopped || text === last) return;
    last = text;
    let config: RelayConfig | undefined;
    try {
      config = await parseConfigFile(path, text);
      if (stopped || relay.isClosed) return;
      relay.update(options.transform ? options.transform(config) : config, { actor });
    } catch (err) {
      report(err, config);
    }
  };

  // The directory, not the file: a save that renames a new file over the old one leaves
  // a watch on the old inode deaf, and a ConfigMap volume swaps its `..data` symlink.
  const watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (stopped || (changed && changed !== name && !changed.startsWith('..'))) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(apply);
    }, debounceMs);
    timer.unref();
  });
  watcher.on('error', (err) => {
    report(new Error(`watching stopped: ${err.message}`));
    stop();
  });

  function stop(): void {
    stopped = true;
    clearTimeout(timer);
    watcher.close();
  }
  return { stop };
}

/**
 * The secrets in a file (keys, credential headers, AWS credentials) as a redactor: an
 * error message quoting one must not pass it on, though the file was never applied.
 */
function secretsIn(config: unknown): Redactor {
  const providers = isRecord(config) && isRecord(config.providers) ? Object.values(config.providers) : [];
  const redactor = new Redactor();
  for (const p of providers) {
    if (!isRecord(p)) continue;
    if (typeof p.apiKey === 'string') redactor.add(p.apiKey);
    // A key pasted into apiKeyEnv comes back in "environment variable ... is not set".
    if (typeof p.apiKeyEnv === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.apiKeyEnv)) redactor.add(p.apiKeyEnv);
    if (isRecord(p.headers)) {
      const headers = Object.fromEntries(Object.entries(p.headers).filter((e): e is [string, string] => typeof e[1] === 'string').map(([h, v]) => [h.toLowerCase(), v]));
      const marked = Array.isArray(p.secretHeaders) ? p.secretHeaders.filter((h): h is string => typeof h === 'string') : [];
      redactor.add(headerSecrets(headers, marked));
    }
    if (isRecord(p.credentials)) for (const v of Object.values(p.credentials)) if (typeof v === 'string') redactor.add(v);
  }
  return redactor;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
