/** Go durations: parsing what Litestream reads, formatting what the docker provider reads back. */
import { describe, expect, it } from "vitest";
import { formatGoDuration, parseGoDuration, SECOND_NS } from "../../components/litestream/duration";

describe("formatGoDuration", () => {
    // Each expected string is what Go's time.Duration(ns).String() prints.
    it.each([
        [0, "0s"],
        [1, "1ns"],
        [1_500, "1.5µs"],
        [500_000_000, "500ms"],
        [1_250_000, "1.25ms"],
        [SECOND_NS, "1s"],
        [1.5 * SECOND_NS, "1.5s"],
        [10 * SECOND_NS, "10s"],
        [59 * SECOND_NS, "59s"],
        [60 * SECOND_NS, "1m0s"],
        [90 * SECOND_NS, "1m30s"],
        [300 * SECOND_NS, "5m0s"],
        [3600 * SECOND_NS, "1h0m0s"],
        [3661 * SECOND_NS, "1h1m1s"],
        [720 * 3600 * SECOND_NS, "720h0m0s"],
        [3600 * SECOND_NS + 500_000_000, "1h0m0.5s"],
    ])("formats %d ns as %s", (ns, text) => {
        expect(formatGoDuration(ns)).toBe(text);
    });

    it("round-trips through the parser", () => {
        for (const text of ["5m0s", "1h0m0s", "1.5s", "250ms", "72h0m0s"]) {
            expect(formatGoDuration(parseGoDuration(text) as number)).toBe(text);
        }
    });

    it("refuses what Go cannot print as a duration", () => {
        expect(() => formatGoDuration(-1)).toThrow(/not a whole, non-negative/);
        expect(() => formatGoDuration(0.5)).toThrow(/not a whole, non-negative/);
    });
});
