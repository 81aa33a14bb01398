// The part of autocannon's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Sampling interval (ms); the run stops on the first sample after `duration`. */
    sampleInt?: number;
    /** Seconds. */
    timeout?: number;
  }
  interface Result {
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    /** Seconds, as measured. */
    duration: number;
    totalRequests: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
