/**
 * The restore a database gets before the sidecar and the app start.
 *
 * `-if-db-not-exists`: a database already on the volume is left alone. `-if-replica-exists`
 * turns only "no backup at this path" into exit 0 (first deploy). It does not hide a failure
 * to reach the replica: measured with v0.5.16 against versitygw, a wrong secret (403
 * SignatureDoesNotMatch), an unknown key id (404), a missing bucket (404 NoSuchBucket) and a
 * refused connection (after 10 attempts, 230 s) each exit 1, because only `ErrTxNotAvailable`
 * is mapped to "no matching backups found" (cmd/litestream/restore.go). A corrupt replica
 * exits 1 too, and leaves no database behind (restore writes `<db>.tmp` and renames it, and
 * removes the file when the integrity check fails), so the next run retries.
 * `-integrity-check full` runs `PRAGMA integrity_check` on the restored file.
 */
import { CONFIG_PATH } from "./paths";

/** The restore command for one database (the image's entrypoint is litestream). */
export function restoreCommandArgs(dbPath: string): string[] {
    return [
        "restore",
        "-config",
        CONFIG_PATH,
        "-if-db-not-exists",
        "-if-replica-exists",
        "-integrity-check",
        "full",
        dbPath,
    ];
}
