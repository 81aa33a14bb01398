/**
 * @module
 * The measurements of issue 17 beside the overhead runs: the Responses and Messages
 * clients (native and translated), growth with the prompt and with the answer, a caller
 * limit and budget on Redis against the memory store, and many concurrent streams. Each
 * is sequential and interleaved request by request with its baseline, like the overhead
 * runs, with each server's CPU per request.
 */
import { FORMAT_MODELS, GROWTH_EVENTS, GROWTH_PROMPT_KB, MODEL, UPSTREAM_MODEL, chatBody, growthModel, messagesBody, responsesBody, type Plan } from './config.js';
import type { SequentialResult, Target } from './load.js';
import type { Measurer } from './measure.js';
import { P, fmt, served, withCpu, type Case } from './phases.js';
import type { Started } from './procs.js';
import type { CaseId, FormatId, FormatRun, GrowthSeries } from './report.js';

const HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' };
const ANTHROPIC = { 'content-type': 'application/json', 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01' };
type Cpu = () => Promise<number | undefined>;
const none: Cpu = async () => undefined;

/** One interleaved run of `targets`, each with its server's CPU per request. */
async function interleaved(m: Measurer, load: Started, notes: string[], what: string, targets: { target: Target; cpu?: Cpu }[], phase: { requests: number; warmup: number; maxMs: number }, stream: boolean): Promise<(SequentialResult | null)[]> {
  const maxMs = phase.maxMs * targets.length;
  const got = await m.measured(notes, what, async () => {
    const { result, cpuUs } = await withCpu(
      targets.map((t) => t.cpu ?? none),
      () => load.channel.call<SequentialResult[]>('interleaved', { targets: targets.map((t) => t.target), rounds: phase.requests, warmup: phase.warmup, maxMs, stream }, maxMs + 120_000),
      (runs, i) => served(runs[i], phase.warmup),
    );
    return { runs: result.map((r, i) => ({ ...r, serverCpuUs: cpuUs[i] })) };
  });
  return targets.map((_, i) => (got ? { ...got.runs[i]!, foreignCores: got.foreignCores, stealCores: got.stealCores } : null));
}

/** Where the format runs send their requests. */
export interface FormatOrigins {
  relay: string;
  relayCpu?: Cpu;
  /** The OpenAI-protocol mock (chat and Responses) and the Anthropic one, with their CPU. */
  openai: string;
  openaiCpu?: Cpu;
  anthropic: string;
  anthropicCpu?: Cpu;
}

/** Responses and Messages clients of the node:http relay, native and translated, each against its direct call. */
export async function runFormats(m: Measurer, plan: Plan, load: Started, o: FormatOrigins): Promise<FormatRun[]> {
  const t = (origin: string, path: string, body: string, headers: Record<string, string>, end?: string): Target => ({ origin, path, headers, body, end });
  const cases: { id: FormatId; label: string; relay: (s: boolean) => Target; direct: (s: boolean) => Target; upstream: 'openai' | 'anthropic' }[] = [
    {
      id: 'responses-native',
      label: 'Responses client, OpenAI Responses target (native)',
      relay: (s) => t(o.relay, '/v1/responses', responsesBody(FORMAT_MODELS.responses, s), HEADERS, 'response.completed'),
      direct: (s) => t(o.openai, '/v1/responses', responsesBody(UPSTREAM_MODEL, s), HEADERS, 'response.completed'),
      upstream: 'openai',
    },
    {
      id: 'responses-translated',
      label: 'Responses client, chat target (translated)',
      relay: (s) => t(o.relay, '/v1/responses', responsesBody(MODEL, s), HEADERS, 'response.completed'),
      direct: (s) => t(o.openai, P, chatBody(UPSTREAM_MODEL, s), HEADERS),
      upstream: 'openai',
    },
    {
      id: 'messages-native',
      label: 'Messages client, Anthropic target (native)',
      relay: (s) => t(o.relay, '/v1/messages', messagesBody(FORMAT_MODELS.messages, s), ANTHROPIC, 'message_stop'),
      direct: (s) => t(o.anthropic, '/v1/messages', messagesBody('claude-bench', s), ANTHROPIC, 'message_stop'),
      upstream: 'anthropic',
    },
    {
      id: 'messages-translated',
      label: 'Messages client, chat target (translated)',
      relay: (s) => t(o.relay, '/v1/messages', messagesBody(MODEL, s), ANTHROPIC, 'message_stop'),
      direct: (s) => t(o.openai, P, chatBody(UPSTREAM_MODEL, s), HEADERS),
      upstream: 'openai',
    },
  ];
  const runs: FormatRun[] = cases.map((c) => ({ id: c.id, label: c.label, json: [], stream: [], directJson: [], directStream: [], notes: [] }));
  for (let rep = 0; rep < plan.repeats; rep++) {
    for (const stream of [false, true]) {
      m.log(`formats, ${stream ? 'streams' : 'JSON'}, repeat ${rep + 1}/${plan.repeats} (each with its direct call, interleaved)`);
      // All four relay cases and their direct calls in one interleaved run.
      const lanes = cases.flatMap((c) => [
        { target: c.relay(stream), cpu: o.relayCpu },
        { target: c.direct(stream), cpu: c.upstream === 'openai' ? o.openaiCpu : o.anthropicCpu },
      ]);
      const results = await interleaved(m, load, runs[0]!.notes, `formats ${stream ? 'stream' : 'json'}`, lanes, plan.formats, stream);
      cases.forEach((c, i) => {
        const r = runs[i]!;
        (stream ? r.stream : r.json)[rep] = results[2 * i] ?? null;
        (stream ? r.directStream : r.directJson)[rep] = results[2 * i + 1] ?? null;
        const x = results[2 * i];
        const d = results[2 * i + 1];
        const pick = (s: SequentialResult | null | undefined) => (stream ? s?.ttlb?.p50 : s?.latency?.p50);
        const bad = (x?.errors ?? 0) + (x?.incomplete ?? 0);
        m.log(`  ${c.id.padEnd(22)} ${fmt(pick(x))} (direct ${fmt(pick(d))})${bad ? `  failed=${bad}${x?.firstError ? ` (${x.firstError})` : ''}` : ''}`);
      });
    }
  }
  return runs;
}

/** Growth: the direct call, the floor and the node:http relay, per prompt size and per answer length. */
export async function runGrowth(m: Measurer, plan: Plan, load: Started, cases: Case[], notes: string[]): Promise<{ prompt: GrowthSeries; answer: GrowthSeries }> {
  const picked = cases.filter((c) => c.id === 'direct' || c.id === 'floor' || c.id === 'node');
  const prompt: GrowthSeries = { sizes: GROWTH_PROMPT_KB, runs: {} };
  const answer: GrowthSeries = { sizes: GROWTH_EVENTS, runs: {} };
  const model = (c: Case, events?: number) => (c.id === 'direct' ? (events ? `mock-w${events}` : UPSTREAM_MODEL) : events ? growthModel(events) : MODEL);
  const at = (c: Case, body: string): Target => ({ ...c.json, body });
  for (let rep = 0; rep < plan.repeats; rep++) {
    for (const [i, kb] of GROWTH_PROMPT_KB.entries()) {
      const results = await interleaved(m, load, notes, `growth prompt ${kb} KB`, picked.map((c) => ({ target: at(c, chatBody(model(c), false, kb)), cpu: c.cpu })), plan.growth, false);
      picked.forEach((c, k) => (((prompt.runs[c.id] ??= [])[i] ??= [])[rep] = results[k] ?? null));
      m.log(`  prompt ${String(kb).padStart(5)} KB: ${picked.map((c, k) => `${c.id} ${fmt(results[k]?.latency?.p50)} (${results[k]?.serverCpuUs ?? '-'} µs CPU)`).join('  ')}`);
    }
    for (const [i, events] of GROWTH_EVENTS.entries()) {
      const targets = picked.map((c) => ({ target: { ...c.stream, body: chatBody(model(c, events), true) }, cpu: c.cpu }));
      // Long answers take long: fewer of them, in the same time.
      const phase = { ...plan.growth, requests: Math.max(20, Math.round(plan.growth.requests / Math.max(1, events / 1_000))) };
      const results = await interleaved(m, load, notes, `growth answer ${events} events`, targets, phase, true);
      picked.forEach((c, k) => (((answer.runs[c.id] ??= [])[i] ??= [])[rep] = results[k] ?? null));
      m.log(`  answer ${String(events).padStart(6)} events: ${picked.map((c, k) => `${c.id} ${fmt(results[k]?.ttlb?.p50)} (${results[k]?.serverCpuUs ?? '-'} µs CPU)`).join('  ')}`);
    }
  }
  return { prompt, answer };
}

/** A caller limit and budget: the node:http relay on the memory store and on Redis, interleaved. */
export async function runStore(m: Measurer, plan: Plan, load: Started, memory: { origin: string; cpu?: Cpu }, redis: { origin: string; cpu?: Cpu }): Promise<{ memory: (SequentialResult | null)[]; redis: (SequentialResult | null)[]; notes: string[] }> {
  const notes: string[] = [];
  const out = { memory: [] as (SequentialResult | null)[], redis: [] as (SequentialResult | null)[], notes };
  const target = (origin: string): Target => ({ origin, path: P, headers: { ...HEADERS, 'x-user': 'bench-caller' }, body: chatBody(MODEL, false) });
  for (let rep = 0; rep < plan.repeats; rep++) {
    const [mem, red] = await interleaved(m, load, notes, 'store', [{ target: target(memory.origin), cpu: memory.cpu }, { target: target(redis.origin), cpu: redis.cpu }], plan.store, false);
    out.memory[rep] = mem ?? null;
    out.redis[rep] = red ?? null;
    m.log(`  store, repeat ${rep + 1}: memory p50 ${fmt(mem?.latency?.p50)}, Redis p50 ${fmt(red?.latency?.p50)}`);
  }
  return out;
}

/** Cases the many-streams run measures. */
export const MANY_STREAMS: CaseId[] = ['floor', 'node'];
