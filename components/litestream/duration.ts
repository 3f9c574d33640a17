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

/**
 * Formats nanoseconds the way Go's `time.Duration.String()` does ("5m0s", "1h0m0s", "1.5s",
 * "500ms"). The docker provider stores the health check durations it reads back from the
 * engine in this form, so the component renders them the same way: any other spelling ("5m")
 * shows as a change on every `pulumi preview` and, the health check being replace-only,
 * replaces the container on every `pulumi up`.
 */
export function formatGoDuration(ns: number): string {
    if (!Number.isSafeInteger(ns) || ns < 0) {
        throw new RangeError(`${ns} is not a whole, non-negative number of nanoseconds`);
    }
    if (ns === 0) return "0s";
    if (ns < 1e3) return `${ns}ns`;
    if (ns < 1e6) return `${fraction(ns, 1e3)}µs`;
    if (ns < SECOND_NS) return `${fraction(ns, 1e6)}ms`;
    const hours = Math.floor(ns / 3600e9);
    const minutes = Math.floor((ns % 3600e9) / 60e9);
    const seconds = fraction(ns % 60e9, SECOND_NS);
    return `${hours > 0 ? `${hours}h` : ""}${hours > 0 || minutes > 0 ? `${minutes}m` : ""}${seconds}s`;
}

/** `value / unit` with the fraction's trailing zeros dropped, in integer arithmetic. */
function fraction(value: number, unit: number): string {
    const whole = Math.floor(value / unit);
    const rest = value % unit;
    if (rest === 0) return `${whole}`;
    const digits = String(rest)
        .padStart(String(unit).length - 1, "0")
        .replace(/0+$/, "");
    return `${whole}.${digits}`;
}

/**
 * Writes a positive number of seconds, to the millisecond, as a Go duration in its shortest
 * spelling: {@link formatGoDuration} without its zero units (90 -> "1m30s", 3600 -> "1h",
 * 3602 -> "1h2s", 60.5 -> "1m0.5s"). For the Litestream config, which Litestream parses and
 * nothing reads back; a provider that reads a duration back wants {@link formatGoDuration}.
 */
export function shortGoDuration(seconds: number): string {
    const ms = Math.round(seconds * 1000);
    if (!(ms > 0)) throw new Error(`not a positive duration: ${seconds} s`);
    return formatGoDuration(ms * 1e6)
        .replace(/([hm])0m/, "$1")
        .replace(/([hm])0s$/, "$1");
}
