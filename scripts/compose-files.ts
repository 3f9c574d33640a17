/**
 * Writes the Compose stack of a Pulumi stack's outputs (JSON on stdin, from
 * `pulumi stack output --json`) into a folder: `compose.yaml` (the `composeFile` output) and
 * `.env` for the variables it refers to. Run by scripts/compose.sh (`npm run compose`).
 *
 *   tsx scripts/compose-files.ts --out <dir> --stack <name> [--show-secrets] [--check-env <file>]
 *
 * Without --show-secrets the `.env` is a template: every variable empty under its hint (Compose
 * refuses to start until each is set), and an existing `.env` is kept, since it may hold
 * values filled in by hand. With --show-secrets it is written with the values of the
 * `composeEnv` output, readable by its owner only. --check-env writes a throw-away env file
 * with a placeholder for each variable, for `docker compose config` to check the file without
 * any secret.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { referencedVariables, renderEnvFile } from "../components/compose/variables";

const NAME = "compose";

function fail(message: string): never {
    console.error(`${NAME}: ERROR: ${message}`);
    process.exit(1);
}

function log(message: string): void {
    console.error(`${NAME}: ${message}`);
}

function option(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : process.argv[i + 1];
}

const out = option("--out") ?? fail("--out <dir> is required");
const stack = option("--stack") ?? fail("--stack <name> is required");
const showSecrets = process.argv.includes("--show-secrets");
const checkEnv = option("--check-env");

const outputs = JSON.parse(readFileSync(0, "utf8")) as Record<string, unknown>;
const file = outputs.composeFile;
if (typeof file !== "string") {
    fail(
        `stack ${stack} has no composeFile output: run \`npm run pulumi -- up --stack ${stack}\` with this version of the program first`,
    );
}
if (file === "[secret]") {
    fail(
        `stack ${stack} keeps composeFile secret (an input it holds was given as a secret): run again with --show-secrets`,
    );
}

const variables = referencedVariables(file);
mkdirSync(out, { recursive: true });
const composePath = path.join(out, "compose.yaml");
writeFileSync(composePath, file);
log(`wrote ${composePath} (no credential in it)`);

const header = [
    `Variables of compose.yaml, stack ${stack}. Keep this file private: it is, or will be, a credential.`,
    "docker compose reads it from the folder it runs in (or pass --env-file); in Portainer, enter",
    "the same names and values under the stack's Environment variables (or load this file there).",
];
const envPath = path.join(out, ".env");
if (showSecrets) {
    const values = outputs.composeEnv;
    if (typeof values !== "object" || values === null) {
        fail(
            `stack ${stack} has no composeEnv output: run \`npm run pulumi -- up --stack ${stack}\` first`,
        );
    }
    let text: string;
    try {
        text = renderEnvFile(variables, header, values as Record<string, string>);
    } catch (e) {
        fail((e as Error).message);
    }
    writeFileSync(envPath, text, { mode: 0o600 });
    chmodSync(envPath, 0o600);
    log(
        `wrote ${envPath} with the values of ${variables.length} variable(s), readable by you only`,
    );
} else if (existsSync(envPath)) {
    log(
        `kept the existing ${envPath}; remove it for a fresh template, or use --show-secrets to fill it`,
    );
} else {
    writeFileSync(envPath, renderEnvFile(variables, header), { mode: 0o600 });
    log(
        `wrote ${envPath} as a template: fill in ${variables.map((v) => v.name).join(", ")} (or run again with --show-secrets)`,
    );
}

if (checkEnv !== undefined) {
    const placeholders = Object.fromEntries(variables.map((v) => [v.name, "placeholder"]));
    writeFileSync(checkEnv, renderEnvFile(variables, [], placeholders), { mode: 0o600 });
}
