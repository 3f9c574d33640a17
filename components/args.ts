import type * as pulumi from "@pulumi/pulumi";

/** Where the backups are stored. */
export enum StorageProvider {
    /** An S3-compatible server container on the Docker host itself: the dev default, no account needed. */
    Local = "local",
    /** A new Cloudflare R2 bucket with an API token scoped to it. */
    R2 = "r2",
    /** A new AWS S3 bucket with an IAM user whose policy reaches only that bucket. */
    S3 = "s3",
    /** An existing bucket on any S3-compatible service (MinIO, B2, Wasabi, ...), with keys you give. */
    S3Compatible = "s3-compatible",
}

/**
 * Replication timing presets: how much data a crash may lose (about one sync interval)
 * traded against how many storage requests (money) replication makes.
 */
export enum ReplicationPreset {
    /** Rare changes: sync every 1h, snapshot every 24h, keep 168h (7 days). */
    Personal = "personal",
    /** Frequent writes: sync every 10s, snapshot every 1h, keep 72h (3 days). */
    Active = "active",
    /** Every write matters: sync every 1s, snapshot every 6h, keep 720h (30 days). */
    Critical = "critical",
}

/** Where backups go and which credential writes them. */
export interface StorageArgs {
    /**
     * The storage backend.
     * @example StorageProvider.R2
     */
    provider: StorageProvider;
    /**
     * The bucket. For `r2`, `s3` and `local` it is created under this name; for
     * `s3-compatible` it is the existing bucket and is required. S3 names are global
     * across all AWS accounts, so set a distinctive one for `s3`.
     * @default `r2`, `s3`, `local`: `<component name>-<stack>`, lowercased, other characters as `-`
     * @example "meds-backups-prod"
     */
    bucketName?: pulumi.Input<string>;
    /**
     * Key prefix inside the bucket. Each database is replicated under
     * `<path>/<database file name>`. No leading or trailing `/`.
     * @default the component name
     * @example "meds"
     */
    path?: string;
    /**
     * Cloudflare account id that owns the R2 bucket. Required for `r2`, used by no other provider.
     * @example "0123456789abcdef0123456789abcdef"
     */
    accountId?: pulumi.Input<string>;
    /**
     * R2 jurisdiction: `default`, `eu` or `fedramp`. It decides the endpoint
     * (`https://<account>.<jurisdiction>.r2.cloudflarestorage.com` for `eu` and `fedramp`).
     * `r2` only.
     * @default "default"
     */
    jurisdiction?: string;
    /**
     * R2 location hint for the new bucket: `apac`, `eeur`, `enam`, `weur`, `wnam` or `oc`.
     * `r2` only.
     * @default Cloudflare picks a location near the first request
     */
    location?: string;
    /**
     * Region. For `s3` the bucket's region; for `s3-compatible` the region the service
     * expects in request signatures. Not used by `r2` (always `auto`) or `local`.
     * @default `s3`: the region of the `aws` provider; `s3-compatible`: "us-east-1"
     * @example "eu-central-1"
     */
    region?: string;
    /**
     * S3 API endpoint of the existing bucket's service, an `http://` or `https://` URL.
     * Required for `s3-compatible`, used by no other provider. A plain-HTTP endpoint keeps its
     * `http://`; an endpoint without a scheme is rejected (Litestream would assume https).
     * @example "https://s3.eu-central-003.backblazeb2.com"
     */
    endpoint?: pulumi.Input<string>;
    /**
     * Access key id for the existing bucket. Required for `s3-compatible`, used by no other
     * provider. Set it with `pulumi config set --secret`; the component keeps it secret.
     */
    accessKeyId?: pulumi.Input<string>;
    /**
     * Secret access key for the existing bucket. Required for `s3-compatible`, used by no
     * other provider. Set it with `pulumi config set --secret`; the component keeps it secret.
     */
    secretAccessKey?: pulumi.Input<string>;
    /**
     * Make backups undeletable through the credential the server holds: the credential gets
     * no delete permission (`s3`), or a bucket lock forbids deleting or overwriting objects
     * younger than the retention period (`r2`). Litestream's own retention is then turned off
     * and a bucket lifecycle rule expires objects after the retention period instead. For
     * `s3-compatible` only the retention changes: the key you give must lack delete
     * permission. Not supported for `local`, whose backups sit on the app's own host.
     * @default false
     */
    appendOnly?: boolean;
    /**
     * Keep the bucket (and for `local`, the server's volume) when the component is deleted
     * or `pulumi destroy` runs, so backups outlive the stack. On `s3` the bucket keeps its
     * ownership controls, public-access block, encryption, TLS-only policy and versioning;
     * lifecycle rules, the R2 bucket lock and the scoped credential are always removed.
     * @default true for `r2` and `s3`, false for `local`
     */
    retainOnDelete?: boolean;
    /**
     * Image of the local S3 server (versitygw). `local` only. Pin an exact tag. The image
     * needs `sh`, `busybox` and `versitygw` on `PATH`, like the upstream image.
     * @default "versity/versitygw:v1.8.0"
     */
    localImage?: string;
    /**
     * Cloudflare permission group ids for the R2 token, instead of looking them up by name
     * (the groups of Cloudflare's "Object Read & Write" R2 token). `r2` only.
     * @default looked up by name with the Cloudflare provider
     */
    r2PermissionGroupIds?: string[];
}

/** A port of the app container. */
export interface PortArgs {
    /**
     * Port the app listens on inside the container.
     * @example 8080
     */
    internal: number;
    /**
     * Port published on the Docker host. Not used on Kubernetes, where the app's pod declares
     * `internal` as a container port and a Service of your own exposes it.
     * @default the same as `internal` (Docker only)
     */
    external?: number;
}

/** The app container that owns the SQLite databases. */
export interface AppArgs {
    /**
     * The app's image. Pin an exact tag or digest.
     * @example "ghcr.io/acme/meds:1.4.2"
     */
    image: pulumi.Input<string>;
    /**
     * Container name of the app; every other name derives from it. On Kubernetes it also names
     * the StatefulSet, so it must then be a lowercase DNS label of at most 52 characters.
     * @default the component name
     */
    name?: string;
    /**
     * Absolute path inside the app container where the shared data volume is mounted; the
     * Litestream sidecar mounts it at the same path.
     * @example "/app/data"
     */
    dataDir: string;
    /**
     * The SQLite databases to replicate: file names relative to `dataDir`, or absolute paths
     * inside `dataDir`. At least one.
     * @example ["meds.db"]
     */
    databases: string[];
    /**
     * Environment variables of the app container. Values may be secrets.
     * @default {}
     * @example { "DATABASE_PATH": "/app/data/meds.db" }
     */
    envs?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /**
     * Ports of the app container, published on the Docker host.
     * @default []
     * @example [{ internal: 8080, external: 80 }]
     */
    ports?: PortArgs[];
    /**
     * Command of the app container, replacing the image's `CMD`.
     * @default the image's `CMD`
     */
    command?: string[];
    /**
     * The user the app runs as: a numeric `uid` or `uid:gid` (names such as `node` are not
     * accepted: each image maps them to ids of its own; `docker run --rm --entrypoint id
     * <image>` prints the ids of an image's user). When it is set, a one-shot step gives the
     * data directory, each database, its `-wal` and `-shm` files and Litestream's
     * `.<db>-litestream` folder to this user after the restores and before the sidecar starts,
     * and the sidecar (root) then keeps the files it creates owned by the database's owner. A
     * bare `uid` changes only the owner: the app then needs no write access through its group.
     * `"0"` runs the app as root, whatever the image's `USER`, and needs no such step.
     * @default the image's `USER`, which must then be root: a restore writes the database as root
     * @example "1000:1000"
     */
    user?: string;
}

/** How often Litestream syncs and snapshots, and how long backups are kept. */
export interface ReplicationArgs {
    /**
     * Timing preset; the explicit intervals below override its values one by one.
     * @default ReplicationPreset.Active
     */
    preset?: ReplicationPreset;
    /**
     * How often new WAL frames are shipped to the bucket, as a Go duration. About the most
     * data a crash can lose. Litestream reads the WAL on the same beat (every sync interval,
     * or an even division of it of at most 4 min). Must not exceed `snapshotInterval`.
     * @default from the preset ("10s" for `active`)
     * @example "5s"
     */
    syncInterval?: string;
    /**
     * How often a full snapshot is written, as a Go duration. Restores replay at most one
     * snapshot interval of changes. Must not exceed `retention`.
     * @default from the preset ("1h" for `active`)
     * @example "6h"
     */
    snapshotInterval?: string;
    /**
     * How far back a point-in-time restore can go, as a Go duration.
     * @default from the preset ("72h" for `active`)
     * @example "168h"
     */
    retention?: string;
    /**
     * Leave Litestream's internal timers at Litestream's own defaults instead of the
     * component's settings: a WAL check every second, compactions every 30 s, 5 min and 1 h,
     * checkpoints after a minute and L0 cleanup every 15 s. The component's settings make a
     * database written once a second cost a tenth or less in requests (README, "Presets");
     * the sync interval, snapshot interval and retention apply either way.
     * @default false
     */
    litestreamDefaults?: boolean;
}

/** The Docker engine that runs the containers. */
export interface DockerArgs {
    /**
     * Docker host: `unix:///var/run/docker.sock`, `tcp://...` or `ssh://user@host[:port]`.
     * @default the local engine (`DOCKER_HOST`, else the local socket)
     * @example "ssh://deploy@app.example.com"
     */
    host?: pulumi.Input<string>;
    /**
     * Extra `ssh` options for an `ssh://` host.
     * @default []
     * @example ["-o", "StrictHostKeyChecking=accept-new", "-i", "~/.ssh/deploy"]
     */
    sshOpts?: string[];
    /**
     * Create the containers, volume and network on the Docker host. With `false`, Pulumi
     * creates only the bucket and its credential (and, for `local` storage, the server's keys)
     * and nothing on any Docker host: deploy the app from the `composeFile` output instead,
     * with Docker Compose or a Portainer stack. `host` and `sshOpts` then have no use and are
     * refused.
     * @default true
     * @example false
     */
    deploy?: boolean;
}

/**
 * The Kubernetes cluster that runs the app instead of a Docker host: one StatefulSet with one
 * replica (the restores as init containers, Litestream as a native sidecar, the app and the
 * verifier as main containers, the verifier without a probe), its data volume from a volume
 * claim template, Litestream's control socket on an `emptyDir`, the Litestream configs and
 * scripts in a ConfigMap, the bucket credential in a Secret and the push monitors' URLs in
 * another. Setting it turns the Docker deployment off; `docker` must then be left out, and
 * `verify.onDeploy` is not available.
 */
export interface KubernetesArgs {
    /**
     * Namespace of every object the component creates. It must exist.
     * @default "default"
     * @example "meds"
     */
    namespace?: pulumi.Input<string>;
    /**
     * Kubeconfig of the cluster: its content or the path of the file. Kept secret.
     * @default the ambient kubeconfig (`KUBECONFIG`, else `~/.kube/config`), its current context
     */
    kubeconfig?: pulumi.Input<string>;
    /**
     * Storage class of the data volume (the claim template of the StatefulSet).
     * @default the cluster's default storage class
     * @example "local-path"
     */
    storageClassName?: string;
    /**
     * Size of the data volume, as a Kubernetes quantity. Room for the databases, their WAL and
     * Litestream's local copies of recent changes.
     * @default "1Gi"
     * @example "10Gi"
     */
    storageSize?: string;
}

/** The Litestream sidecar. */
export interface LitestreamArgs {
    /**
     * Litestream image, pinned to an exact tag or digest (never `latest`). A
     * `litestream/litestream` tag must be 0.5.13 or later in the 0.5 line. A custom image must
     * provide `litestream` as its entrypoint and `sh` for the health check, like the upstream
     * Debian-slim image.
     * @default "litestream/litestream:0.5.16"
     */
    image?: string;
    /**
     * Port of Litestream's Prometheus `/metrics` inside the sidecar (`addr: ":PORT"`),
     * reachable by other containers on the component's network.
     * @default no metrics endpoint
     * @example 9090
     */
    metricsPort?: number;
    /**
     * Litestream's own heartbeat (`heartbeat-url`): a URL the sidecar pings with a GET every
     * `heartbeatInterval` while every database has synced within that interval, so a push
     * monitor (Healthchecks.io, Uptime Kuma, Better Stack) alerts when replication stops. It
     * says that uploads succeed, not that the replica restores: `verify.heartbeatUrl` is the
     * restore drill's. Kept secret: it reaches the sidecar only in its environment
     * (`LITESTREAM_HEARTBEAT_URL`), and the config refers to that variable.
     * @default no heartbeat
     * @example "https://hc-ping.com/5f1e0c3a-8d0e-4a4e-9f5b-2f4b0c1d2e3f"
     */
    heartbeatUrl?: pulumi.Input<string>;
    /**
     * How often Litestream's heartbeat pings, as a Go duration of at least `1m` (Litestream
     * refuses less). Only with `heartbeatUrl`.
     * @default "5m" (Litestream's default)
     * @example "1m"
     */
    heartbeatInterval?: string;
}

/**
 * Restore drills: a verifier container restores every database from the bucket into a scratch
 * folder of its own on a schedule, checks it with SQLite's `PRAGMA integrity_check` and checks
 * that it is as fresh as the sidecar's last successful sync allows, and reports the outcome
 * through its Docker health (on Kubernetes its `status` command, not a probe), its log, an
 * optional push monitor and, with `litestream.metricsPort`, Prometheus metrics.
 */
export interface VerifyArgs {
    /**
     * Run the verifier container (`<app>-verify`; on Kubernetes a container of the app's pod).
     * @default true
     */
    enabled?: boolean;
    /**
     * Time between two drills, as a Go duration of at least `1m`. The first drill runs when the
     * verifier starts. Each drill downloads the latest snapshot and the files after it, so a
     * shorter interval costs requests and download volume (README, "Is my backup good?").
     * @default "6h"
     * @example "1h"
     */
    interval?: string;
    /**
     * A push monitor's URL, pinged after every drill: the URL itself on success, `<url>/fail`
     * on failure, with the outcome (the reason on failure) as the POST body, as Healthchecks.io
     * and Better Stack read it. An Uptime Kuma push URL (`.../api/push/<token>`) gets Kuma's
     * `?status=up|down&msg=...` instead. `http://` or `https://`. Kept secret: it reaches the
     * verifier only in its environment, never a file, label or log.
     * @default no push monitor
     * @example "https://hc-ping.com/5f1e0c3a-8d0e-4a4e-9f5b-2f4b0c1d2e3f"
     */
    heartbeatUrl?: pulumi.Input<string>;
    /**
     * Run one drill on every `pulumi up`, once the sidecar is healthy: `pulumi up` fails, naming
     * the database and the reason, when a replica exists but does not restore (or is stale).
     * The app does not wait for it and is left running. The one-shot `<app>-verify-deploy` is
     * replaced on every `pulumi up` for that, so a preview always shows it. Not available with
     * `kubernetes`: there it would run only when the pod starts, so re-running it would restart
     * the app; run `kubectl exec <pod> -c <app>-verify -- sh /etc/litestream-verify.sh once`
     * after a deploy instead.
     * @default false
     */
    onDeploy?: boolean;
}

/** Arguments of {@link LitestreamBackup}. */
export interface LitestreamBackupArgs {
    /** Where backups go. */
    storage: StorageArgs;
    /** The app container and its databases. */
    app: AppArgs;
    /**
     * Replication timing.
     * @default { preset: ReplicationPreset.Active }
     */
    replication?: ReplicationArgs;
    /**
     * Restore every database missing from the volume from its replica before the app
     * starts. Turn it off only if something else restores.
     * @default true
     */
    autoRestore?: boolean;
    /**
     * The Docker engine. Leave it out when `kubernetes` is set.
     * @default the local engine, unless `kubernetes` is set
     */
    docker?: DockerArgs;
    /**
     * Run the app on a Kubernetes cluster instead of a Docker host. Not together with `docker`.
     * @default not set: the app runs on a Docker host
     * @example { namespace: "meds", storageSize: "5Gi" }
     */
    kubernetes?: KubernetesArgs;
    /**
     * The Litestream sidecar.
     * @default the pinned upstream image, no metrics
     */
    litestream?: LitestreamArgs;
    /**
     * Restore drills by a verifier container beside the sidecar.
     * @default { enabled: true, interval: "6h", onDeploy: false }
     */
    verify?: VerifyArgs;
}
