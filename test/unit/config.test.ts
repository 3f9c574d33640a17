import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ReplicationPreset } from "../../components/args";
import { renderLitestreamConfig } from "../../components/litestream/config";
import { resolveDatabases } from "../../components/litestream/databases";
import { shortGoDuration, parseGoDuration } from "../../components/litestream/duration";
import {
    litestreamTimers,
    MAX_MONITOR_INTERVAL_SECONDS,
    monitorIntervalSeconds,
    PRESETS,
    resolveTiming,
} from "../../components/litestream/timing";

const R2 = {
    bucket: "meds-backups",
    endpoint: "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
    region: "auto",
};

/** Every key path in a parsed document, arrays marked as []. */
function keyPaths(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v) => keyPaths(v, `${prefix}[]`));
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => {
            const path = prefix ? `${prefix}.${k}` : k;
            return [path, ...keyPaths(v, path)];
        });
    }
    return [];
}

const CREDENTIAL_WORDS = /access|secret|key-id|password|token|AKIA/i;

describe("renderLitestreamConfig", () => {
    const personal = renderLitestreamConfig({
        target: R2,
        databases: resolveDatabases("/app/data", ["meds.db"], "meds"),
        timing: resolveTiming({ preset: ReplicationPreset.Personal }),
        retentionEnabled: true,
    });

    it("renders one r2 database with preset personal", () => {
        expect(parse(personal)).toEqual({
            snapshot: { interval: "24h", retention: "168h" },
            levels: [{ interval: "1h" }],
            "l0-retention-check-interval": "24h",
            dbs: [
                {
                    path: "/app/data/meds.db",
                    "monitor-interval": "4m",
                    "checkpoint-interval": "1h2m",
                    replica: {
                        type: "s3",
                        bucket: "meds-backups",
                        path: "meds/meds.db",
                        endpoint: R2.endpoint,
                        region: "auto",
                        "sync-interval": "1h",
                    },
                },
            ],
        });
    });

    it("emits exactly the keys Litestream 0.5 reads", () => {
        expect(keyPaths(parse(personal)).sort()).toEqual(
            [
                "snapshot",
                "snapshot.interval",
                "snapshot.retention",
                "levels",
                "levels[].interval",
                "l0-retention-check-interval",
                "dbs",
                "dbs[].path",
                "dbs[].monitor-interval",
                "dbs[].checkpoint-interval",
                "dbs[].replica",
                "dbs[].replica.type",
                "dbs[].replica.bucket",
                "dbs[].replica.path",
                "dbs[].replica.endpoint",
                "dbs[].replica.region",
                "dbs[].replica.sync-interval",
            ].sort(),
        );
    });

    it("holds no credential", () => {
        expect(personal).not.toMatch(CREDENTIAL_WORDS);
        expect(personal).not.toContain("${");
    });

    it("matches the snapshot", () => {
        expect(personal).toMatchInlineSnapshot(`
          "snapshot:
            interval: 24h
            retention: 168h
          levels:
            - interval: 1h
          l0-retention-check-interval: 24h
          dbs:
            - path: /app/data/meds.db
              monitor-interval: 4m
              checkpoint-interval: 1h2m
              replica:
                type: s3
                bucket: meds-backups
                path: meds/meds.db
                endpoint: https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com
                region: auto
                sync-interval: 1h
          "
        `);
    });

    it("gives each database its own replica path, several at once", () => {
        const yaml = renderLitestreamConfig({
            target: { bucket: "b", endpoint: "http://s3:7070", region: "us-east-1" },
            databases: resolveDatabases(
                "/data",
                ["a.db", "tenants/b.db", "/data/c.sqlite"],
                "apps/x",
            ),
            timing: resolveTiming(undefined),
            retentionEnabled: true,
            metricsPort: 9090,
        });
        const doc = parse(yaml);
        expect(doc.addr).toBe(":9090");
        expect(doc.dbs.map((d: { path: string }) => d.path)).toEqual([
            "/data/a.db",
            "/data/tenants/b.db",
            "/data/c.sqlite",
        ]);
        expect(doc.dbs.map((d: { replica: { path: string } }) => d.replica.path)).toEqual([
            "apps/x/a.db",
            "apps/x/tenants/b.db",
            "apps/x/c.sqlite",
        ]);
        expect(doc.dbs[0].replica.endpoint).toBe("http://s3:7070");
        expect(doc.dbs[0].replica["sync-interval"]).toBe("10s");
        expect(doc.snapshot).toEqual({ interval: "1h", retention: "72h" });
        expect(yaml).toMatchInlineSnapshot(`
          "addr: :9090
          snapshot:
            interval: 1h
            retention: 72h
          levels:
            - interval: 5m
          l0-retention-check-interval: 1h
          dbs:
            - path: /data/a.db
              monitor-interval: 10s
              checkpoint-interval: 1m5s
              replica:
                type: s3
                bucket: b
                path: apps/x/a.db
                endpoint: http://s3:7070
                region: us-east-1
                sync-interval: 10s
            - path: /data/tenants/b.db
              monitor-interval: 10s
              checkpoint-interval: 1m5s
              replica:
                type: s3
                bucket: b
                path: apps/x/tenants/b.db
                endpoint: http://s3:7070
                region: us-east-1
                sync-interval: 10s
            - path: /data/c.sqlite
              monitor-interval: 10s
              checkpoint-interval: 1m5s
              replica:
                type: s3
                bucket: b
                path: apps/x/c.sqlite
                endpoint: http://s3:7070
                region: us-east-1
                sync-interval: 10s
          "
        `);
    });

    it("leaves the endpoint out when the target has none (AWS S3 by region)", () => {
        const doc = parse(
            renderLitestreamConfig({
                target: { bucket: "b", region: "eu-central-1" },
                databases: resolveDatabases("/data", ["a.db"], "p"),
                timing: resolveTiming(undefined),
                retentionEnabled: true,
            }),
        );
        expect(doc.dbs[0].replica).not.toHaveProperty("endpoint");
        expect(doc.dbs[0].replica.region).toBe("eu-central-1");
    });

    it("enables the control socket the health check reads, when asked", () => {
        const doc = parse(
            renderLitestreamConfig({
                target: R2,
                databases: resolveDatabases("/data", ["a.db"], "p"),
                timing: resolveTiming(undefined),
                retentionEnabled: true,
                socketPath: "/var/run/litestream.sock",
            }),
        );
        expect(doc.socket).toEqual({ enabled: true, path: "/var/run/litestream.sock" });
    });

    it("sets Litestream's timers from the timing, and leaves them to Litestream when asked", () => {
        const input = {
            target: R2,
            databases: resolveDatabases("/data", ["a.db", "b.db"], "p"),
            retentionEnabled: true,
        };
        const critical = parse(
            renderLitestreamConfig({
                ...input,
                timing: resolveTiming({ preset: ReplicationPreset.Critical }),
            }),
        );
        expect(critical.levels).toEqual([{ interval: "2m30s" }, { interval: "1h" }]);
        expect(critical["l0-retention-check-interval"]).toBe("6h");
        for (const db of critical.dbs) {
            expect(db["monitor-interval"]).toBe("1s");
            expect(db["checkpoint-interval"]).toBe("1m0.5s");
            expect(db.replica["sync-interval"]).toBe("1s");
        }
        // Every duration the renderer writes is one Litestream (Go) can read.
        for (const d of [
            ...critical.levels.map((l: { interval: string }) => l.interval),
            critical["l0-retention-check-interval"],
            critical.dbs[0]["monitor-interval"],
            critical.dbs[0]["checkpoint-interval"],
        ]) {
            expect(parseGoDuration(d), d).toBeGreaterThan(0);
        }
        const defaults = renderLitestreamConfig({
            ...input,
            timing: resolveTiming({
                preset: ReplicationPreset.Critical,
                litestreamDefaults: true,
            }),
        });
        expect([...new Set(keyPaths(parse(defaults)))].sort()).toEqual(
            [
                "snapshot",
                "snapshot.interval",
                "snapshot.retention",
                "dbs",
                "dbs[].path",
                "dbs[].replica",
                "dbs[].replica.type",
                "dbs[].replica.bucket",
                "dbs[].replica.path",
                "dbs[].replica.endpoint",
                "dbs[].replica.region",
                "dbs[].replica.sync-interval",
            ].sort(),
        );
        expect(parse(defaults).snapshot).toEqual({ interval: "6h", retention: "720h" });
    });

    it("refers to Litestream's heartbeat URL by its variable, and only when one is set", () => {
        const base = {
            target: R2,
            databases: resolveDatabases("/data", ["a.db"], "p"),
            timing: resolveTiming(undefined),
            retentionEnabled: true,
        };
        const yaml = renderLitestreamConfig({ ...base, heartbeat: { interval: "1m" } });
        expect(yaml).toContain(
            'heartbeat-url: "${LITESTREAM_HEARTBEAT_URL}"\nheartbeat-interval: 1m\n',
        );
        expect(parse(yaml)["heartbeat-url"]).toBe("${LITESTREAM_HEARTBEAT_URL}");
        // Litestream's default interval (5m) when none is given.
        expect(parse(renderLitestreamConfig({ ...base, heartbeat: {} }))).not.toHaveProperty(
            "heartbeat-interval",
        );
        const without = parse(renderLitestreamConfig(base));
        expect(without).not.toHaveProperty("heartbeat-url");
        expect(without).not.toHaveProperty("heartbeat-interval");
        // What Litestream reads once it has expanded the variable (os.ExpandEnv, then YAML).
        const url = "https://hc-ping.com/5f1e0c3a?x=1&y=#z";
        expect(parse(yaml.replace("${LITESTREAM_HEARTBEAT_URL}", url))["heartbeat-url"]).toBe(url);
    });

    it("turns Litestream retention off for append-only storage", () => {
        const doc = parse(
            renderLitestreamConfig({
                target: R2,
                databases: resolveDatabases("/data", ["a.db"], "p"),
                timing: resolveTiming(undefined),
                retentionEnabled: false,
            }),
        );
        expect(doc.retention).toEqual({ enabled: false });
    });
});

describe("timing", () => {
    it("follows the preset table", () => {
        expect(PRESETS).toEqual({
            personal: { syncInterval: "1h", snapshotInterval: "24h", retention: "168h" },
            active: { syncInterval: "10s", snapshotInterval: "1h", retention: "72h" },
            critical: { syncInterval: "1s", snapshotInterval: "6h", retention: "720h" },
        });
    });

    it("defaults to active and lets explicit intervals override the preset one by one", () => {
        expect(resolveTiming(undefined)).toEqual({
            ...PRESETS.active,
            timers: {
                monitorInterval: "10s",
                checkpointInterval: "1m5s",
                levels: ["5m"],
                l0RetentionCheckInterval: "1h",
            },
        });
        expect(resolveTiming({ preset: ReplicationPreset.Critical, retention: "1000h" })).toEqual({
            syncInterval: "1s",
            snapshotInterval: "6h",
            retention: "1000h",
            timers: {
                monitorInterval: "1s",
                checkpointInterval: "1m0.5s",
                levels: ["2m30s", "1h"],
                l0RetentionCheckInterval: "6h",
            },
        });
        expect(
            resolveTiming({ preset: ReplicationPreset.Personal, litestreamDefaults: true }),
        ).toEqual(PRESETS.personal);
        expect(resolveTiming({ litestreamDefaults: false }).timers).toBeDefined();
    });

    it("sets the personal preset's timers", () => {
        expect(resolveTiming({ preset: ReplicationPreset.Personal }).timers).toEqual({
            monitorInterval: "4m",
            checkpointInterval: "1h2m",
            levels: ["1h"],
            l0RetentionCheckInterval: "24h",
        });
    });

    it("reads the WAL once a sync, or on an even division of it of at most 4 min", () => {
        expect(MAX_MONITOR_INTERVAL_SECONDS).toBe(240);
        expect(monitorIntervalSeconds(1)).toBe(1);
        expect(monitorIntervalSeconds(10)).toBe(10);
        expect(monitorIntervalSeconds(0.5)).toBe(0.5);
        expect(monitorIntervalSeconds(240)).toBe(240);
        expect(monitorIntervalSeconds(241)).toBe(120.5);
        expect(monitorIntervalSeconds(420)).toBe(210);
        expect(monitorIntervalSeconds(1800)).toBe(225);
        expect(monitorIntervalSeconds(3600)).toBe(240);
        expect(monitorIntervalSeconds(1e-7)).toBe(0.001);
    });

    it("keeps the preset's levels sensible for custom intervals", () => {
        // An hourly sync on critical: L1 no shorter than the 4 min monitor tick.
        expect(litestreamTimers(timing("1h", "6h", "720h"), ReplicationPreset.Critical)).toEqual({
            monitorInterval: "4m",
            checkpointInterval: "1h2m",
            levels: ["4m", "1h"],
            l0RetentionCheckInterval: "6h",
        });
        // Snapshots every 10 min on personal: L1 no longer than the snapshot interval.
        expect(
            litestreamTimers(timing("1m", "10m", "168h"), ReplicationPreset.Personal).levels,
        ).toEqual(["10m"]);
        // Critical with hourly snapshots: its 1 h level would repeat the snapshots.
        expect(
            litestreamTimers(timing("1s", "1h", "720h"), ReplicationPreset.Critical).levels,
        ).toEqual(["2m30s"]);
        // A sync of 30 min: eight ticks of 3 min 45 s; a checkpoint at most every 34 min.
        expect(litestreamTimers(timing("30m", "1h", "72h"))).toMatchObject({
            monitorInterval: "3m45s",
            checkpointInterval: "31m52.5s",
            levels: ["5m"],
        });
    });
});

function timing(syncInterval: string, snapshotInterval: string, retention: string) {
    return { syncInterval, snapshotInterval, retention };
}

describe("shortGoDuration", () => {
    it.each([
        [90, "1m30s"],
        [3600, "1h"],
        [3720, "1h2m"],
        [3602, "1h2s"],
        [60.5, "1m0.5s"],
        [0.5, "500ms"],
        [600, "10m"],
        [4200, "1h10m"],
        [150, "2m30s"],
    ])("writes %s s as %s, which Go reads back", (seconds, text) => {
        expect(shortGoDuration(seconds)).toBe(text);
        expect(parseGoDuration(text)).toBeCloseTo(seconds * 1e9, 0);
    });
    it("refuses what is not a positive duration", () => {
        expect(() => shortGoDuration(0)).toThrow(/not a positive duration/);
        expect(() => shortGoDuration(0.0004)).toThrow(/not a positive duration/);
    });
});

describe("parseGoDuration", () => {
    it.each([
        ["1h30m", 5400e9],
        ["1.5h", 5400e9],
        ["300ms", 0.3e9],
        ["2h45m10s", (2 * 3600 + 45 * 60 + 10) * 1e9],
        ["10us", 10e3],
        [".5s", 0.5e9],
    ])("reads %s", (text, ns) => {
        expect(parseGoDuration(text)).toBeCloseTo(ns, 0);
    });
    it.each(["", "10 s", "1d", "-1s", "10", "s", "0s", "1h 30m", "1.5.h", "+5s"])(
        "rejects %j",
        (text) => {
            expect(parseGoDuration(text)).toBeUndefined();
        },
    );
});
