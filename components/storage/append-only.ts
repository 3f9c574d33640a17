/**
 * Pure checks of the storage flags `appendOnly` and `retainOnDelete`: their type, and which
 * providers can honour `appendOnly`. Called from `validateArgs` with the other storage rules.
 */
import { StorageArgs, StorageProvider } from "../args";
import type { ArgIssue } from "../validate";

/** Why the local server cannot be append-only; also thrown by `localStorage` itself. */
export const LOCAL_APPEND_ONLY_REASON =
    "`storage.appendOnly` is not supported when `storage.provider` is `local`: the local server keeps the backups on the same Docker host as the app, so whoever controls that host can delete them whatever the credential allows. Remove it, or use `r2` or `s3`.";

function flagIssue(field: string, value: unknown): ArgIssue {
    return {
        propertyPath: `storage.${field}`,
        reason: `\`storage.${field}\` is \`${JSON.stringify(value) ?? String(value)}\`: use \`true\` or \`false\`, without quotes.`,
    };
}

/** Every rule the storage flags break, in field order. Empty when they are valid. */
export function storageFlagIssues(storage: StorageArgs): ArgIssue[] {
    const issues: ArgIssue[] = [];
    if (storage.appendOnly !== undefined && typeof storage.appendOnly !== "boolean") {
        issues.push(flagIssue("appendOnly", storage.appendOnly));
    } else if (storage.appendOnly === true && storage.provider === StorageProvider.Local) {
        issues.push({ propertyPath: "storage.appendOnly", reason: LOCAL_APPEND_ONLY_REASON });
    }
    if (storage.retainOnDelete !== undefined && typeof storage.retainOnDelete !== "boolean") {
        issues.push(flagIssue("retainOnDelete", storage.retainOnDelete));
    }
    return issues;
}
