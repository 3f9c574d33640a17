import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        projects: [
            {
                test: {
                    name: "unit",
                    include: ["test/unit/**/*.test.ts"],
                    pool: "forks",
                    // The tiers run one after the other (unit, real, e2e): the real tests time
                    // Litestream and the e2e tests load the machine.
                    sequence: { groupOrder: 0 },
                    testTimeout: 30_000,
                },
            },
            {
                test: {
                    name: "real",
                    include: ["test/real/**/*.test.ts"],
                    pool: "forks",
                    sequence: { groupOrder: 1 },
                    // Real processes, ports and containers: one file at a time.
                    fileParallelism: false,
                    testTimeout: 300_000,
                    hookTimeout: 300_000,
                },
            },
            {
                test: {
                    name: "e2e",
                    include: ["test/e2e/**/*.test.ts"],
                    pool: "forks",
                    // Real `pulumi up` runs on the one Docker engine: one file at a time, and
                    // within a file one scenario after another (each builds on the last).
                    fileParallelism: false,
                    sequence: { concurrent: false, groupOrder: 2 },
                    testTimeout: 900_000,
                    hookTimeout: 900_000,
                },
            },
        ],
    },
});
