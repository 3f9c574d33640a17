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
        ],
    },
});
