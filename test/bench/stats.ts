/**
 * @module
 * Latency distributions and the arithmetic over repeats. Latencies are recorded in
 * nanoseconds (from `process.hrtime.bigint()`) into an HDR histogram with three
 * significant digits, so a 300 µs value is exact to 0.3 µs; they are reported in µs.
 * (autocannon's own histogram records whole milliseconds, too coarse for a relay's cost,
 * so it is used for throughput only.)
 */
import * as hdr from 'hdr-histogram-js';

/** A latency distribution in microseconds. */
export interface Dist {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** A histogram of nanosecond values. */
export class Recorder {
  private readonly h = hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000_000, // 10 min in ns
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  record(ns: bigint | number): void {
    this.h.recordValue(Math.max(1, Number(ns)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  dist(): Dist {
    const us = (ns: number) => Math.round(ns / 100) / 10;
    return {
      count: this.h.totalCount,
      mean: us(this.h.mean),
      min: us(this.h.minNonZeroValue),
      p50: us(this.h.getValueAtPercentile(50)),
      p90: us(this.h.getValueAtPercentile(90)),
      p99: us(this.h.getValueAtPercentile(99)),
      p999: us(this.h.getValueAtPercentile(99.9)),
      max: us(this.h.maxValue),
    };
  }
}

/** Median, lowest and highest of the repeats of one number. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}
