/**
 * The Compose file, without mocks: rendered from a deployment plan, compared with a snapshot
 * and read back the way Compose reads it (YAML, then `$` interpolation) to check what matters:
 * every plan container is a service in the plan's order, one-shots gate what follows them,
 * files arrive byte for byte, and no secret is in the file.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
    ComposeInput,
    composeProjectName,
    LABEL_FILES_DIGEST,
    renderCompose,
} from "../../components/compose/render";
import {
    appVariables,
    CREDENTIAL_VARIABLES,
    referencedVariables,
} from "../../components/compose/variables";
import { resolveDatabases } from "../../components/litestream/databases";
import {
    ContainerPlan,
    deploymentPlan,
    DeploymentPlan,
    PlanInput,
} from "../../components/plan/plan";
import { localServerPlan } from "../../components/storage/local";

const IMAGE = "litestream/litestream:0.5.16";
const CONFIG = "dbs:\n  - path: /app/data/meds.db\n";
const OWNER_CONFIG = "dbs:\n  - path: /tmp/litestream-backup/owner/owner.db\n";
const LABELS = {
    "litestream-backup.project": "litestream-backup",
    "litestream-backup.stack": "prod",
    "litestream-backup.component": "meds",
};
const SECRET_VALUE = "s3cr3t-$HOME-value";

function plan(overrides: Partial<PlanInput> = {}): DeploymentPlan {
    return deploymentPlan({
        appName: "meds",
        app: {
            dataDir: "/app/data",
            command: ["sh", "-c", 'echo "$DB_PATH" && exec meds serve'],
            ports: [{ internal: 8080, external: 80 }],
        },
        databases: resolveDatabases("/app/data", ["meds.db", "audit/log.db"], "meds"),
        autoRestore: true,
        litestreamImage: IMAGE,
        syncInterval: "10s",
        ...overrides,
    });
}

function input(p: DeploymentPlan = plan(), overrides: Partial<ComposeInput> = {}): ComposeInput {
    const variables = appVariables(["API_TOKEN"]);
    return {
        plan: p,
        litestreamConfig: CONFIG,
        ownerConfig: OWNER_CONFIG,
        appImage: "ghcr.io/acme/meds:1.4.2",
        appEnv: [
            { key: "DB_PATH", value: "/app/data/meds.db" },
            { key: "PRICE", value: "costs $5, ${not} a variable" },
            { key: "API_TOKEN", variable: variables.get("API_TOKEN") },
        ],
        labels: LABELS,
        header: ["A header line."],
        appName: "meds",
        ...overrides,
    };
}

/** Compose's reading of a value: `$$` is `$`, `${NAME:?hint}` the variable's value. */
function interpolate(text: string, values: Record<string, string>): string {
    return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]*\}/g, (m, name?: string) => {
        if (m === "$$") return "$";
        if (name === undefined || values[name] === undefined) throw new Error(`unset ${m}`);
        return values[name];
    });
}

function interpolateDeep(value: unknown, values: Record<string, string>): unknown {
    if (typeof value === "string") return interpolate(value, values);
    if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, values));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, values)]),
        );
    }
    return value;
}

interface Service {
    image: string;
    container_name: string;
    entrypoint?: string[];
    command?: string[];
    user?: string;
    environment?: Record<string, string>;
    volumes?: { type: string; source: string; target: string }[];
    configs?: { source: string; target: string }[];
    ports?: { target: number; published: string }[];
    healthcheck?: { test: string[]; interval: string; timeout: string; retries: number };
    restart: string;
    stop_grace_period?: string;
    depends_on?: Record<string, { condition: string }>;
    labels: Record<string, string>;
}

interface Compose {
    name: string;
    services: Record<string, Service>;
    volumes: Record<string, { name: string; labels: Record<string, string> }>;
    networks: Record<string, { name: string; labels: Record<string, string> }>;
    configs: Record<string, { content: string }>;
}

const VALUES = {
    LITESTREAM_ACCESS_KEY_ID: "AKIDVALUE",
    LITESTREAM_SECRET_ACCESS_KEY: SECRET_VALUE,
    APP_API_TOKEN: "token-value",
};

/** The file as Compose sees it once the variables are set. */
function read(file: string): Compose {
    return interpolateDeep(parse(file), VALUES) as Compose;
}

/** The condition a service waits for on a container of the plan, from the plan alone. */
function expectedCondition(c: ContainerPlan): string {
    if (c.run === "once") return "service_completed_successfully";
    return c.waitHealthy ? "service_healthy" : "service_started";
}

describe("renderCompose", () => {
    const p = plan();
    const file = renderCompose(input(p));
    const compose = read(file);

    it("matches the snapshot", async () => {
        await expect(file).toMatchFileSnapshot("__snapshots__/compose-meds.yaml");
    });

    it("has one service a plan container, in the plan's order, under the plan's names", () => {
        expect(Object.keys(compose.services)).toEqual(p.containers.map((c) => c.key));
        for (const c of p.containers) {
            expect(compose.services[c.key].container_name).toBe(c.name);
        }
        expect(compose.name).toBe("meds");
        expect(composeProjectName("Meds.App_2")).toBe("meds-app_2");
        expect(compose.volumes.data.name).toBe("meds-data");
        expect(compose.networks.default.name).toBe("meds-network");
    });

    it("runs one-shots once and gates what follows them on exit 0, health or start", () => {
        const byKey = new Map(p.containers.map((c) => [c.key, c]));
        for (const c of p.containers) {
            const service = compose.services[c.key];
            expect(service.restart, c.key).toBe(c.run === "once" ? "no" : "unless-stopped");
            const expected = Object.fromEntries(
                c.after.map((key) => [
                    key,
                    { condition: expectedCondition(byKey.get(key) as ContainerPlan) },
                ]),
            );
            expect(service.depends_on ?? {}, c.key).toEqual(expected);
        }
        expect(compose.services.app.depends_on).toEqual({
            "restore-0": { condition: "service_completed_successfully" },
            "restore-1": { condition: "service_completed_successfully" },
            litestream: { condition: "service_healthy" },
        });
        // YAML 1.1 reads a bare `no` as false: it must be a quoted string in the text.
        expect(file).toContain('restart: "no"');
        expect(file).not.toMatch(/restart: no$/m);
    });

    it("mounts every file of the plan from an inline config, byte for byte", () => {
        for (const c of p.containers) {
            const mounted = compose.services[c.key].configs ?? [];
            expect(
                mounted.map((m) => m.target),
                c.key,
            ).toEqual(c.files.map((f) => f.path));
            for (const f of c.files) {
                const source = mounted.find((m) => m.target === f.path)?.source as string;
                const expected =
                    typeof f.content === "string"
                        ? f.content
                        : f.content.ref === "ownerConfig"
                          ? OWNER_CONFIG
                          : CONFIG;
                expect(compose.configs[source].content, `${c.key} ${f.path}`).toBe(expected);
            }
        }
        // One config a distinct file: the Litestream config is shared by four containers.
        expect(Object.keys(compose.configs)).toEqual([
            "litestream.yml",
            "litestream-preflight.sh",
            "litestream-owner.yml",
            "litestream-sidecar.sh",
            "litestream-healthcheck.sh",
        ]);
    });

    it("escapes every `$` of the files and commands, so Compose interpolates none of them", () => {
        const raw = parse(file) as Compose;
        const healthcheck = raw.configs["litestream-healthcheck.sh"].content;
        expect(healthcheck).toContain("list=$$(litestream list -socket");
        expect(healthcheck).not.toMatch(/(^|[^$])\$([^$]|$)/);
        expect(raw.services.app.command).toEqual([
            "sh",
            "-c",
            'echo "$$DB_PATH" && exec meds serve',
        ]);
        expect(raw.services.app.environment?.PRICE).toBe("costs $$5, $${not} a variable");
        expect(compose.services.app.environment?.PRICE).toBe("costs $5, ${not} a variable");
        // Every `$` left single is one of the references.
        const singles = file.replace(/\$\$/g, "").match(/\$\{[A-Z_]+:\?/g) ?? [];
        expect(file.replace(/\$\$/g, "").split("$").length - 1).toBe(singles.length);
    });

    it("holds no secret: the credential and the app's secret values are references", () => {
        for (const value of Object.values(VALUES)) expect(file).not.toContain(value);
        for (const c of p.containers.filter((x) => x.credentials)) {
            const env = (parse(file) as Compose).services[c.key].environment ?? {};
            expect(env.LITESTREAM_ACCESS_KEY_ID).toMatch(/^\$\{LITESTREAM_ACCESS_KEY_ID:\?/);
            expect(env.LITESTREAM_SECRET_ACCESS_KEY).toMatch(
                /^\$\{LITESTREAM_SECRET_ACCESS_KEY:\?/,
            );
            expect(compose.services[c.key].environment).toMatchObject({
                LITESTREAM_SECRET_ACCESS_KEY: SECRET_VALUE,
            });
        }
        expect(compose.services.app.environment).toEqual({
            DB_PATH: "/app/data/meds.db",
            PRICE: "costs $5, ${not} a variable",
            API_TOKEN: "token-value",
        });
        expect(compose.services.app.environment).not.toHaveProperty("LITESTREAM_ACCESS_KEY_ID");
        expect(referencedVariables(file).map((v) => v.name)).toEqual([
            "LITESTREAM_ACCESS_KEY_ID",
            "LITESTREAM_SECRET_ACCESS_KEY",
            "APP_API_TOKEN",
        ]);
    });

    it("carries the sidecar's health check, users, ports, grace periods and labels", () => {
        const sidecar = p.containers.find((c) => c.key === "litestream") as ContainerPlan;
        expect(compose.services.litestream.healthcheck).toEqual({
            test: ["CMD", ...(sidecar.healthcheck?.command ?? [])],
            interval: "10s",
            timeout: `${sidecar.healthcheck?.timeoutSeconds}s`,
            retries: 3,
            start_period: "540s",
        });
        expect(compose.services.litestream.stop_grace_period).toBe("40s");
        expect(compose.services.litestream.user).toBe("0:0");
        expect(file).toContain('user: "0:0"');
        expect(compose.services.app.ports).toEqual([{ target: 8080, published: "80" }]);
        expect(compose.services.app.user).toBeUndefined();
        for (const c of p.containers) {
            const { [LABEL_FILES_DIGEST]: digest, ...labels } = compose.services[c.key].labels;
            expect(labels).toEqual({ ...LABELS, ...c.labels });
            if (c.files.length > 0) expect(digest, c.key).toMatch(/^[0-9a-f]{16}$/);
            else expect(digest, c.key).toBeUndefined();
        }
        expect(compose.volumes.data.labels).toEqual({
            ...LABELS,
            "litestream-backup.role": "data",
        });
        expect(compose.networks.default.labels).toEqual(LABELS);
    });

    it("changes a service's definition when its files change, so Compose recreates it", () => {
        const digest = (file: string, key: string) =>
            read(file).services[key].labels[LABEL_FILES_DIGEST];
        const other = renderCompose(input(p, { litestreamConfig: `${CONFIG}# changed\n` }));
        for (const key of ["preflight", "restore-0", "litestream"]) {
            expect(digest(other, key), key).not.toBe(digest(file, key));
        }
        expect(digest(other, "app")).toBeUndefined();
        expect(renderCompose(input(p))).toBe(file);
    });

    it("renders containers added to the plan later with no Compose-specific code", () => {
        const base = plan();
        const once = (key: string, after: string[]): ContainerPlan => ({
            key,
            role: "restore",
            name: `meds-${key}`,
            image: IMAGE,
            command: ["true"],
            files: [{ path: "/etc/litestream.yml", content: { ref: "litestreamConfig" } }],
            credentials: true,
            appEnv: false,
            dataVolume: true,
            controlVolume: false,
            secretEnv: [],
            run: "once",
            after,
            waitHealthy: false,
            ports: [],
            labels: {},
        });
        const chown = once("ownership", []);
        const verifier: ContainerPlan = {
            ...once("verify", ["litestream"]),
            run: "service",
            files: [{ path: "/etc/verify.sh", content: 'echo "$1"' }],
        };
        const extended: DeploymentPlan = {
            ...base,
            containers: [
                chown,
                ...base.containers.map((c) =>
                    c.key === "preflight" ? { ...c, after: ["ownership"] } : c,
                ),
                verifier,
            ],
        };
        const out = read(renderCompose(input(extended)));
        expect(Object.keys(out.services)).toEqual(extended.containers.map((c) => c.key));
        expect(out.services.preflight.depends_on).toEqual({
            ownership: { condition: "service_completed_successfully" },
        });
        expect(out.services.verify.depends_on).toEqual({
            litestream: { condition: "service_healthy" },
        });
        expect(out.configs["verify.sh"].content).toBe('echo "$1"');
    });

    it("drops the restores without autoRestore; the sidecar then follows the preflight", () => {
        const out = read(renderCompose(input(plan({ autoRestore: false }))));
        expect(Object.keys(out.services)).toEqual(["preflight", "litestream", "app"]);
        expect(out.services.app.depends_on).toEqual({
            litestream: { condition: "service_healthy" },
        });
    });

    it("runs the local S3 server first, healthy before the preflight, with the credential as its keys", () => {
        const server = localServerPlan("meds", "versity/versitygw:v1.8.0", "meds-prod");
        const text = renderCompose(input(plan(), { server }));
        const out = read(text);
        expect(Object.keys(out.services)[0]).toBe("s3");
        expect(out.services.s3).toMatchObject({
            container_name: "meds-s3",
            image: "versity/versitygw:v1.8.0",
            restart: "unless-stopped",
            environment: {
                BUCKET: "meds-prod",
                ROOT_ACCESS_KEY_ID: "AKIDVALUE",
                ROOT_SECRET_ACCESS_KEY: SECRET_VALUE,
            },
            volumes: [{ type: "volume", source: "s3-data", target: "/data" }],
            labels: LABELS,
        });
        expect(out.services.s3.command?.[0]).toContain('mkdir -p "/data/$BUCKET"');
        expect(out.services.s3.healthcheck?.test).toEqual(["CMD", ...server.healthcheck.command]);
        expect(out.services.preflight.depends_on).toEqual({
            s3: { condition: "service_healthy" },
        });
        expect(out.volumes["s3-data"].name).toBe("meds-s3-data");
        expect(text).not.toContain(SECRET_VALUE);
        expect(referencedVariables(text).map((v) => v.name)).toEqual(
            CREDENTIAL_VARIABLES.map((v) => v.name).concat("APP_API_TOKEN"),
        );
    });

    it("quotes whatever another YAML reader could take for a number, boolean or time", () => {
        const out = renderCompose(
            input(plan(), {
                appEnv: [
                    { key: "A", value: "yes" },
                    { key: "B", value: "0777" },
                    { key: "C", value: "1:30" },
                    { key: "D", value: "0o17" },
                    { key: "E", value: "~" },
                ],
            }),
        );
        for (const line of ['A: "yes"', 'B: "0777"', 'C: "1:30"', 'D: "0o17"', 'E: "~"']) {
            expect(out).toContain(line);
        }
        expect(read(out).services.app.environment).toEqual({
            A: "yes",
            B: "0777",
            C: "1:30",
            D: "0o17",
            E: "~",
        });
    });
});
