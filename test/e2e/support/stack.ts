/**
 * End-to-end stacks: the project's program (index.ts and components/, copied into a temporary
 * project folder) deployed by the real Pulumi CLI (`scripts/pulumi.sh`: the installed `pulumi`,
 * or the one `npm run deps` built, with its docker and random plugins) on the local Docker
 * engine. Each test file gets its own file backend, so nothing touches the user's stacks.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";

/** Repository root. */
export const ROOT = path.resolve(__dirname, "../../..");

/** What one CLI run printed, how it ended and how long it took. */
export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** The passphrase of the test stacks' secrets (their state lives in a temporary folder). */
const PASSPHRASE = "litestream-backup-e2e";

/** Files of the program, copied so that the test's stack files stay out of the repository. */
const PROGRAM_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"];

/** Runs a command, capturing its output; never throws on a non-zero exit. */
export function run(
    command: string,
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            cwd: options.cwd ?? ROOT,
            env: options.env ?? process.env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer =
            options.timeoutMs === undefined
                ? undefined
                : setTimeout(() => child.kill("SIGTERM"), options.timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            if (timer) clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - start) / 1000 });
        });
        child.stdin.end(options.input ?? "");
    });
}

/** Runs a command and returns its stdout; throws with its output when it fails. */
export async function check(command: string, args: string[], options = {}): Promise<string> {
    const result = await run(command, args, options);
    if (result.code !== 0) {
        throw new Error(
            `${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
        );
    }
    return result.stdout;
}

/** Stack config of the `s3-compatible` provider on a test S3 server: its endpoint, a bucket and a path. */
export function s3CompatibleStorage(
    server: { endpoint: string },
    bucketName: string,
    path: string,
) {
    return { provider: "s3-compatible", endpoint: server.endpoint, bucketName, path };
}

/** A temporary Pulumi project holding the program, with a file backend of its own. */
export class E2EProject {
    readonly dir: string;
    readonly stateDir: string;
    private readonly root: string;

    constructor(label: string) {
        this.root = mkdtempSync(path.join(os.tmpdir(), `litestream-backup-e2e-${label}-`));
        this.dir = path.join(this.root, "project");
        this.stateDir = path.join(this.root, "state");
        cpSync(path.join(ROOT, "components"), path.join(this.dir, "components"), {
            recursive: true,
        });
        for (const file of PROGRAM_FILES) {
            cpSync(path.join(ROOT, file), path.join(this.dir, file));
        }
        symlinkSync(path.join(ROOT, "node_modules"), path.join(this.dir, "node_modules"));
    }

    /** The environment of the CLI: the test's own backend and passphrase. */
    env(): NodeJS.ProcessEnv {
        return {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${this.stateDir}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_CONFIG_PASSPHRASE_FILE: "",
            // Plain output: no colours or progress redraws in the captured text.
            NO_COLOR: "1",
            PULUMI_SUPPRESS_COPILOT_LINK: "true",
        };
    }

    /** Runs the project's Pulumi CLI (scripts/pulumi.sh) in this project's folder. */
    pulumi(args: string[], timeoutMs = 15 * 60_000): Promise<CliRun> {
        return run(
            "bash",
            [
                path.join(ROOT, "scripts", "pulumi.sh"),
                "--cwd",
                this.dir,
                "--non-interactive",
                ...args,
            ],
            { env: this.env(), timeoutMs },
        );
    }

    /** Creates a stack whose config is `config` (keys in the project namespace). */
    async stack(name: string, config: Record<string, unknown>): Promise<E2EStack> {
        const file: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(config)) {
            file[`litestream-backup:${key}`] = value;
        }
        // Literal blocks: the CLI rewrites the file on `config set`, and keeps those as they are.
        writeFileSync(
            path.join(this.dir, `Pulumi.${name}.yaml`),
            stringify({ config: file }, { blockQuote: "literal" }),
        );
        const init = await this.pulumi(["stack", "init", name]);
        if (init.code !== 0) throw new Error(`pulumi stack init ${name} failed:\n${init.stderr}`);
        return new E2EStack(this, name);
    }

    /** Removes the temporary folder (the state in it included). */
    remove(): void {
        rmSync(this.root, { recursive: true, force: true });
    }
}

/** One stack of an {@link E2EProject}. */
export class E2EStack {
    constructor(
        readonly project: E2EProject,
        readonly name: string,
    ) {}

    /** Runs a stack command (`--stack <name>` added). */
    pulumi(args: string[], timeoutMs?: number): Promise<CliRun> {
        return this.project.pulumi([...args, "--stack", this.name], timeoutMs);
    }

    /** `pulumi up --yes`, throwing with the output when it fails. */
    async up(...extra: string[]): Promise<CliRun> {
        const result = await this.pulumi(["up", "--yes", "--skip-preview", ...extra]);
        if (result.code !== 0) {
            throw new Error(
                `pulumi up failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
            );
        }
        return result;
    }

    /**
     * `pulumi preview --expect-no-changes` (with `extra` flags), throwing with the output when
     * the preview finds a change or fails.
     */
    async expectNoChanges(...extra: string[]): Promise<CliRun> {
        const result = await this.pulumi(["preview", "--expect-no-changes", ...extra]);
        if (result.code !== 0) {
            throw new Error(
                `pulumi preview --expect-no-changes failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
            );
        }
        return result;
    }

    /**
     * `pulumi config set --path` (with `--secret` when asked). The flags come first and `--`
     * ends them: a generated secret may start with `-`, which the CLI would read as a flag.
     */
    async setConfig(key: string, value: string, secret = false): Promise<void> {
        const flags = ["--path", "--stack", this.name, ...(secret ? ["--secret"] : [])];
        const args = ["config", "set", ...flags, "--", `litestream-backup:${key}`, value];
        const result = await this.project.pulumi(args);
        if (result.code !== 0)
            throw new Error(`pulumi config set ${key} failed:\n${result.stderr}`);
    }

    /** The stack's outputs, secrets shown. */
    async outputs(): Promise<Record<string, unknown>> {
        const result = await this.pulumi(["stack", "output", "--json", "--show-secrets"]);
        if (result.code !== 0) throw new Error(`pulumi stack output failed:\n${result.stderr}`);
        return JSON.parse(result.stdout) as Record<string, unknown>;
    }

    /** `pulumi destroy --yes` and `pulumi stack rm`, throwing when the destroy fails. */
    async destroy(): Promise<CliRun> {
        const result = await this.pulumi(["destroy", "--yes", "--skip-preview"]);
        if (result.code !== 0) {
            throw new Error(`pulumi destroy failed:\n${result.stdout}\n${result.stderr}`);
        }
        await this.pulumi(["stack", "rm", "--yes"]);
        return result;
    }
}
