/**
 * Go `time.ParseDuration` syntax, as Litestream reads its intervals: one or more
 * `<number><unit>` pairs with units ns, us, µs, ms, s, m, h ("1h30m", "1.5h", "500ms").
 * Signs and spaces are not accepted here: every interval the component renders must be
 * positive.
 */

const UNIT_NS: Record<string, number> = {
    ns: 1,
    us: 1e3,
    µs: 1e3,
    μs: 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
};

const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a positive Go duration into nanoseconds, or returns undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
    if (text.length === 0) return undefined;
    let total = 0;
    PART.lastIndex = 0;
    while (PART.lastIndex < text.length) {
        const start = PART.lastIndex;
        const match = PART.exec(text);
        if (!match || match.index !== start) return undefined;
        total += parseFloat(match[1]) * UNIT_NS[match[2]];
    }
    return total > 0 ? total : undefined;
}

/** Nanoseconds in one second. */
export const SECOND_NS = 1e9;
