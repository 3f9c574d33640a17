/**
 * The variables a Compose file refers to instead of holding secrets, and the `.env` file that
 * fills them. Pure functions: the renderer writes the references, `npm run compose` reads them
 * back out of the file to write the `.env` template.
 *
 * Compose interpolates `$` in every value of the file (`${NAME}`, `$NAME`), configs' inline
 * `content` included, and reads `$$` as a literal `$`. So every literal the file holds is
 * escaped ({@link escapeLiteral}) and the only interpolations left are the references made
 * here, each `${NAME:?hint}`: Compose refuses to start (and `docker compose config` fails),
 * printing the hint, while the variable is unset or empty.
 */
import { parse } from "yaml";
import { CREDENTIAL_ENV, SecretRef } from "../plan/plan";

/** A variable of the Compose file and the hint Compose prints when it is missing. */
export interface ComposeVariable {
    name: string;
    /** No `}` or `$` in it: it ends the reference. */
    hint: string;
}

/** The bucket credential, under the names the Litestream containers read it by. */
export const CREDENTIAL_VARIABLES: readonly ComposeVariable[] = [
    {
        name: CREDENTIAL_ENV[0],
        hint: "set it to the access key id of the bucket credential (pulumi stack output accessKeyId --show-secrets)",
    },
    {
        name: CREDENTIAL_ENV[1],
        hint: "set it to the secret access key of the bucket credential (pulumi stack output secretAccessKey --show-secrets)",
    },
];

/**
 * The hint of each secret the plan injects as a variable of the same name as the container's
 * (`LITESTREAM_HEARTBEAT_URL`, `VERIFY_HEARTBEAT_URL`): the push monitors' URLs.
 */
export const SECRET_HINTS: Record<SecretRef, string> = {
    litestreamHeartbeatUrl:
        "set it to the push monitor URL of litestream.heartbeatUrl, which is secret in the stack (composeEnv)",
    verifyHeartbeatUrl:
        "set it to the push monitor URL of verify.heartbeatUrl, which is secret in the stack (composeEnv)",
};

/**
 * Prefix of the variables that carry the app's secret environment values. Not the app's own
 * names: Compose takes a variable from the shell that runs it before the `.env` file, so an
 * app variable named like a shell's (`PATH`, `HOME`, `USER`, `LANG`) would silently take the
 * shell's value.
 */
export const APP_VARIABLE_PREFIX = "APP_";

/** `$` doubled: what Compose reads back as the literal. */
export function escapeLiteral(value: string): string {
    return value.split("$").join("$$");
}

/** The reference to a variable: `${NAME:?hint}`. */
export function variableReference(variable: ComposeVariable): string {
    return `\${${variable.name}:?${variable.hint}}`;
}

/** Characters that would end a reference's hint or start an interpolation in it. */
function hintSafe(text: string): string {
    return text.replace(/[$}]/g, "_");
}

/**
 * The variable of each app environment key, in the order given: `APP_` and the key, with any
 * character a variable name cannot hold turned into `_`, and `_2`, `_3`, ... after a name
 * that two keys would share.
 */
export function appVariables(keys: readonly string[]): Map<string, ComposeVariable> {
    const taken = new Set<string>();
    const variables = new Map<string, ComposeVariable>();
    for (const key of keys) {
        const base = APP_VARIABLE_PREFIX + key.replace(/[^A-Za-z0-9_]/g, "_");
        let name = base;
        for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
        taken.add(name);
        variables.set(key, {
            name,
            hint: `set it to the value of app.envs.${hintSafe(key)}, which is secret in the stack`,
        });
    }
    return variables;
}

/**
 * The variables a Compose file refers to with `${NAME:?hint}`, in order of first use, each
 * once. Only values are read (Compose interpolates nothing else, comments included); an
 * escaped `$$` is a literal and starts no reference.
 */
export function referencedVariables(file: string): ComposeVariable[] {
    const found = new Map<string, ComposeVariable>();
    const scan = (text: string) => {
        for (let i = 0; i < text.length; i++) {
            if (text[i] !== "$") continue;
            if (text[i + 1] === "$") {
                i++;
                continue;
            }
            const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*):\?([^}]*)\}/.exec(text.slice(i));
            if (match === null) continue;
            if (!found.has(match[1])) found.set(match[1], { name: match[1], hint: match[2] });
            i += match[0].length - 1;
        }
    };
    const walk = (value: unknown): void => {
        if (typeof value === "string") scan(value);
        else if (Array.isArray(value)) value.forEach(walk);
        else if (typeof value === "object" && value !== null) Object.values(value).forEach(walk);
    };
    walk(parse(file));
    return [...found.values()];
}

/**
 * A value as a `.env` line holds it. Bare when it has only characters that no Compose release
 * reads specially, else in single quotes (taken literally: no `$` interpolation, no escapes).
 * A value with a single quote or a line break has no spelling that every Compose release
 * reads the same way: that throws.
 */
export function envFileValue(name: string, value: string): string {
    if (/^[A-Za-z0-9_./+=:@,%^-]*$/.test(value)) return value;
    if (!/['\n\r]/.test(value)) return `'${value}'`;
    throw new Error(
        `${name} holds a single quote or a line break, which a .env file cannot hold safely: set it in the environment of docker compose (or in Portainer's environment variables) instead.`,
    );
}

/**
 * A `.env` file for the variables: the header as comments, then each variable's hint and its
 * line. Without a value (a template) the line is `NAME=`: Compose refuses to start until it
 * is filled.
 */
export function renderEnvFile(
    variables: readonly ComposeVariable[],
    header: readonly string[],
    values: Readonly<Record<string, string>> = {},
): string {
    const lines = header.map((l) => (l === "" ? "#" : `# ${l}`));
    for (const v of variables) {
        const value = values[v.name];
        lines.push(
            "",
            `# ${v.hint}`,
            `${v.name}=${value === undefined ? "" : envFileValue(v.name, value)}`,
        );
    }
    return `${lines.join("\n")}\n`;
}
