import { describe, expect, it } from "vitest";
import {
    KubernetesArgs,
    LitestreamBackupArgs,
    ReplicationPreset,
    StorageArgs,
    StorageProvider,
} from "../../components/args";
import { defaultBucketName, validateArgs } from "../../components/validate";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

/** An existing bucket: storage the Kubernetes target accepts. */
const S3C: StorageArgs = {
    provider: StorageProvider.S3Compatible,
    endpoint: "https://s3.example.com",
    bucketName: "backups",
    accessKeyId: "k",
    secretAccessKey: "s",
};

function base(): LitestreamBackupArgs {
    return {
        storage: { provider: StorageProvider.Local },
        app: { image: "ghcr.io/acme/meds:1.4.2", dataDir: "/app/data", databases: ["meds.db"] },
    };
}

type Mutation = (a: LitestreamBackupArgs) => void;

/** [description, change, field path, exact message] */
const BAD: [string, Mutation, string, string][] = [
    [
        "unknown provider",
        (a) => (a.storage.provider = "gcs" as StorageProvider),
        "storage.provider",
        "`storage.provider` is `gcs`: set it to one of `local`, `r2`, `s3`, `s3-compatible`.",
    ],
    [
        "r2 without accountId",
        (a) => (a.storage = { provider: StorageProvider.R2 }),
        "storage.accountId",
        "`storage.accountId` is required when `storage.provider` is `r2`: set it to your Cloudflare account id.",
    ],
    [
        "r2 accountId malformed",
        (a) => (a.storage = { provider: StorageProvider.R2, accountId: "my-account" }),
        "storage.accountId",
        "`storage.accountId` `my-account` is not a Cloudflare account id: copy the 32 hexadecimal characters from the dashboard's Account Home.",
    ],
    [
        "r2 jurisdiction unknown",
        (a) =>
            (a.storage = { provider: StorageProvider.R2, accountId: ACCOUNT, jurisdiction: "us" }),
        "storage.jurisdiction",
        "`storage.jurisdiction` is `us`: use one of `default`, `eu`, `fedramp`.",
    ],
    [
        "r2 location unknown",
        (a) => (a.storage = { provider: StorageProvider.R2, accountId: ACCOUNT, location: "EU" }),
        "storage.location",
        "`storage.location` is `EU`: use one of `apac`, `eeur`, `enam`, `weur`, `wnam`, `oc`, or leave it out.",
    ],
    [
        "r2 permission group ids malformed",
        (a) =>
            (a.storage = {
                provider: StorageProvider.R2,
                accountId: ACCOUNT,
                r2PermissionGroupIds: ["write"],
            }),
        "storage.r2PermissionGroupIds",
        "`storage.r2PermissionGroupIds` must list 32-character hexadecimal permission group ids: leave it out to look them up by name.",
    ],
    [
        "accountId given to s3",
        (a) => (a.storage = { provider: StorageProvider.S3, accountId: ACCOUNT }),
        "storage.accountId",
        "`storage.accountId` is only used when `storage.provider` is `r2`: remove it, or change the provider.",
    ],
    [
        "endpoint given to r2",
        (a) =>
            (a.storage = {
                provider: StorageProvider.R2,
                accountId: ACCOUNT,
                endpoint: "https://x.example",
            }),
        "storage.endpoint",
        "`storage.endpoint` is only used when `storage.provider` is `s3-compatible`: remove it, or change the provider.",
    ],
    [
        "region given to local",
        (a) => (a.storage = { provider: StorageProvider.Local, region: "us-east-1" }),
        "storage.region",
        "`storage.region` is only used when `storage.provider` is `s3` or `s3-compatible`: remove it, or change the provider.",
    ],
    [
        "s3-compatible without endpoint",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                bucketName: "b-1",
                accessKeyId: "k",
                secretAccessKey: "s",
            }),
        "storage.endpoint",
        "`storage.endpoint` is required when `storage.provider` is `s3-compatible`: set it to the S3 API URL of your service, e.g. `https://s3.example.com`.",
    ],
    [
        "s3-compatible without bucketName",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "https://s3.example.com",
                accessKeyId: "k",
                secretAccessKey: "s",
            }),
        "storage.bucketName",
        "`storage.bucketName` is required when `storage.provider` is `s3-compatible`: set it to the name of the existing bucket.",
    ],
    [
        "s3-compatible without accessKeyId",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "https://s3.example.com",
                bucketName: "b-1",
                secretAccessKey: "s",
            }),
        "storage.accessKeyId",
        "`storage.accessKeyId` is required when `storage.provider` is `s3-compatible`: set it with `pulumi config set --secret` to a key that can use the bucket.",
    ],
    [
        "s3-compatible with empty secretAccessKey",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "https://s3.example.com",
                bucketName: "b-1",
                accessKeyId: "k",
                secretAccessKey: "",
            }),
        "storage.secretAccessKey",
        "`storage.secretAccessKey` is required when `storage.provider` is `s3-compatible`: set it with `pulumi config set --secret` to the key's secret.",
    ],
    [
        "endpoint without scheme",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "minio:9000",
                bucketName: "b-1",
                accessKeyId: "k",
                secretAccessKey: "s",
            }),
        "storage.endpoint",
        "`storage.endpoint` `minio:9000` uses `minio`: use an `http://` or `https://` URL.",
    ],
    [
        "endpoint not a URL",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "s3.example.com",
                bucketName: "b-1",
                accessKeyId: "k",
                secretAccessKey: "s",
            }),
        "storage.endpoint",
        "`storage.endpoint` `s3.example.com` is not a URL: write it with its scheme, e.g. `https://s3.example.com` or `http://minio:9000`.",
    ],
    [
        "endpoint ftp",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "ftp://s3.example.com",
                bucketName: "b-1",
                accessKeyId: "k",
                secretAccessKey: "s",
            }),
        "storage.endpoint",
        "`storage.endpoint` `ftp://s3.example.com` uses `ftp`: use an `http://` or `https://` URL.",
    ],
    [
        "endpoint with a path",
        (a) =>
            (a.storage = {
                provider: StorageProvider.S3Compatible,
                endpoint: "https://s3.example.com/bucket",
                bucketName: "b-1",
                accessKeyId: "k",
                secretAccessKey: "s",
            }),
        "storage.endpoint",
        "`storage.endpoint` `https://s3.example.com/bucket` has a path, query or credentials: give only the scheme, host and port, e.g. `https://s3.example.com`.",
    ],
    [
        "s3 region malformed",
        (a) => (a.storage = { provider: StorageProvider.S3, region: "Frankfurt" }),
        "storage.region",
        "`storage.region` `Frankfurt` is not an AWS region: use a code such as `us-east-1` or `eu-central-1`.",
    ],
    [
        "bucket name too short",
        (a) => (a.storage.bucketName = "ab"),
        "storage.bucketName",
        "`storage.bucketName` `ab` has 2 characters: bucket names have 3 to 63.",
    ],
    [
        "bucket name too long",
        (a) => (a.storage.bucketName = "a".repeat(64)),
        "storage.bucketName",
        `\`storage.bucketName\` \`${"a".repeat(64)}\` has 64 characters: bucket names have 3 to 63.`,
    ],
    [
        "bucket name uppercase",
        (a) => (a.storage.bucketName = "Meds-Backups"),
        "storage.bucketName",
        "`storage.bucketName` `Meds-Backups` has uppercase letters: use lowercase letters only.",
    ],
    [
        "bucket name IP address",
        (a) => (a.storage = { provider: StorageProvider.S3, bucketName: "192.168.5.4" }),
        "storage.bucketName",
        "`storage.bucketName` `192.168.5.4` is formatted as an IP address: pick a name with letters.",
    ],
    [
        "bucket name underscore",
        (a) => (a.storage.bucketName = "meds_backups"),
        "storage.bucketName",
        "`storage.bucketName` `meds_backups` has characters other than a-z, 0-9, `.` and `-`: remove them.",
    ],
    [
        "bucket name ends with hyphen",
        (a) => (a.storage.bucketName = "meds-"),
        "storage.bucketName",
        "`storage.bucketName` `meds-` must begin and end with a letter or digit.",
    ],
    [
        "bucket name with two dots",
        (a) => (a.storage = { provider: StorageProvider.S3, bucketName: "meds..backups" }),
        "storage.bucketName",
        "`storage.bucketName` `meds..backups` has two dots in a row: remove one.",
    ],
    [
        "r2 bucket name with a dot (valid on S3)",
        (a) =>
            (a.storage = {
                provider: StorageProvider.R2,
                accountId: ACCOUNT,
                bucketName: "meds.backups",
            }),
        "storage.bucketName",
        "`storage.bucketName` `meds.backups` has a dot: R2 bucket names may hold only a-z, 0-9 and `-`.",
    ],
    [
        "s3 bucket name with a reserved prefix",
        (a) => (a.storage = { provider: StorageProvider.S3, bucketName: "xn--meds" }),
        "storage.bucketName",
        "`storage.bucketName` `xn--meds` starts with `xn--`, which AWS reserves: pick another name.",
    ],
    [
        "s3 bucket name with a reserved suffix",
        (a) => (a.storage = { provider: StorageProvider.S3, bucketName: "meds-s3alias" }),
        "storage.bucketName",
        "`storage.bucketName` `meds-s3alias` ends with `-s3alias`, which AWS reserves: pick another name.",
    ],
    [
        "path with leading slash",
        (a) => (a.storage.path = "/meds"),
        "storage.path",
        "`storage.path` `/meds` starts or ends with `/`: write it without them, e.g. `meds`.",
    ],
    [
        "path with trailing slash",
        (a) => (a.storage.path = "apps/meds/"),
        "storage.path",
        "`storage.path` `apps/meds/` starts or ends with `/`: write it without them, e.g. `apps/meds`.",
    ],
    [
        "path with ..",
        (a) => (a.storage.path = "apps/../meds"),
        "storage.path",
        "`storage.path` `apps/../meds` has an empty, `.` or `..` segment: write plain segments such as `apps/meds`.",
    ],
    [
        "empty path",
        (a) => (a.storage.path = ""),
        "storage.path",
        "`storage.path` is empty: leave it out to use the component name, or give a prefix such as `meds`.",
    ],
    [
        "local image latest",
        (a) => (a.storage.localImage = "versity/versitygw:latest"),
        "storage.localImage",
        "`storage.localImage` `versity/versitygw:latest` uses `latest`: pin an exact version so every deploy runs the same code.",
    ],
    [
        "app image missing",
        (a) => (a.app.image = ""),
        "app.image",
        "`app.image` is required: set it to your app's image, pinned to a version, e.g. `ghcr.io/acme/meds:1.4.2`.",
    ],
    [
        "app image untagged",
        (a) => (a.app.image = "ghcr.io/acme/meds"),
        "app.image",
        "`app.image` `ghcr.io/acme/meds` has no tag: pin an exact version, e.g. `ghcr.io/acme/meds:1.2.3`.",
    ],
    [
        "app image on a registry with a port but no tag",
        (a) => (a.app.image = "registry.local:5000/meds"),
        "app.image",
        "`app.image` `registry.local:5000/meds` has no tag: pin an exact version, e.g. `registry.local:5000/meds:1.2.3`.",
    ],
    [
        "app name invalid",
        (a) => (a.app.name = "my app"),
        "app.name",
        "`app.name` `my app` is not a valid container name: use letters, digits, `_`, `.` and `-`, starting with a letter or digit.",
    ],
    [
        "dataDir relative",
        (a) => (a.app.dataDir = "app/data"),
        "app.dataDir",
        "`app.dataDir` `app/data` is not absolute: write the full path inside the container, e.g. `/app/data`.",
    ],
    [
        "dataDir root",
        (a) => (a.app.dataDir = "/"),
        "app.dataDir",
        "`app.dataDir` is `/`: mount the data volume on a folder of its own, e.g. `/app/data`.",
    ],
    [
        "dataDir not normalized",
        (a) => (a.app.dataDir = "/app/../data"),
        "app.dataDir",
        "`app.dataDir` `/app/../data` is not a normalized path: write `/data`.",
    ],
    [
        "no databases",
        (a) => (a.app.databases = []),
        "app.databases",
        '`app.databases` lists no database: name at least one SQLite file, e.g. `["app.db"]`.',
    ],
    [
        "database with ..",
        (a) => (a.app.databases = ["../etc/meds.db"]),
        "app.databases[0]",
        "`app.databases[0]` `../etc/meds.db` contains `..`: databases must stay inside `app.dataDir`; give a path below it.",
    ],
    [
        "database under the sidecar's own name",
        (a) => (a.app.databases = ["meds.db", ".litestream-backup-owner"]),
        "app.databases[1]",
        "`app.databases[1]` `.litestream-backup-owner` starts with `.litestream-backup`, a name the Litestream sidecar keeps for itself: rename the database.",
    ],
    [
        "database outside dataDir",
        (a) => (a.app.databases = ["meds.db", "/var/lib/other.db"]),
        "app.databases[1]",
        "`app.databases[1]` `/var/lib/other.db` is outside `app.dataDir` (`/app/data`): Litestream only sees the shared volume; move it under `/app/data/`.",
    ],
    [
        "database equal to dataDir",
        (a) => (a.app.databases = ["/app/data"]),
        "app.databases[0]",
        "`app.databases[0]` `/app/data` is outside `app.dataDir` (`/app/data`): Litestream only sees the shared volume; move it under `/app/data/`.",
    ],
    [
        "duplicate database (relative and absolute)",
        (a) => (a.app.databases = ["meds.db", "/app/data/meds.db"]),
        "app.databases[1]",
        "`app.databases[1]` `/app/data/meds.db` is the same database as `app.databases[0]`: list each database once.",
    ],
    [
        "empty database name",
        (a) => (a.app.databases = [" "]),
        "app.databases[0]",
        "`app.databases[0]` is empty: give a file name such as `app.db`.",
    ],
    [
        "database names a folder",
        (a) => (a.app.databases = ["tenants/"]),
        "app.databases[0]",
        "`app.databases[0]` `tenants/` ends with `/`: name the database file, not a folder.",
    ],
    [
        "internal port out of range",
        (a) => (a.app.ports = [{ internal: 70000 }]),
        "app.ports[0].internal",
        "`app.ports[0].internal` is `70000`: use a whole number from 1 to 65535.",
    ],
    [
        "external port not whole",
        (a) => (a.app.ports = [{ internal: 8080, external: 80.5 }]),
        "app.ports[0].external",
        "`app.ports[0].external` is `80.5`: use a whole number from 1 to 65535, or leave it out to publish the internal port.",
    ],
    [
        "host port published twice",
        (a) => (a.app.ports = [{ internal: 8080, external: 80 }, { internal: 80 }]),
        "app.ports[1].external",
        "`app.ports[1]` publishes host port 80 like `app.ports[0]`: each host port can be published once.",
    ],
    [
        "empty command",
        (a) => (a.app.command = []),
        "app.command",
        "`app.command` is empty: leave it out to run the image's CMD, or list the command and its arguments.",
    ],
    [
        "app user by name",
        (a) => (a.app.user = "node"),
        "app.user",
        "`app.user` `node` is a name: give numeric ids, `uid` or `uid:gid` (names differ between images and cannot be resolved here); `docker run --rm --entrypoint id <app image>` prints them, and `uid=1000(node) gid=1000(node)` is `1000:1000`.",
    ],
    [
        "app user with a group name",
        (a) => (a.app.user = "1000:nogroup"),
        "app.user",
        "`app.user` `1000:nogroup` is a name: give numeric ids, `uid` or `uid:gid` (names differ between images and cannot be resolved here); `docker run --rm --entrypoint id <app image>` prints them, and `uid=1000(node) gid=1000(node)` is `1000:1000`.",
    ],
    [
        "app user as a YAML number",
        (a) => (a.app.user = 1000 as unknown as string),
        "app.user",
        '`app.user` is the number `1000`: write it as a string, `"1000"` (or `"uid:gid"`, e.g. `"1000:1000"`).',
    ],
    [
        "app user of another type",
        (a) => (a.app.user = { uid: 1000 } as unknown as string),
        "app.user",
        '`app.user` must be a string: a numeric `uid` or `uid:gid`, e.g. `"1000:1000"`.',
    ],
    [
        "app user empty",
        (a) => (a.app.user = ""),
        "app.user",
        "`app.user` is empty: leave it out to run the app as its image's user, or give a numeric `uid` or `uid:gid`, e.g. `1000:1000`.",
    ],
    [
        "app user without its gid after the colon",
        (a) => (a.app.user = "1000:"),
        "app.user",
        "`app.user` `1000:` is not `uid` or `uid:gid`: write one or two whole numbers without leading zeros, e.g. `1000` or `1000:1000`.",
    ],
    [
        "app user negative",
        (a) => (a.app.user = "-1"),
        "app.user",
        "`app.user` `-1` is not `uid` or `uid:gid`: write one or two whole numbers without leading zeros, e.g. `1000` or `1000:1000`.",
    ],
    [
        "app user with a leading zero",
        (a) => (a.app.user = "01000:1000"),
        "app.user",
        "`app.user` `01000:1000` is not `uid` or `uid:gid`: write one or two whole numbers without leading zeros, e.g. `1000` or `1000:1000`.",
    ],
    [
        "app user with three parts",
        (a) => (a.app.user = "1000:1000:1000"),
        "app.user",
        "`app.user` `1000:1000:1000` is not `uid` or `uid:gid`: write one or two whole numbers without leading zeros, e.g. `1000` or `1000:1000`.",
    ],
    [
        "app user uid out of range ((uid_t)-1)",
        (a) => (a.app.user = "4294967295"),
        "app.user",
        "`app.user` `4294967295` is out of range: a uid and a gid are whole numbers from 0 to 4294967294.",
    ],
    [
        "app user gid out of range",
        (a) => (a.app.user = "1000:99999999999999999999"),
        "app.user",
        "`app.user` `1000:99999999999999999999` is out of range: a uid and a gid are whole numbers from 0 to 4294967294.",
    ],
    [
        "preset unknown",
        (a) => (a.replication = { preset: "hourly" as ReplicationPreset }),
        "replication.preset",
        "`replication.preset` is `hourly`: use one of `personal`, `active`, `critical`.",
    ],
    [
        "duration with a space",
        (a) => (a.replication = { syncInterval: "10 s" }),
        "replication.syncInterval",
        "`replication.syncInterval` `10 s` is not a positive Go duration: write numbers with units and no spaces, e.g. `10s`, `1h30m` (units ns, us, ms, s, m, h; days are `24h`).",
    ],
    [
        "duration in days",
        (a) => (a.replication = { retention: "1d" }),
        "replication.retention",
        "`replication.retention` `1d` is not a positive Go duration: write numbers with units and no spaces, e.g. `10s`, `1h30m` (units ns, us, ms, s, m, h; days are `24h`).",
    ],
    [
        "negative duration",
        (a) => (a.replication = { syncInterval: "-1s" }),
        "replication.syncInterval",
        "`replication.syncInterval` `-1s` is negative: give a positive duration such as `10s`.",
    ],
    [
        "empty duration",
        (a) => (a.replication = { snapshotInterval: "" }),
        "replication.snapshotInterval",
        "`replication.snapshotInterval` `` is not a positive Go duration: write numbers with units and no spaces, e.g. `10s`, `1h30m` (units ns, us, ms, s, m, h; days are `24h`).",
    ],
    [
        "zero duration",
        (a) => (a.replication = { syncInterval: "0s" }),
        "replication.syncInterval",
        "`replication.syncInterval` `0s` is not a positive Go duration: write numbers with units and no spaces, e.g. `10s`, `1h30m` (units ns, us, ms, s, m, h; days are `24h`).",
    ],
    [
        "duration not a string",
        (a) => (a.replication = { syncInterval: 10 as unknown as string }),
        "replication.syncInterval",
        "`replication.syncInterval` must be a Go duration string such as `10s` or `1h30m`.",
    ],
    [
        "sync longer than snapshot",
        (a) => (a.replication = { syncInterval: "2h", snapshotInterval: "1h" }),
        "replication.syncInterval",
        "`replication.syncInterval` (`2h`) is longer than `replication.snapshotInterval` (`1h`): sync at least as often as you snapshot.",
    ],
    [
        "sync longer than the preset's snapshot",
        (a) => (a.replication = { preset: ReplicationPreset.Active, syncInterval: "90m" }),
        "replication.syncInterval",
        "`replication.syncInterval` (`90m`) is longer than `replication.snapshotInterval` (`1h` from preset `active`): sync at least as often as you snapshot.",
    ],
    [
        "retention shorter than snapshot",
        (a) => (a.replication = { preset: ReplicationPreset.Personal, retention: "12h" }),
        "replication.retention",
        "`replication.retention` (`12h`) is shorter than `replication.snapshotInterval` (`24h` from preset `personal`): keep backups for at least one snapshot interval, or no snapshot would be restorable.",
    ],
    [
        "litestreamDefaults as a string",
        (a) => (a.replication = { litestreamDefaults: "yes" as unknown as boolean }),
        "replication.litestreamDefaults",
        "`replication.litestreamDefaults` is `yes`: use `true` (Litestream's own timer defaults) or `false` (the component's settings).",
    ],
    [
        "litestreamDefaults as a number, with a preset",
        (a) =>
            (a.replication = {
                preset: ReplicationPreset.Personal,
                litestreamDefaults: 1 as unknown as boolean,
            }),
        "replication.litestreamDefaults",
        "`replication.litestreamDefaults` is `1`: use `true` (Litestream's own timer defaults) or `false` (the component's settings).",
    ],
    [
        "autoRestore as a string",
        (a) => (a.autoRestore = "yes" as unknown as boolean),
        "autoRestore",
        "`autoRestore` is `yes`: use `true` or `false`.",
    ],
    [
        "docker host without a scheme",
        (a) => (a.docker = { host: "deploy@app.example.com" }),
        "docker.host",
        "`docker.host` `deploy@app.example.com` is not a Docker host URL: use `unix:///var/run/docker.sock`, `tcp://host:2376` or `ssh://user@host`.",
    ],
    [
        "sshOpts without an ssh host",
        (a) => (a.docker = { host: "unix:///var/run/docker.sock", sshOpts: ["-i", "key"] }),
        "docker.sshOpts",
        "`docker.sshOpts` is only used with an `ssh://` `docker.host`: remove it, or set the host.",
    ],
    [
        "docker.deploy as a string",
        (a) => (a.docker = { deploy: "false" as unknown as boolean }),
        "docker.deploy",
        '`docker.deploy` is `"false"`: use `true` or `false`, without quotes.',
    ],
    [
        "a Docker host with nothing deployed on it",
        (a) => (a.docker = { deploy: false, host: "ssh://deploy@app.example.com" }),
        "docker.host",
        "`docker.host` is only used when `docker.deploy` is true: with `docker.deploy: false` nothing is deployed on a Docker host (the `composeFile` output is run with Docker Compose instead). Remove it, or set `docker.deploy` to true.",
    ],
    [
        "ssh options with nothing deployed",
        (a) => (a.docker = { deploy: false, sshOpts: ["-i", "key"] }),
        "docker.sshOpts",
        "`docker.sshOpts` is only used when `docker.deploy` is true: with `docker.deploy: false` nothing is deployed on a Docker host (the `composeFile` output is run with Docker Compose instead). Remove it, or set `docker.deploy` to true.",
    ],
    [
        "retainOnDelete for a local server that lives in the Compose file",
        (a) => {
            a.storage.retainOnDelete = true;
            a.docker = { deploy: false };
        },
        "storage.retainOnDelete",
        "`storage.retainOnDelete` has no effect when `docker.deploy` is false and `storage.provider` is `local`: the local S3 server and its volume are services of the Compose file, which `pulumi destroy` does not touch (`docker compose down -v` removes them). Remove it.",
    ],
    [
        "docker and kubernetes both set",
        (a) => {
            a.storage = S3C;
            a.docker = {};
            a.kubernetes = {};
        },
        "docker",
        "`docker` and `kubernetes` are both set: the app runs either on a Docker host or on Kubernetes. Remove `docker` to deploy on Kubernetes, or `kubernetes` to deploy on a Docker host.",
    ],
    [
        "local storage on kubernetes",
        (a) => (a.kubernetes = {}),
        "storage.provider",
        "`storage.provider` `local` runs its S3 server on a Docker host and is not available with `kubernetes`: use `s3-compatible` with an S3 server you run (in the cluster or elsewhere), or `r2` or `s3`.",
    ],
    [
        "kubernetes as a string",
        (a) => (a.kubernetes = "default" as unknown as KubernetesArgs),
        "kubernetes",
        '`kubernetes` must be an object such as `{ namespace: "default" }` (`{}` for the defaults).',
    ],
    [
        "kubernetes namespace with uppercase",
        (a) => {
            a.storage = S3C;
            a.kubernetes = { namespace: "Apps" };
        },
        "kubernetes.namespace",
        "`kubernetes.namespace` `Apps` is not a namespace name: use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit.",
    ],
    [
        "kubernetes kubeconfig empty",
        (a) => {
            a.storage = S3C;
            a.kubernetes = { kubeconfig: " " };
        },
        "kubernetes.kubeconfig",
        "`kubernetes.kubeconfig` is empty: leave it out to use the ambient kubeconfig, or give the content or path of one.",
    ],
    [
        "kubernetes storage class with uppercase",
        (a) => {
            a.storage = S3C;
            a.kubernetes = { storageClassName: "Fast_SSD" };
        },
        "kubernetes.storageClassName",
        "`kubernetes.storageClassName` `Fast_SSD` is not a storage class name: use lowercase letters, digits, `-` and `.` (`kubectl get storageclass` lists them), or leave it out for the cluster's default.",
    ],
    [
        "kubernetes storage size in gigabytes spelled out",
        (a) => {
            a.storage = S3C;
            a.kubernetes = { storageSize: "1 GB" };
        },
        "kubernetes.storageSize",
        "`kubernetes.storageSize` `1 GB` is not a size: write a Kubernetes quantity such as `1Gi` or `500Mi`.",
    ],
    [
        "kubernetes storage size zero",
        (a) => {
            a.storage = S3C;
            a.kubernetes = { storageSize: "0Gi" };
        },
        "kubernetes.storageSize",
        "`kubernetes.storageSize` `0Gi` is not a size: write a Kubernetes quantity such as `1Gi` or `500Mi`.",
    ],
    [
        "kubernetes with an app name that is no StatefulSet name",
        (a) => {
            a.storage = S3C;
            a.app.name = "Meds_App";
            a.kubernetes = {};
        },
        "app.name",
        "`app.name` `Meds_App` is not a StatefulSet name on Kubernetes: set `app.name` to at most 52 lowercase letters, digits and `-`, starting and ending with a letter or digit.",
    ],
    [
        "kubernetes with an environment name a Secret cannot hold",
        (a) => {
            a.storage = S3C;
            a.app.envs = { "APP TOKEN": "x" };
            a.kubernetes = {};
        },
        "app.envs.APP TOKEN",
        "`app.envs` key `APP TOKEN` cannot be a key of the Secret the app's environment comes from on Kubernetes: use letters, digits, `_`, `-` and `.` only.",
    ],
    [
        "kubernetes with a published port",
        (a) => {
            a.storage = S3C;
            a.app.ports = [{ internal: 8080, external: 80 }];
            a.kubernetes = {};
        },
        "app.ports[0].external",
        "`app.ports[0].external` publishes a port on a Docker host, which Kubernetes does not have: remove it (the pod declares `internal` as a container port) and expose the app with a Service of your own.",
    ],
    [
        "litestream image latest",
        (a) => (a.litestream = { image: "litestream/litestream:latest" }),
        "litestream.image",
        "`litestream.image` `litestream/litestream:latest` uses `latest`: pin an exact version so every deploy runs the same code.",
    ],
    [
        "litestream image untagged",
        (a) => (a.litestream = { image: "litestream/litestream" }),
        "litestream.image",
        "`litestream.image` `litestream/litestream` has no tag: pin an exact version, e.g. `litestream/litestream:1.2.3`.",
    ],
    [
        "litestream 0.5.5 (fails on R2)",
        (a) => (a.litestream = { image: "litestream/litestream:0.5.5" }),
        "litestream.image",
        "`litestream.image` `litestream/litestream:0.5.5` is Litestream 0.5.5: the component needs 0.5.13 or later in the 0.5 line (older releases fail on R2, lack settings the config uses, or stop syncing idle databases, which the health check reads as a stall); use e.g. `litestream/litestream:0.5.16`.",
    ],
    [
        "litestream 0.5.12 (does not re-sync idle databases)",
        (a) => (a.litestream = { image: "litestream/litestream:0.5.12" }),
        "litestream.image",
        "`litestream.image` `litestream/litestream:0.5.12` is Litestream 0.5.12: the component needs 0.5.13 or later in the 0.5 line (older releases fail on R2, lack settings the config uses, or stop syncing idle databases, which the health check reads as a stall); use e.g. `litestream/litestream:0.5.16`.",
    ],
    [
        "litestream 0.3 (ignores the 0.5 config)",
        (a) => (a.litestream = { image: "docker.io/litestream/litestream:0.3.13" }),
        "litestream.image",
        "`litestream.image` `docker.io/litestream/litestream:0.3.13` is Litestream 0.3.13: the component needs 0.5.13 or later in the 0.5 line (older releases fail on R2, lack settings the config uses, or stop syncing idle databases, which the health check reads as a stall); use e.g. `litestream/litestream:0.5.16`.",
    ],
    [
        "litestream scratch variant",
        (a) => (a.litestream = { image: "litestream/litestream:0.5.16-scratch" }),
        "litestream.image",
        "`litestream.image` `litestream/litestream:0.5.16-scratch` is not a release tag: use an exact 0.5 release such as `litestream/litestream:0.5.16` (the `-scratch` variants have no shell for the health check).",
    ],
    [
        "metrics port out of range",
        (a) => (a.litestream = { metricsPort: 0 }),
        "litestream.metricsPort",
        "`litestream.metricsPort` is `0`: use a whole number from 1 to 65535.",
    ],
    [
        "verify not an object",
        (a) => (a.verify = "6h" as unknown as LitestreamBackupArgs["verify"]),
        "verify",
        '`verify` must be an object, e.g. `{ interval: "6h" }`, or left out for the defaults.',
    ],
    [
        "verify.enabled a string",
        (a) => (a.verify = { enabled: "yes" as unknown as boolean }),
        "verify.enabled",
        '`verify.enabled` is `"yes"`: use `true` or `false`, without quotes.',
    ],
    [
        "verify.onDeploy a string",
        (a) => (a.verify = { onDeploy: "true" as unknown as boolean }),
        "verify.onDeploy",
        '`verify.onDeploy` is `"true"`: use `true` or `false`, without quotes.',
    ],
    [
        "verify.interval not a duration",
        (a) => (a.verify = { interval: "6 hours" }),
        "verify.interval",
        "`verify.interval` `6 hours` is not a positive Go duration: write numbers with units and no spaces, e.g. `10s`, `1h30m` (units ns, us, ms, s, m, h; days are `24h`).",
    ],
    [
        "verify.interval in days",
        (a) => (a.verify = { interval: "1d" }),
        "verify.interval",
        "`verify.interval` `1d` is not a positive Go duration: write numbers with units and no spaces, e.g. `10s`, `1h30m` (units ns, us, ms, s, m, h; days are `24h`).",
    ],
    [
        "verify.interval below the floor",
        (a) => (a.verify = { interval: "10s" }),
        "verify.interval",
        "`verify.interval` `10s` is shorter than `1m`: each drill lists the replica and downloads its latest snapshot and every file after it, so drills this often would multiply requests and download volume and keep a core busy; use `1m` or more (the default is `6h`).",
    ],
    [
        "verify.heartbeatUrl without scheme",
        (a) => (a.verify = { heartbeatUrl: "hc-ping.com/5f1e0c3a" }),
        "verify.heartbeatUrl",
        "`verify.heartbeatUrl` is not a URL: give the push monitor's ping URL with its scheme, e.g. `https://hc-ping.com/<uuid>`.",
    ],
    [
        "verify.heartbeatUrl another scheme",
        (a) => (a.verify = { heartbeatUrl: "ftp://hc.example.com/5f1e0c3a" }),
        "verify.heartbeatUrl",
        "`verify.heartbeatUrl` uses `ftp`: use an `http://` or `https://` URL, e.g. `https://hc-ping.com/<uuid>`.",
    ],
    [
        "verify.heartbeatUrl with a password",
        (a) => (a.verify = { heartbeatUrl: "https://me:secret@hc.example.com/ping/x" }),
        "verify.heartbeatUrl",
        "`verify.heartbeatUrl` holds a user name or password, which is not sent: use a ping URL that carries its key in the path, e.g. `https://hc-ping.com/<uuid>`.",
    ],
    [
        "verify.heartbeatUrl empty",
        (a) => (a.verify = { heartbeatUrl: "" }),
        "verify.heartbeatUrl",
        "`verify.heartbeatUrl` must be the push monitor's URL as a string, e.g. `https://hc-ping.com/<uuid>`.",
    ],
    [
        "a drill on deploy without the verifier",
        (a) => (a.verify = { enabled: false, onDeploy: true }),
        "verify.onDeploy",
        "`verify.onDeploy` is true but `verify.enabled` is false: a drill on deploy needs the verifier; set `verify.enabled` to true, or leave `verify.onDeploy` out.",
    ],
    [
        "a drill on every deploy on kubernetes",
        (a) => {
            a.storage = S3C;
            a.kubernetes = {};
            a.verify = { onDeploy: true };
        },
        "verify.onDeploy",
        "`verify.onDeploy` is not available with `kubernetes`: the drill on deploy would be a one-shot in the app's pod, which Kubernetes runs only when the pod starts, so running it on every `pulumi up` would restart the app. Leave `verify.onDeploy` out (the verifier still runs a drill when it starts and every `verify.interval`), and run one by hand when you want: `kubectl --namespace <namespace> exec <statefulSetName>-0 -c <verifyContainerName> -- sh /etc/litestream-verify.sh once`.",
    ],
    [
        "a drill on deploy without the verifier, on kubernetes: the verifier is named first",
        (a) => {
            a.storage = S3C;
            a.kubernetes = {};
            a.verify = { enabled: false, onDeploy: true };
        },
        "verify.onDeploy",
        "`verify.onDeploy` is true but `verify.enabled` is false: a drill on deploy needs the verifier; set `verify.enabled` to true, or leave `verify.onDeploy` out.",
    ],
    [
        "litestream.heartbeatUrl not http",
        (a) => (a.litestream = { heartbeatUrl: "mailto:ops@example.com" }),
        "litestream.heartbeatUrl",
        "`litestream.heartbeatUrl` uses `mailto`: use an `http://` or `https://` URL, e.g. `https://hc-ping.com/<uuid>`.",
    ],
    [
        "litestream.heartbeatInterval under a minute",
        (a) =>
            (a.litestream = {
                heartbeatUrl: "https://hc-ping.com/5f1e0c3a",
                heartbeatInterval: "30s",
            }),
        "litestream.heartbeatInterval",
        "`litestream.heartbeatInterval` `30s` is shorter than `1m`: Litestream refuses a heartbeat interval under a minute and would not start; use `1m` or more (Litestream's default is `5m`).",
    ],
    [
        "litestream.heartbeatInterval without a URL",
        (a) => (a.litestream = { heartbeatInterval: "5m" }),
        "litestream.heartbeatInterval",
        "`litestream.heartbeatInterval` is set but `litestream.heartbeatUrl` is not: set the URL Litestream pings, or remove the interval.",
    ],
    [
        "storage missing",
        (a) => delete (a as Partial<LitestreamBackupArgs>).storage,
        "storage",
        "`storage` is required: set at least `storage.provider` (`local` for a dev stack).",
    ],
    [
        "app missing",
        (a) => delete (a as Partial<LitestreamBackupArgs>).app,
        "app",
        "`app` is required: set at least `app.image`, `app.dataDir` and `app.databases`.",
    ],
];

describe("validateArgs", () => {
    it("has more than 30 distinct rules under test", () => {
        expect(new Set(BAD.map((b) => b[3])).size).toBeGreaterThan(30);
    });

    it.each(BAD)("rejects %s", (_desc, mutate, propertyPath, reason) => {
        const args = base();
        mutate(args);
        expect(validateArgs("meds", args)).toEqual([{ propertyPath, reason }]);
    });

    const GOOD: [string, Mutation][] = [
        ["the minimal local args", () => undefined],
        [
            "a Go duration with two units",
            (a) => (a.replication = { syncInterval: "1m30s", snapshotInterval: "1h30m" }),
        ],
        [
            "a fractional Go duration",
            (a) => (a.replication = { syncInterval: "1.5s", retention: "168h" }),
        ],
        ["each preset", (a) => (a.replication = { preset: ReplicationPreset.Critical })],
        [
            "Litestream's own timer defaults",
            (a) => (a.replication = { preset: ReplicationPreset.Active, litestreamDefaults: true }),
        ],
        [
            "the component's timers, said out loud",
            (a) => (a.replication = { litestreamDefaults: false }),
        ],
        [
            "r2 with every field",
            (a) =>
                (a.storage = {
                    provider: StorageProvider.R2,
                    accountId: ACCOUNT,
                    jurisdiction: "eu",
                    location: "weur",
                    bucketName: "meds-backups",
                    path: "apps/meds",
                    appendOnly: true,
                    retainOnDelete: false,
                }),
        ],
        [
            "s3 with a dotted name",
            (a) =>
                (a.storage = {
                    provider: StorageProvider.S3,
                    bucketName: "meds.backups.example",
                    region: "eu-central-1",
                }),
        ],
        [
            "s3-compatible over plain http",
            (a) =>
                (a.storage = {
                    provider: StorageProvider.S3Compatible,
                    endpoint: "http://minio:9000",
                    bucketName: "backups",
                    accessKeyId: "k",
                    secretAccessKey: "s",
                    region: "eu-central-003",
                }),
        ],
        [
            "databases nested and absolute",
            (a) => (a.app.databases = ["meds.db", "tenants/a.db", "/app/data/b.db"]),
        ],
        ["a trailing slash on dataDir", (a) => (a.app.dataDir = "/app/data/")],
        [
            "ports with and without host port",
            (a) => (a.app.ports = [{ internal: 8080, external: 80 }, { internal: 9000 }]),
        ],
        [
            "an ssh host with options",
            (a) =>
                (a.docker = {
                    host: "ssh://deploy@app.example.com:2222",
                    sshOpts: ["-o", "StrictHostKeyChecking=accept-new"],
                }),
        ],
        [
            "the lowest supported Litestream",
            (a) => (a.litestream = { image: "litestream/litestream:0.5.13", metricsPort: 9090 }),
        ],
        [
            "a custom Litestream image",
            (a) => (a.litestream = { image: "registry.local:5000/ops/litestream:0.5.16-custom" }),
        ],
        [
            "an image pinned by digest",
            (a) => (a.app.image = `ghcr.io/acme/meds@sha256:${"a".repeat(64)}`),
        ],
        ["autoRestore off", (a) => (a.autoRestore = false)],
        ["an app user uid:gid", (a) => (a.app.user = "1000:1000")],
        ["an app user uid alone", (a) => (a.app.user = "65532")],
        ["an app user root", (a) => (a.app.user = "0")],
        ["an app user root:root", (a) => (a.app.user = "0:0")],
        ["the highest ids", (a) => (a.app.user = "4294967294:4294967294")],
        ["nothing deployed on Docker, local storage", (a) => (a.docker = { deploy: false })],
        [
            "nothing deployed on Docker, r2 kept on destroy",
            (a) => {
                a.storage = {
                    provider: StorageProvider.R2,
                    accountId: ACCOUNT,
                    retainOnDelete: true,
                };
                a.docker = { deploy: false };
            },
        ],
        ["deployed on the local engine, said explicitly", (a) => (a.docker = { deploy: true })],
        [
            "every verify field",
            (a) =>
                (a.verify = {
                    enabled: true,
                    interval: "1h30m",
                    heartbeatUrl: "https://hc-ping.com/5f1e0c3a-8d0e-4a4e-9f5b-2f4b0c1d2e3f",
                    onDeploy: true,
                }),
        ],
        ["the shortest verify interval", (a) => (a.verify = { interval: "1m" })],
        ["verify off", (a) => (a.verify = { enabled: false })],
        [
            "an Uptime Kuma push URL over plain http",
            (a) =>
                (a.verify = {
                    heartbeatUrl: "http://kuma.lan:3001/api/push/Tk3nA?status=up&msg=OK&ping=",
                }),
        ],
        [
            "Litestream's own heartbeat every minute",
            (a) =>
                (a.litestream = {
                    heartbeatUrl: "https://hc-ping.com/5f1e0c3a",
                    heartbeatInterval: "1m",
                }),
        ],
        [
            "kubernetes with the defaults",
            (a) => {
                a.storage = S3C;
                a.kubernetes = {};
            },
        ],
        [
            "kubernetes with every field and an internal port",
            (a) => {
                a.storage = S3C;
                a.app.name = "meds-app";
                a.app.ports = [{ internal: 8080 }];
                a.kubernetes = {
                    namespace: "apps",
                    kubeconfig: "apiVersion: v1\nkind: Config\n",
                    storageClassName: "local-path",
                    storageSize: "2.5Gi",
                };
            },
        ],
        [
            "kubernetes with restore drills, onDeploy said false",
            (a) => {
                a.storage = S3C;
                a.kubernetes = {};
                a.verify = {
                    interval: "1h",
                    heartbeatUrl: "https://hc-ping.com/5f1e0c3a",
                    onDeploy: false,
                };
            },
        ],
    ];
    it.each(GOOD)("accepts %s", (_desc, mutate) => {
        const args = base();
        mutate(args);
        expect(validateArgs("meds", args)).toEqual([]);
    });

    it("reports every broken rule at once", () => {
        const args = base();
        args.app.dataDir = "data";
        args.replication = {
            syncInterval: "1d",
            litestreamDefaults: "no" as unknown as boolean,
        };
        expect(validateArgs("meds", args).map((i) => i.propertyPath)).toEqual([
            "app.dataDir",
            "replication.syncInterval",
            "replication.litestreamDefaults",
        ]);
    });

    it("checks app.user even when no database is listed", () => {
        const args = base();
        args.app.databases = [];
        args.app.user = "node";
        expect(validateArgs("meds", args).map((i) => i.propertyPath)).toEqual([
            "app.databases",
            "app.user",
        ]);
    });

    it("names the component when it cannot name Kubernetes objects", () => {
        const args = base();
        args.storage = S3C;
        args.app.name = "meds";
        args.kubernetes = {};
        expect(validateArgs("Meds", args)).toEqual([
            {
                propertyPath: "kubernetes",
                reason: "The component name `Meds` cannot name Kubernetes objects (the ConfigMap, Secrets and Job are named after it): use at most 40 lowercase letters, digits and `-`, starting and ending with a letter or digit.",
            },
        ]);
        delete args.app.name;
        expect(validateArgs("Meds", args).map((i) => i.propertyPath)).toEqual([
            "kubernetes",
            "app.name",
        ]);
    });

    it("does not judge values that are not known yet", () => {
        const unknown = { apply: () => undefined } as unknown as string;
        const args = base();
        args.storage = { provider: StorageProvider.R2, accountId: unknown, bucketName: unknown };
        args.verify = { heartbeatUrl: unknown };
        args.litestream = { heartbeatUrl: unknown };
        expect(validateArgs("meds", args)).toEqual([]);
    });

    it("never quotes a push monitor's URL, which is a secret", () => {
        for (const url of [
            "hc-ping.com/secret-token",
            "ftp://x/secret-token",
            "https://u:p@x/secret-token",
        ]) {
            const args = base();
            args.verify = { heartbeatUrl: url };
            args.litestream = { heartbeatUrl: url };
            const issues = validateArgs("meds", args);
            expect(issues).toHaveLength(2);
            for (const issue of issues) expect(issue.reason).not.toContain("secret-token");
        }
    });
});

describe("defaultBucketName", () => {
    it("joins component name and stack in bucket-safe form", () => {
        expect(defaultBucketName("Meds_App", "prod")).toBe("meds-app-prod");
        expect(defaultBucketName("meds", "dev")).toBe("meds-dev");
    });
});
