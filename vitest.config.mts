import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        projects: [
            {
                test: {
                    name: "unit",
                    include: ["test/unit/**/*.test.ts"],
                    pool: "forks",
                    testTimeout: 30_000,
                },
            },
            {
                test: {
                    name: "real",
                    include: ["test/real/**/*.test.ts"],
                    pool: "forks",
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
                    sequence: { concurrent: false },
                    testTimeout: 900_000,
                    hookTimeout: 900_000,
                },
            },
        ],
    },
});
