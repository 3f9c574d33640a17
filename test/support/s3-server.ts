/**
 * A real S3 server for the tests: versitygw (the implementation the `local` provider
 * deploys, built by `npm run deps`) with the posix backend, on 127.0.0.1 (or another address
 * of this machine, such as the Docker bridge's gateway, where containers reach it), a free
 * port, its own data folder and generated root keys. It can be stopped and started again on
 * the same port and folder, keeping its data, to play a storage outage.
 */
import {
    CreateBucketCommand,
    DeleteObjectCommand,
    ListObjectsV2Command,
    PutBucketPolicyCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import {
    depsBinary,
    freePort,
    minimalEnv,
    portInUse,
    Proc,
    runProc,
    runSync,
    sleep,
    startProc,
    tempDir,
} from "./procs";

/** A key pair. */
export interface S3Keys {
    accessKeyId: string;
    secretAccessKey: string;
}

/** One object as listed. */
export interface ListedObject {
    key: string;
    size: number;
}

export class S3Server {
    /** `http://<host>:<port>`, as written into the Litestream config. */
    readonly endpoint: string;
    /** Server access log: one line a request, with its operation. */
    readonly accessLog: string;
    private proc?: Proc;
    private readonly procs: Proc[] = [];

    constructor(
        readonly port: number,
        /** Root of the posix backend: one folder a bucket. */
        readonly dataDir: string,
        /** Users and their keys (`--iam-dir`), a hidden folder inside the data root. */
        readonly iamDir: string,
        readonly root: S3Keys,
        /** The address it listens on. */
        readonly host = "127.0.0.1",
    ) {
        // An empty host would make versitygw listen on every interface.
        if (host.trim() === "") throw new Error("the S3 server needs an address to listen on");
        this.endpoint = `http://${host}:${port}`;
        this.accessLog = path.join(path.dirname(dataDir), "access.log");
    }

    get running(): boolean {
        return this.proc?.running ?? false;
    }

    /** Every line the server printed, over all its starts. */
    output(): string {
        return this.procs.map((p) => p.output()).join("\n");
    }

    /** Starts the server and waits until `/health` answers. */
    async start(): Promise<void> {
        if (this.running) return;
        if (await portInUse(this.port, this.host)) {
            throw new Error(`port ${this.port} is taken: cannot start the S3 server on it again`);
        }
        this.proc = startProc(
            `versitygw:${this.port}`,
            depsBinary("versitygw"),
            [
                "--port",
                `${this.host}:${this.port}`,
                "--health",
                "/health",
                "--iam-dir",
                this.iamDir,
                "--access-log",
                this.accessLog,
                "posix",
                this.dataDir,
            ],
            {
                env: minimalEnv({
                    ROOT_ACCESS_KEY_ID: this.root.accessKeyId,
                    ROOT_SECRET_ACCESS_KEY: this.root.secretAccessKey,
                }),
            },
        );
        this.procs.push(this.proc);
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
            if (!this.proc.running) {
                throw new Error(`versitygw exited at start:\n${this.proc.output()}`);
            }
            try {
                const res = await fetch(`${this.endpoint}/health`);
                if (res.status === 200) return;
            } catch {
                // not listening yet
            }
            await sleep(50);
        }
        throw new Error(`versitygw did not answer /health within 15 s:\n${this.proc.output()}`);
    }

    /** Stops the server (SIGTERM); its data stays in `dataDir`. */
    async stop(): Promise<void> {
        await this.proc?.stop("SIGTERM", 5_000);
    }

    /**
     * Copies the data folder as it is now (call it while the server is stopped), extended
     * attributes included (the posix backend keeps object metadata in them).
     */
    copyData(): string {
        if (this.running) throw new Error("copy the data of a stopped server only");
        const copy = path.join(tempDir("s3-copy"), "data");
        runSync("cp", ["-a", this.dataDir, copy], minimalEnv());
        return copy;
    }

    /** A server on the same port and keys serving another data folder (e.g. a copy). */
    withData(dataDir: string): S3Server {
        return new S3Server(this.port, dataDir, path.join(dataDir, ".iam"), this.root, this.host);
    }

    /** An S3 client for these keys (root by default). */
    client(keys: S3Keys = this.root): S3Client {
        return new S3Client({
            endpoint: this.endpoint,
            region: "us-east-1",
            forcePathStyle: true,
            credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
            maxAttempts: 1,
        });
    }

    /** Creates a bucket owned by root. */
    async createBucket(bucket: string): Promise<void> {
        await this.client().send(new CreateBucketCommand({ Bucket: bucket }));
    }

    /** Every object under `prefix`, read through the S3 API as root. */
    async listObjects(bucket: string, prefix = ""): Promise<ListedObject[]> {
        const client = this.client();
        const objects: ListedObject[] = [];
        let token: string | undefined;
        do {
            const page = await client.send(
                new ListObjectsV2Command({
                    Bucket: bucket,
                    Prefix: prefix,
                    ContinuationToken: token,
                }),
            );
            for (const o of page.Contents ?? [])
                objects.push({ key: o.Key ?? "", size: o.Size ?? 0 });
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return objects;
    }

    /** Deletes one object with `keys`; the S3 error name when refused, undefined when done. */
    async tryDelete(bucket: string, key: string, keys: S3Keys): Promise<string | undefined> {
        try {
            await this.client(keys).send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
            return undefined;
        } catch (err) {
            return (err as { name?: string }).name ?? String(err);
        }
    }

    /**
     * A user that may list the bucket and put and get its objects but never delete them:
     * an Allow for those actions and an explicit Deny of deletion, as a bucket policy
     * (the bucket is root-owned, so the policy is what grants the user anything).
     */
    async createAppendOnlyUser(bucket: string): Promise<S3Keys> {
        return this.createPolicyUser(bucket, "append", {
            allow: ["s3:GetObject", "s3:PutObject"],
            deny: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            denyPrefix: "",
        });
    }

    /**
     * A user that may list the bucket and put and delete its objects but never read one under
     * `prefix` (default: anywhere): an Allow for those actions (and for reading elsewhere) and
     * an explicit Deny of `s3:GetObject`, as a bucket policy (it replaces the bucket's policy).
     * Replication works with it; a restore of what is under `prefix` does not.
     */
    async createNoReadUser(bucket: string, prefix = ""): Promise<S3Keys> {
        return this.createPolicyUser(bucket, "noread", {
            allow: ["s3:PutObject", "s3:DeleteObject", ...(prefix === "" ? [] : ["s3:GetObject"])],
            deny: ["s3:GetObject"],
            denyPrefix: prefix,
        });
    }

    /**
     * A new user and a bucket policy (replacing the bucket's) that lets it list the bucket, allows
     * `allow` on every object and denies `deny` on the objects under `denyPrefix`.
     */
    private async createPolicyUser(
        bucket: string,
        name: string,
        actions: { allow: string[]; deny: string[]; denyPrefix: string },
    ): Promise<S3Keys> {
        const keys = generateKeys(name);
        await this.createUser(keys);
        const principal = { AWS: [keys.accessKeyId] };
        const policy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: principal,
                    Action: ["s3:ListBucket", "s3:GetBucketLocation"],
                    Resource: [`arn:aws:s3:::${bucket}`],
                },
                {
                    Effect: "Allow",
                    Principal: principal,
                    Action: actions.allow,
                    Resource: [`arn:aws:s3:::${bucket}/*`],
                },
                {
                    Effect: "Deny",
                    Principal: principal,
                    Action: actions.deny,
                    Resource: [`arn:aws:s3:::${bucket}/${actions.denyPrefix}*`],
                },
            ],
        };
        await this.client().send(
            new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }),
        );
        return keys;
    }

    /** Creates a versitygw user (role `user`) with these keys. */
    private async createUser(keys: S3Keys): Promise<void> {
        const admin = await runProc(
            "versitygw-admin",
            depsBinary("versitygw"),
            [
                "admin",
                "create-user",
                "--access",
                keys.accessKeyId,
                "--secret",
                keys.secretAccessKey,
                "--role",
                "user",
            ],
            {
                env: minimalEnv({
                    ADMIN_ACCESS_KEY_ID: this.root.accessKeyId,
                    ADMIN_SECRET_ACCESS_KEY: this.root.secretAccessKey,
                    ADMIN_ENDPOINT_URL: this.endpoint,
                }),
                timeoutMs: 15_000,
            },
        );
        if (admin.code !== 0)
            throw new Error(`versitygw admin create-user failed:\n${admin.output}`);
    }

    /** Lines of the access log, over every start. */
    accessLogLines(): string[] {
        if (!existsSync(this.accessLog)) return [];
        return readFileSync(this.accessLog, "utf8")
            .split("\n")
            .filter((l) => l !== "");
    }
}

/** Random keys of the shape S3 servers accept. */
export function generateKeys(prefix = "test"): S3Keys {
    return {
        accessKeyId: `${prefix}${randomBytes(8).toString("hex")}`.toUpperCase(),
        secretAccessKey: randomBytes(24).toString("base64url"),
    };
}

/**
 * Starts a fresh S3 server: new folder, free port, random root keys, listening on `host`
 * (default 127.0.0.1). `cleanupAll()` stops it and removes the folder.
 */
export async function startS3Server(host = "127.0.0.1"): Promise<S3Server> {
    const base = tempDir("s3");
    const dataDir = path.join(base, "data");
    const iamDir = path.join(dataDir, ".iam");
    mkdirSync(iamDir, { recursive: true });
    const server = new S3Server(await freePort(host), dataDir, iamDir, generateKeys("root"), host);
    await server.start();
    return server;
}
