/**
 * What each end-to-end scenario measured (times, row counts), printed and appended as one JSON
 * line to `.e2e/results.jsonl` in the repository (git-ignored), so a run can be summarised.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "./stack";

const FILE = path.join(ROOT, ".e2e", "results.jsonl");

export function record(scenario: string, values: Record<string, number | string>): void {
    mkdirSync(path.dirname(FILE), { recursive: true });
    const line = { at: new Date().toISOString(), scenario, ...values };
    appendFileSync(FILE, `${JSON.stringify(line)}\n`);
    console.log(`[e2e] ${scenario}: ${JSON.stringify(values)}`);
}
