/**
 * Pure checks of LitestreamBackupArgs. Every rule names the field path and says how to fix
 * it. Nothing here creates a resource: the component runs these before any child exists.
 * Values that are still Outputs are checked by the same functions once they are known.
 */
import * as posixPath from "node:path/posix";
import {
    AppArgs,
    DockerArgs,
    KubernetesArgs,
    LitestreamArgs,
    LitestreamBackupArgs,
    ReplicationArgs,
    ReplicationPreset,
    StorageArgs,
    StorageProvider,
    VerifyArgs,
} from "./args";
import { MAX_ID, parseAppUser } from "./app-user";
import { parseGoDuration } from "./litestream/duration";
import { resolveTiming } from "./litestream/timing";
import { storageFlagIssues } from "./storage/append-only";

/** One failed rule: the field path and what to do about it. */
export interface ArgIssue {
    propertyPath: string;
    reason: string;
}

const PROVIDERS = Object.values(StorageProvider) as string[];
const PRESET_NAMES = Object.values(ReplicationPreset) as string[];
const R2_JURISDICTIONS = ["default", "eu", "fedramp"];
const R2_LOCATIONS = ["apac", "eeur", "enam", "weur", "wnam", "oc"];

/**
 * The lowest Litestream release the component deploys. 0.5.4 and 0.5.5 fail on R2,
 * `-restore-if-db-not-exists` and `retention.enabled` came later, and before 0.5.13 an idle
 * database is not re-synced, so the health check would take it for a stalled replica.
 */
export const MIN_LITESTREAM = [0, 5, 13] as const;

/** Which providers read each provider-specific storage field. */
const PROVIDER_FIELDS: Record<string, StorageProvider[]> = {
    accountId: [StorageProvider.R2],
    jurisdiction: [StorageProvider.R2],
    location: [StorageProvider.R2],
    r2PermissionGroupIds: [StorageProvider.R2],
    region: [StorageProvider.S3, StorageProvider.S3Compatible],
    endpoint: [StorageProvider.S3Compatible],
    accessKeyId: [StorageProvider.S3Compatible],
    secretAccessKey: [StorageProvider.S3Compatible],
    localImage: [StorageProvider.Local],
};

const S3_COMPATIBLE_REQUIRED: Record<string, string> = {
    endpoint: "set it to the S3 API URL of your service, e.g. `https://s3.example.com`",
    bucketName: "set it to the name of the existing bucket",
    accessKeyId: "set it with `pulumi config set --secret` to a key that can use the bucket",
    secretAccessKey: "set it with `pulumi config set --secret` to the key's secret",
};

function code(value: unknown): string {
    return "`" + String(value) + "`";
}

function isPlainString(value: unknown): value is string {
    return typeof value === "string";
}

function isPort(value: unknown): boolean {
    return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** Checks a bucket name against the provider's naming rules; undefined when valid. */
export function bucketNameProblem(provider: StorageProvider, name: string): string | undefined {
    const field = "`storage.bucketName`";
    if (name.length < 3 || name.length > 63) {
        return `${field} ${code(name)} has ${name.length} characters: bucket names have 3 to 63.`;
    }
    if (/[A-Z]/.test(name)) {
        return `${field} ${code(name)} has uppercase letters: use lowercase letters only.`;
    }
    if (provider === StorageProvider.R2 && name.includes(".")) {
        return `${field} ${code(name)} has a dot: R2 bucket names may hold only a-z, 0-9 and \`-\`.`;
    }
    if (!/^[a-z0-9.-]+$/.test(name)) {
        return `${field} ${code(name)} has characters other than a-z, 0-9, \`.\` and \`-\`: remove them.`;
    }
    if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) {
        return `${field} ${code(name)} must begin and end with a letter or digit.`;
    }
    if (name.includes("..")) {
        return `${field} ${code(name)} has two dots in a row: remove one.`;
    }
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
        return `${field} ${code(name)} is formatted as an IP address: pick a name with letters.`;
    }
    if (provider === StorageProvider.S3) {
        const prefix = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => name.startsWith(p));
        if (prefix) {
            return `${field} ${code(name)} starts with ${code(prefix)}, which AWS reserves: pick another name.`;
        }
        const suffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
        const suffix = suffixes.find((s) => name.endsWith(s));
        if (suffix) {
            return `${field} ${code(name)} ends with ${code(suffix)}, which AWS reserves: pick another name.`;
        }
    }
    return undefined;
}

/** Checks an S3 endpoint URL; undefined when valid. */
export function endpointProblem(endpoint: string): string | undefined {
    const field = "`storage.endpoint`";
    let url: URL;
    try {
        url = new URL(endpoint);
    } catch {
        return `${field} ${code(endpoint)} is not a URL: write it with its scheme, e.g. \`https://s3.example.com\` or \`http://minio:9000\`.`;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        return `${field} ${code(endpoint)} uses ${code(url.protocol.slice(0, -1))}: use an \`http://\` or \`https://\` URL.`;
    }
    if (
        url.username ||
        url.password ||
        url.search ||
        url.hash ||
        (url.pathname !== "/" && url.pathname !== "")
    ) {
        return `${field} ${code(endpoint)} has a path, query or credentials: give only the scheme, host and port, e.g. \`https://s3.example.com\`.`;
    }
    return undefined;
}

/** Checks a Cloudflare account id; undefined when valid. */
export function accountIdProblem(accountId: string): string | undefined {
    return /^[0-9a-f]{32}$/.test(accountId)
        ? undefined
        : `\`storage.accountId\` ${code(accountId)} is not a Cloudflare account id: copy the 32 hexadecimal characters from the dashboard's Account Home.`;
}

/** Checks an image reference is pinned to an exact tag or digest; undefined when valid. */
export function pinnedImageProblem(field: string, image: string): string | undefined {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (image.trim() === "" || /\s/.test(image)) {
        return `\`${field}\` ${code(image)} is not an image reference: write \`repository:tag\`.`;
    }
    if (colon < 0) {
        return `\`${field}\` ${code(image)} has no tag: pin an exact version, e.g. \`${image}:1.2.3\`.`;
    }
    if (lastSegment.slice(colon + 1) === "latest") {
        return `\`${field}\` ${code(image)} uses \`latest\`: pin an exact version so every deploy runs the same code.`;
    }
    return undefined;
}

/** Compares version triples. */
function versionBelow(v: readonly number[], floor: readonly number[]): boolean {
    for (let i = 0; i < 3; i++) {
        if (v[i] !== floor[i]) return v[i] < floor[i];
    }
    return false;
}

/** Checks the Litestream image: pinned, and a supported release when it is upstream's. */
export function litestreamImageProblem(image: string): string | undefined {
    const field = "litestream.image";
    const pinned = pinnedImageProblem(field, image);
    if (pinned) return pinned;
    const upstream = /^(?:docker\.io\/)?litestream\/litestream:(.+)$/.exec(image);
    if (!upstream) return undefined;
    const tag = upstream[1];
    const version = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(tag);
    if (!version) {
        return `\`${field}\` ${code(image)} is not a release tag: use an exact 0.5 release such as \`litestream/litestream:0.5.16\` (the \`-scratch\` variants have no shell for the health check).`;
    }
    const v = version.slice(1).map(Number);
    if (v[0] !== 0 || v[1] !== 5 || versionBelow(v, MIN_LITESTREAM)) {
        return `\`${field}\` ${code(image)} is Litestream ${v.join(".")}: the component needs 0.5.13 or later in the 0.5 line (older releases fail on R2, lack settings the config uses, or stop syncing idle databases, which the health check reads as a stall); use e.g. \`litestream/litestream:0.5.16\`.`;
    }
    return undefined;
}

/**
 * The shortest `verify.interval`. Each drill lists every level of each replica and downloads
 * the latest snapshot and every file after it: a drill every few seconds would multiply the
 * bucket's requests and download volume (a 1 GiB database every minute is about 43 TiB a month)
 * and keep a core busy with integrity checks, for no gain, since the replica changes at most
 * once a sync interval.
 */
export const MIN_VERIFY_INTERVAL = "1m";

/** The shortest heartbeat interval Litestream accepts (heartbeat.go MinHeartbeatInterval). */
export const MIN_HEARTBEAT_INTERVAL = "1m";

/**
 * Checks a push monitor's URL; undefined when valid. The value is a secret: no message
 * quotes it.
 */
export function heartbeatUrlProblem(field: string, value: unknown): string | undefined {
    const name = `\`${field}\``;
    const example = "e.g. `https://hc-ping.com/<uuid>`";
    if (typeof value !== "string" || value === "") {
        return `${name} must be the push monitor's URL as a string, ${example}.`;
    }
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return `${name} is not a URL: give the push monitor's ping URL with its scheme, ${example}.`;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        return `${name} uses ${code(url.protocol.slice(0, -1))}: use an \`http://\` or \`https://\` URL, ${example}.`;
    }
    if (url.username || url.password) {
        return `${name} holds a user name or password, which is not sent: use a ping URL that carries its key in the path, ${example}.`;
    }
    if (/\s/.test(value)) {
        return `${name} contains white space: copy the URL exactly as the monitor shows it.`;
    }
    return undefined;
}

function durationProblem(field: string, value: unknown): string | undefined {
    if (typeof value !== "string") {
        return `\`${field}\` must be a Go duration string such as \`10s\` or \`1h30m\`.`;
    }
    if (value.startsWith("-")) {
        return `\`${field}\` ${code(value)} is negative: give a positive duration such as \`10s\`.`;
    }
    if (parseGoDuration(value) === undefined) {
        return `\`${field}\` ${code(value)} is not a positive Go duration: write numbers with units and no spaces, e.g. \`10s\`, \`1h30m\` (units ns, us, ms, s, m, h; days are \`24h\`).`;
    }
    return undefined;
}

function checkStorage(name: string, storage: StorageArgs, issues: ArgIssue[]): void {
    const add = (field: string, reason: string) =>
        issues.push({ propertyPath: `storage.${field}`, reason });
    const provider = storage.provider;
    if (!PROVIDERS.includes(provider)) {
        add(
            "provider",
            `\`storage.provider\` is ${code(provider)}: set it to one of ${PROVIDERS.map(code).join(", ")}.`,
        );
        return;
    }
    const given = storage as unknown as Record<string, unknown>;
    for (const [field, providers] of Object.entries(PROVIDER_FIELDS)) {
        if (given[field] !== undefined && !providers.includes(provider)) {
            add(
                field,
                `\`storage.${field}\` is only used when \`storage.provider\` is ${providers.map(code).join(" or ")}: remove it, or change the provider.`,
            );
        }
    }
    if (provider === StorageProvider.R2) {
        if (storage.accountId === undefined || storage.accountId === "") {
            add(
                "accountId",
                "`storage.accountId` is required when `storage.provider` is `r2`: set it to your Cloudflare account id.",
            );
        } else if (isPlainString(storage.accountId)) {
            const problem = accountIdProblem(storage.accountId);
            if (problem) add("accountId", problem);
        }
        if (
            storage.jurisdiction !== undefined &&
            !R2_JURISDICTIONS.includes(storage.jurisdiction)
        ) {
            add(
                "jurisdiction",
                `\`storage.jurisdiction\` is ${code(storage.jurisdiction)}: use one of ${R2_JURISDICTIONS.map(code).join(", ")}.`,
            );
        }
        if (storage.location !== undefined && !R2_LOCATIONS.includes(storage.location)) {
            add(
                "location",
                `\`storage.location\` is ${code(storage.location)}: use one of ${R2_LOCATIONS.map(code).join(", ")}, or leave it out.`,
            );
        }
        const ids = storage.r2PermissionGroupIds;
        if (
            ids !== undefined &&
            (ids.length === 0 || ids.some((id) => !/^[0-9a-f]{32}$/.test(id)))
        ) {
            add(
                "r2PermissionGroupIds",
                "`storage.r2PermissionGroupIds` must list 32-character hexadecimal permission group ids: leave it out to look them up by name.",
            );
        }
    }
    if (provider === StorageProvider.S3Compatible) {
        for (const [field, fix] of Object.entries(S3_COMPATIBLE_REQUIRED)) {
            if (given[field] === undefined || given[field] === "") {
                add(
                    field,
                    `\`storage.${field}\` is required when \`storage.provider\` is \`s3-compatible\`: ${fix}.`,
                );
            }
        }
        if (isPlainString(storage.endpoint) && storage.endpoint !== "") {
            const problem = endpointProblem(storage.endpoint);
            if (problem) add("endpoint", problem);
        }
    }
    if (storage.region !== undefined) {
        if (provider === StorageProvider.S3 && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(storage.region)) {
            add(
                "region",
                `\`storage.region\` ${code(storage.region)} is not an AWS region: use a code such as \`us-east-1\` or \`eu-central-1\`.`,
            );
        } else if (
            provider === StorageProvider.S3Compatible &&
            !/^[A-Za-z0-9_-]+$/.test(storage.region)
        ) {
            add(
                "region",
                `\`storage.region\` ${code(storage.region)} is not a region name: use the region your service documents, e.g. \`us-east-1\`.`,
            );
        }
    }
    if (isPlainString(storage.bucketName)) {
        const problem = bucketNameProblem(provider, storage.bucketName);
        if (problem && storage.bucketName !== "") add("bucketName", problem);
    } else if (storage.bucketName === undefined && provider !== StorageProvider.S3Compatible) {
        const problem = bucketNameProblem(provider, defaultBucketName(name, "stack"));
        if (problem) {
            add(
                "bucketName",
                `\`storage.bucketName\` is not set and the component name ${code(name)} gives no valid bucket name: set \`storage.bucketName\`.`,
            );
        }
    }
    if (storage.path !== undefined) {
        const p = storage.path;
        if (p === "") {
            add(
                "path",
                "`storage.path` is empty: leave it out to use the component name, or give a prefix such as `meds`.",
            );
        } else if (p.startsWith("/") || p.endsWith("/")) {
            add(
                "path",
                `\`storage.path\` ${code(p)} starts or ends with \`/\`: write it without them, e.g. ${code(p.replace(/^\/+|\/+$/g, "") || "meds")}.`,
            );
        } else if (p.split("/").some((s) => s === "" || s === "." || s === "..")) {
            add(
                "path",
                `\`storage.path\` ${code(p)} has an empty, \`.\` or \`..\` segment: write plain segments such as \`apps/meds\`.`,
            );
        }
    }
    if (storage.localImage !== undefined && provider === StorageProvider.Local) {
        const problem = pinnedImageProblem("storage.localImage", storage.localImage);
        if (problem) add("localImage", problem);
    }
}

function checkApp(app: AppArgs, issues: ArgIssue[]): void {
    const add = (field: string, reason: string) =>
        issues.push({ propertyPath: `app.${field}`, reason });
    if (app.image === undefined || app.image === "") {
        add(
            "image",
            "`app.image` is required: set it to your app's image, pinned to a version, e.g. `ghcr.io/acme/meds:1.4.2`.",
        );
    } else if (isPlainString(app.image)) {
        const problem = pinnedImageProblem("app.image", app.image);
        if (problem) add("image", problem);
    }
    if (app.name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(app.name)) {
        add(
            "name",
            `\`app.name\` ${code(app.name)} is not a valid container name: use letters, digits, \`_\`, \`.\` and \`-\`, starting with a letter or digit.`,
        );
    }
    const dataDir = app.dataDir;
    let dataDirOk = false;
    if (typeof dataDir !== "string" || dataDir === "") {
        add(
            "dataDir",
            "`app.dataDir` is required: set it to the absolute path where your app keeps its databases, e.g. `/app/data`.",
        );
    } else if (!dataDir.startsWith("/")) {
        add(
            "dataDir",
            `\`app.dataDir\` ${code(dataDir)} is not absolute: write the full path inside the container, e.g. ${code("/" + dataDir.replace(/^\.?\/*/, ""))}.`,
        );
    } else if (dataDir === "/") {
        add(
            "dataDir",
            "`app.dataDir` is `/`: mount the data volume on a folder of its own, e.g. `/app/data`.",
        );
    } else if (
        posixPath.normalize(dataDir) !== dataDir &&
        posixPath.normalize(dataDir) + "/" !== dataDir
    ) {
        add(
            "dataDir",
            `\`app.dataDir\` ${code(dataDir)} is not a normalized path: write ${code(posixPath.normalize(dataDir))}.`,
        );
    } else {
        dataDirOk = true;
    }
    const databases = app.databases;
    if (!Array.isArray(databases) || databases.length === 0) {
        add(
            "databases",
            '`app.databases` lists no database: name at least one SQLite file, e.g. `["app.db"]`.',
        );
        return;
    }
    const root = dataDirOk ? posixPath.normalize(dataDir).replace(/\/$/, "") : undefined;
    const seen = new Map<string, number>();
    databases.forEach((db, i) => {
        const field = `databases[${i}]`;
        if (typeof db !== "string" || db.trim() === "") {
            add(field, `\`app.${field}\` is empty: give a file name such as \`app.db\`.`);
            return;
        }
        if (db.split("/").includes("..")) {
            add(
                field,
                `\`app.${field}\` ${code(db)} contains \`..\`: databases must stay inside \`app.dataDir\`; give a path below it.`,
            );
            return;
        }
        if (db.endsWith("/")) {
            add(
                field,
                `\`app.${field}\` ${code(db)} ends with \`/\`: name the database file, not a folder.`,
            );
            return;
        }
        if (!root) return;
        const full = db.startsWith("/") ? posixPath.normalize(db) : posixPath.join(root, db);
        if (!full.startsWith(root + "/")) {
            add(
                field,
                `\`app.${field}\` ${code(db)} is outside \`app.dataDir\` (${code(root)}): Litestream only sees the shared volume; move it under ${code(root + "/")}.`,
            );
            return;
        }
        // The sidecar keeps the volume's claim of the replica beside the databases, and the
        // claims' replica beside theirs (plan/claim.ts): names of that prefix are taken.
        if (posixPath.relative(root, full).startsWith(".litestream-backup")) {
            add(
                field,
                `\`app.${field}\` ${code(db)} starts with \`.litestream-backup\`, a name the Litestream sidecar keeps for itself: rename the database.`,
            );
            return;
        }
        const earlier = seen.get(full);
        if (earlier !== undefined) {
            add(
                field,
                `\`app.${field}\` ${code(db)} is the same database as \`app.databases[${earlier}]\`: list each database once.`,
            );
            return;
        }
        seen.set(full, i);
    });
    const externals = new Map<number, number>();
    (app.ports ?? []).forEach((port, i) => {
        const field = `ports[${i}]`;
        if (!isPort(port?.internal)) {
            add(
                `${field}.internal`,
                `\`app.${field}.internal\` is ${code(port?.internal)}: use a whole number from 1 to 65535.`,
            );
        }
        if (port?.external !== undefined && !isPort(port.external)) {
            add(
                `${field}.external`,
                `\`app.${field}.external\` is ${code(port.external)}: use a whole number from 1 to 65535, or leave it out to publish the internal port.`,
            );
            return;
        }
        const external = port?.external ?? port?.internal;
        if (isPort(external)) {
            const earlier = externals.get(external);
            if (earlier !== undefined) {
                add(
                    `${field}.external`,
                    `\`app.${field}\` publishes host port ${external} like \`app.ports[${earlier}]\`: each host port can be published once.`,
                );
            }
            externals.set(external, i);
        }
    });
    if (app.command !== undefined && (!Array.isArray(app.command) || app.command.length === 0)) {
        add(
            "command",
            "`app.command` is empty: leave it out to run the image's CMD, or list the command and its arguments.",
        );
    }
}

/** Checks `app.user` (a numeric `uid` or `uid:gid`); undefined when valid. */
export function appUserProblem(user: unknown): string | undefined {
    const field = "`app.user`";
    if (typeof user === "number") {
        return `${field} is the number ${code(user)}: write it as a string, \`"${user}"\` (or \`"uid:gid"\`, e.g. \`"1000:1000"\`).`;
    }
    if (typeof user !== "string") {
        return `${field} must be a string: a numeric \`uid\` or \`uid:gid\`, e.g. \`"1000:1000"\`.`;
    }
    if (user === "") {
        return `${field} is empty: leave it out to run the app as its image's user, or give a numeric \`uid\` or \`uid:gid\`, e.g. \`1000:1000\`.`;
    }
    if (parseAppUser(user) !== undefined) return undefined;
    if (/[A-Za-z]/.test(user)) {
        return `${field} ${code(user)} is a name: give numeric ids, \`uid\` or \`uid:gid\` (names differ between images and cannot be resolved here); \`docker run --rm --entrypoint id <app image>\` prints them, and \`uid=1000(node) gid=1000(node)\` is \`1000:1000\`.`;
    }
    if (/^(0|[1-9][0-9]*)(:(0|[1-9][0-9]*))?$/.test(user)) {
        return `${field} ${code(user)} is out of range: a uid and a gid are whole numbers from 0 to ${MAX_ID}.`;
    }
    return `${field} ${code(user)} is not \`uid\` or \`uid:gid\`: write one or two whole numbers without leading zeros, e.g. \`1000\` or \`1000:1000\`.`;
}

function checkReplication(replication: ReplicationArgs | undefined, issues: ArgIssue[]): void {
    if (replication === undefined) return;
    const add = (field: string, reason: string) =>
        issues.push({ propertyPath: `replication.${field}`, reason });
    checkReplicationTiming(replication, add);
    if (
        replication.litestreamDefaults !== undefined &&
        typeof replication.litestreamDefaults !== "boolean"
    ) {
        add(
            "litestreamDefaults",
            `\`replication.litestreamDefaults\` is ${code(replication.litestreamDefaults)}: use \`true\` (Litestream's own timer defaults) or \`false\` (the component's settings).`,
        );
    }
}

/** The preset and the three intervals, alone and against each other. */
function checkReplicationTiming(
    replication: ReplicationArgs,
    add: (field: string, reason: string) => void,
): void {
    if (replication.preset !== undefined && !PRESET_NAMES.includes(replication.preset)) {
        add(
            "preset",
            `\`replication.preset\` is ${code(replication.preset)}: use one of ${PRESET_NAMES.map(code).join(", ")}.`,
        );
        return;
    }
    let durationsOk = true;
    for (const field of ["syncInterval", "snapshotInterval", "retention"] as const) {
        if (replication[field] === undefined) continue;
        const problem = durationProblem(`replication.${field}`, replication[field]);
        if (problem) {
            add(field, problem);
            durationsOk = false;
        }
    }
    if (!durationsOk) return;
    const timing = resolveTiming(replication);
    const source = (field: "syncInterval" | "snapshotInterval" | "retention") =>
        replication[field] !== undefined
            ? ""
            : ` from preset ${code(replication.preset ?? ReplicationPreset.Active)}`;
    const ns = (d: string) => parseGoDuration(d) as number;
    if (ns(timing.syncInterval) > ns(timing.snapshotInterval)) {
        const field = replication.syncInterval !== undefined ? "syncInterval" : "snapshotInterval";
        add(
            field,
            `\`replication.syncInterval\` (${code(timing.syncInterval)}${source("syncInterval")}) is longer than \`replication.snapshotInterval\` (${code(timing.snapshotInterval)}${source("snapshotInterval")}): sync at least as often as you snapshot.`,
        );
    }
    if (ns(timing.retention) < ns(timing.snapshotInterval)) {
        const field = replication.retention !== undefined ? "retention" : "snapshotInterval";
        add(
            field,
            `\`replication.retention\` (${code(timing.retention)}${source("retention")}) is shorter than \`replication.snapshotInterval\` (${code(timing.snapshotInterval)}${source("snapshotInterval")}): keep backups for at least one snapshot interval, or no snapshot would be restorable.`,
        );
    }
}

/** Checks a Docker host URL; undefined when valid. */
export function dockerHostProblem(host: string): string | undefined {
    return /^(unix|tcp|ssh|npipe):\/\/\S+$/.test(host)
        ? undefined
        : `\`docker.host\` ${code(host)} is not a Docker host URL: use \`unix:///var/run/docker.sock\`, \`tcp://host:2376\` or \`ssh://user@host\`.`;
}

function checkDocker(docker: DockerArgs | undefined, issues: ArgIssue[]): void {
    if (docker === undefined) return;
    const add = (field: string, reason: string) =>
        issues.push({ propertyPath: `docker.${field}`, reason });
    if (docker.deploy !== undefined && typeof docker.deploy !== "boolean") {
        add(
            "deploy",
            `\`docker.deploy\` is \`${JSON.stringify(docker.deploy) ?? String(docker.deploy)}\`: use \`true\` or \`false\`, without quotes.`,
        );
    }
    if (docker.deploy === false) {
        // Nothing runs on a Docker host: the Compose file is deployed by whoever runs it.
        for (const field of ["host", "sshOpts"] as const) {
            if (docker[field] !== undefined) {
                add(
                    field,
                    `\`docker.${field}\` is only used when \`docker.deploy\` is true: with \`docker.deploy: false\` nothing is deployed on a Docker host (the \`composeFile\` output is run with Docker Compose instead). Remove it, or set \`docker.deploy\` to true.`,
                );
            }
        }
        return;
    }
    if (isPlainString(docker.host)) {
        const problem = dockerHostProblem(docker.host);
        if (problem) add("host", problem);
    }
    if (docker.sshOpts !== undefined) {
        if (!Array.isArray(docker.sshOpts) || docker.sshOpts.some((o) => typeof o !== "string")) {
            add(
                "sshOpts",
                '`docker.sshOpts` must be a list of strings, e.g. `["-o", "StrictHostKeyChecking=accept-new"]`.',
            );
        } else if (
            isPlainString(docker.host)
                ? !docker.host.startsWith("ssh://")
                : docker.host === undefined
        ) {
            add(
                "sshOpts",
                "`docker.sshOpts` is only used with an `ssh://` `docker.host`: remove it, or set the host.",
            );
        }
    }
}

/**
 * What a deployment through the Compose file alone (`docker.deploy: false`) cannot honour:
 * with `local` storage the S3 server and its volume are services of the Compose file, so
 * `pulumi destroy` never touches them and `storage.retainOnDelete` would do nothing.
 */
function checkComposeOnly(args: LitestreamBackupArgs, issues: ArgIssue[]): void {
    if (args.docker?.deploy !== false || args.storage?.provider !== StorageProvider.Local) return;
    if (args.storage.retainOnDelete !== undefined) {
        issues.push({
            propertyPath: "storage.retainOnDelete",
            reason: "`storage.retainOnDelete` has no effect when `docker.deploy` is false and `storage.provider` is `local`: the local S3 server and its volume are services of the Compose file, which `pulumi destroy` does not touch (`docker compose down -v` removes them). Remove it.",
        });
    }
}

/** A Go duration that is at least `floor`; undefined when valid. */
function durationAtLeastProblem(
    field: string,
    value: unknown,
    floor: string,
    why: string,
): string | undefined {
    const problem = durationProblem(field, value);
    if (problem) return problem;
    if ((parseGoDuration(value as string) as number) < (parseGoDuration(floor) as number)) {
        return `\`${field}\` ${code(value)} is shorter than ${code(floor)}: ${why}`;
    }
    return undefined;
}

/** An Output or a Promise: a value known only during the deployment, checked once it is known. */
function isOutputLike(value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const v = value as { apply?: unknown; then?: unknown };
    return typeof v.apply === "function" || typeof v.then === "function";
}

function checkBoolean(
    field: string,
    value: unknown,
    issues: ArgIssue[],
): value is boolean | undefined {
    if (value === undefined || typeof value === "boolean") return true;
    issues.push({
        propertyPath: field,
        reason: `\`${field}\` is \`${JSON.stringify(value) ?? String(value)}\`: use \`true\` or \`false\`, without quotes.`,
    });
    return false;
}

/**
 * The restore drills. `onKubernetes`: a drill on every deploy is a one-shot in the pod there,
 * which Kubernetes runs only when the pod starts; running it on each `pulumi up` would restart
 * the app, so it is refused.
 */
function checkVerify(
    verify: VerifyArgs | undefined,
    onKubernetes: boolean,
    issues: ArgIssue[],
): void {
    if (verify === undefined) return;
    if (verify === null || typeof verify !== "object" || Array.isArray(verify)) {
        issues.push({
            propertyPath: "verify",
            reason: '`verify` must be an object, e.g. `{ interval: "6h" }`, or left out for the defaults.',
        });
        return;
    }
    const enabledOk = checkBoolean("verify.enabled", verify.enabled, issues);
    const onDeployOk = checkBoolean("verify.onDeploy", verify.onDeploy, issues);
    if (verify.interval !== undefined) {
        const problem = durationAtLeastProblem(
            "verify.interval",
            verify.interval,
            MIN_VERIFY_INTERVAL,
            "each drill lists the replica and downloads its latest snapshot and every file after it, so drills this often would multiply requests and download volume and keep a core busy; use `1m` or more (the default is `6h`).",
        );
        if (problem) issues.push({ propertyPath: "verify.interval", reason: problem });
    }
    if (verify.heartbeatUrl !== undefined && !isOutputLike(verify.heartbeatUrl)) {
        const problem = heartbeatUrlProblem("verify.heartbeatUrl", verify.heartbeatUrl);
        if (problem) issues.push({ propertyPath: "verify.heartbeatUrl", reason: problem });
    }
    if (enabledOk && onDeployOk && verify.enabled === false && verify.onDeploy === true) {
        issues.push({
            propertyPath: "verify.onDeploy",
            reason: "`verify.onDeploy` is true but `verify.enabled` is false: a drill on deploy needs the verifier; set `verify.enabled` to true, or leave `verify.onDeploy` out.",
        });
    } else if (onDeployOk && verify.onDeploy === true && onKubernetes) {
        issues.push({
            propertyPath: "verify.onDeploy",
            reason: "`verify.onDeploy` is not available with `kubernetes`: the drill on deploy would be a one-shot in the app's pod, which Kubernetes runs only when the pod starts, so running it on every `pulumi up` would restart the app. Leave `verify.onDeploy` out (the verifier still runs a drill when it starts and every `verify.interval`), and run one by hand when you want: `kubectl --namespace <namespace> exec <statefulSetName>-0 -c <verifyContainerName> -- sh /etc/litestream-verify.sh once`.",
        });
    }
}

/** A lowercase RFC 1123 label: what Kubernetes accepts as a namespace or container name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The longest StatefulSet name: its pods carry the label `controller-revision-hash` =
 * `<name>-<hash of up to 10 characters>`, and a label value has at most 63.
 */
export const MAX_STATEFULSET_NAME = 52;

/**
 * The longest component name on Kubernetes: it names the ConfigMap, the Secrets and the Job,
 * which Pulumi names `<component>-<role>-<8 random characters>`, and the Job's name becomes a
 * label value of its pod (63 characters at most).
 */
export const MAX_KUBERNETES_COMPONENT_NAME = 40;

/** Checks a Kubernetes storage quantity such as `1Gi`; undefined when valid. */
export function storageSizeProblem(size: unknown): string | undefined {
    if (
        typeof size === "string" &&
        /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(size) &&
        /[1-9]/.test(size)
    ) {
        return undefined;
    }
    return `\`kubernetes.storageSize\` ${code(size)} is not a size: write a Kubernetes quantity such as \`1Gi\` or \`500Mi\`.`;
}

/** Checks a Kubernetes namespace name; undefined when valid. */
export function namespaceProblem(namespace: string): string | undefined {
    return DNS_LABEL.test(namespace) && namespace.length <= 63
        ? undefined
        : `\`kubernetes.namespace\` ${code(namespace)} is not a namespace name: use at most 63 lowercase letters, digits and \`-\`, starting and ending with a letter or digit.`;
}

/**
 * The Kubernetes target: not together with `docker`, and not with the `local` provider, whose
 * S3 server runs on a Docker host. Names that become Kubernetes names must be valid there.
 */
function checkKubernetes(name: string, args: LitestreamBackupArgs, issues: ArgIssue[]): void {
    const k = args.kubernetes as KubernetesArgs | undefined;
    if (k === undefined) return;
    const add = (propertyPath: string, reason: string) => issues.push({ propertyPath, reason });
    if (k === null || typeof k !== "object" || Array.isArray(k)) {
        add(
            "kubernetes",
            '`kubernetes` must be an object such as `{ namespace: "default" }` (`{}` for the defaults).',
        );
        return;
    }
    if (args.docker !== undefined) {
        add(
            "docker",
            "`docker` and `kubernetes` are both set: the app runs either on a Docker host or on Kubernetes. Remove `docker` to deploy on Kubernetes, or `kubernetes` to deploy on a Docker host.",
        );
    }
    if (args.storage?.provider === StorageProvider.Local) {
        add(
            "storage.provider",
            "`storage.provider` `local` runs its S3 server on a Docker host and is not available with `kubernetes`: use `s3-compatible` with an S3 server you run (in the cluster or elsewhere), or `r2` or `s3`.",
        );
    }
    if (isPlainString(k.namespace)) {
        const problem = namespaceProblem(k.namespace);
        if (problem) add("kubernetes.namespace", problem);
    }
    if (k.kubeconfig !== undefined && isPlainString(k.kubeconfig) && k.kubeconfig.trim() === "") {
        add(
            "kubernetes.kubeconfig",
            "`kubernetes.kubeconfig` is empty: leave it out to use the ambient kubeconfig, or give the content or path of one.",
        );
    }
    if (
        k.storageClassName !== undefined &&
        !(
            typeof k.storageClassName === "string" &&
            /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(k.storageClassName) &&
            k.storageClassName.length <= 253
        )
    ) {
        add(
            "kubernetes.storageClassName",
            `\`kubernetes.storageClassName\` ${code(k.storageClassName)} is not a storage class name: use lowercase letters, digits, \`-\` and \`.\` (\`kubectl get storageclass\` lists them), or leave it out for the cluster's default.`,
        );
    }
    if (k.storageSize !== undefined) {
        const problem = storageSizeProblem(k.storageSize);
        if (problem) add("kubernetes.storageSize", problem);
    }
    if (!DNS_LABEL.test(name) || name.length > MAX_KUBERNETES_COMPONENT_NAME) {
        add(
            "kubernetes",
            `The component name ${code(name)} cannot name Kubernetes objects (the ConfigMap, Secrets and Job are named after it): use at most ${MAX_KUBERNETES_COMPONENT_NAME} lowercase letters, digits and \`-\`, starting and ending with a letter or digit.`,
        );
    }
    const app = args.app;
    if (app === undefined || app === null) return;
    const statefulSet = app.name ?? name;
    if (
        typeof statefulSet === "string" &&
        (!DNS_LABEL.test(statefulSet) || statefulSet.length > MAX_STATEFULSET_NAME)
    ) {
        add(
            "app.name",
            `${app.name === undefined ? `\`app.name\` is not set, and the component name ${code(name)}` : `\`app.name\` ${code(app.name)}`} is not a StatefulSet name on Kubernetes: set \`app.name\` to at most ${MAX_STATEFULSET_NAME} lowercase letters, digits and \`-\`, starting and ending with a letter or digit.`,
        );
    }
    const envs = app.envs;
    if (typeof envs === "object" && envs !== null && !isOutputLike(envs)) {
        for (const key of Object.keys(envs)) {
            if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
                add(
                    `app.envs.${key}`,
                    `\`app.envs\` key ${code(key)} cannot be a key of the Secret the app's environment comes from on Kubernetes: use letters, digits, \`_\`, \`-\` and \`.\` only.`,
                );
            }
        }
    }
    (app.ports ?? []).forEach((port, i) => {
        if (port?.external !== undefined) {
            add(
                `app.ports[${i}].external`,
                `\`app.ports[${i}].external\` publishes a port on a Docker host, which Kubernetes does not have: remove it (the pod declares \`internal\` as a container port) and expose the app with a Service of your own.`,
            );
        }
    });
}

function checkLitestream(litestream: LitestreamArgs | undefined, issues: ArgIssue[]): void {
    if (litestream === undefined) return;
    if (litestream.heartbeatUrl !== undefined && !isOutputLike(litestream.heartbeatUrl)) {
        const problem = heartbeatUrlProblem("litestream.heartbeatUrl", litestream.heartbeatUrl);
        if (problem) issues.push({ propertyPath: "litestream.heartbeatUrl", reason: problem });
    }
    if (litestream.heartbeatInterval !== undefined) {
        const problem =
            litestream.heartbeatUrl === undefined
                ? "`litestream.heartbeatInterval` is set but `litestream.heartbeatUrl` is not: set the URL Litestream pings, or remove the interval."
                : durationAtLeastProblem(
                      "litestream.heartbeatInterval",
                      litestream.heartbeatInterval,
                      MIN_HEARTBEAT_INTERVAL,
                      "Litestream refuses a heartbeat interval under a minute and would not start; use `1m` or more (Litestream's default is `5m`).",
                  );
        if (problem) issues.push({ propertyPath: "litestream.heartbeatInterval", reason: problem });
    }
    if (litestream.image !== undefined) {
        const problem = litestreamImageProblem(litestream.image);
        if (problem) issues.push({ propertyPath: "litestream.image", reason: problem });
    }
    if (litestream.metricsPort !== undefined && !isPort(litestream.metricsPort)) {
        issues.push({
            propertyPath: "litestream.metricsPort",
            reason: `\`litestream.metricsPort\` is ${code(litestream.metricsPort)}: use a whole number from 1 to 65535.`,
        });
    }
}

/**
 * The default bucket name: `<component name>-<stack>`, lowercased, anything but a-z, 0-9
 * and `-` turned into `-`, trimmed to 63 characters.
 */
export function defaultBucketName(name: string, stack: string): string {
    return `${name}-${stack}`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .slice(0, 63)
        .replace(/^-+|-+$/g, "");
}

/** Every rule that the given args break, in field order. Empty when the args are valid. */
export function validateArgs(name: string, args: LitestreamBackupArgs): ArgIssue[] {
    const issues: ArgIssue[] = [];
    if (args === undefined || args === null || typeof args !== "object") {
        return [
            {
                propertyPath: "",
                reason: "The component needs args with at least `storage` and `app`.",
            },
        ];
    }
    if (args.storage === undefined || args.storage === null) {
        issues.push({
            propertyPath: "storage",
            reason: "`storage` is required: set at least `storage.provider` (`local` for a dev stack).",
        });
    } else {
        checkStorage(name, args.storage, issues);
        issues.push(...storageFlagIssues(args.storage));
        checkComposeOnly(args, issues);
    }
    if (args.app === undefined || args.app === null) {
        issues.push({
            propertyPath: "app",
            reason: "`app` is required: set at least `app.image`, `app.dataDir` and `app.databases`.",
        });
    } else {
        checkApp(args.app, issues);
        // Apart from checkApp, which stops early when no database is listed.
        const userProblem = args.app.user === undefined ? undefined : appUserProblem(args.app.user);
        if (userProblem) issues.push({ propertyPath: "app.user", reason: userProblem });
    }
    checkReplication(args.replication, issues);
    if (args.autoRestore !== undefined && typeof args.autoRestore !== "boolean") {
        issues.push({
            propertyPath: "autoRestore",
            reason: `\`autoRestore\` is ${code(args.autoRestore)}: use \`true\` or \`false\`.`,
        });
    }
    checkDocker(args.docker, issues);
    checkKubernetes(name, args, issues);
    checkLitestream(args.litestream, issues);
    checkVerify(args.verify, args.kubernetes !== undefined, issues);
    return issues;
}
