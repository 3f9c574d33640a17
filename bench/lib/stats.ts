/** Order statistics for the benchmark tables. */

/** Sorted copy. */
function sorted(values: number[]): number[] {
    return [...values].sort((a, b) => a - b);
}

/**
 * The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's
 * default): with n samples, p99 lies between the two largest.
 */
export function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN;
    const s = sorted(values);
    const rank = (p / 100) * (s.length - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export function median(values: number[]): number {
    return percentile(values, 50);
}

/** Median, spread and count of a set of runs. */
export interface Summary {
    n: number;
    median: number;
    min: number;
    max: number;
    p25: number;
    p75: number;
}

export function summarize(values: number[]): Summary {
    return {
        n: values.length,
        median: median(values),
        min: Math.min(...values),
        max: Math.max(...values),
        p25: percentile(values, 25),
        p75: percentile(values, 75),
    };
}

/** Uniform random number in [lo, hi). */
export function uniform(lo: number, hi: number): number {
    return lo + Math.random() * (hi - lo);
}
