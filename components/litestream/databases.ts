import * as posixPath from "node:path/posix";

/** One database of the app and where its replica lives in the bucket. */
export interface DatabaseReplica {
    /** Absolute path of the database file inside the containers. */
    path: string;
    /** The database's path relative to `dataDir`, e.g. `meds.db` or `tenants/a.db`. */
    relativePath: string;
    /** Key prefix of its replica inside the bucket: `<storage path>/<relativePath>`. */
    replicaPath: string;
}

/**
 * Resolves `app.databases` against `app.dataDir`. Each database gets its own sub-path of
 * the storage path, named after its path relative to `dataDir`, so two databases never
 * share a replica. Expects input that passed validation.
 */
export function resolveDatabases(
    dataDir: string,
    databases: readonly string[],
    storagePath: string,
): DatabaseReplica[] {
    return databases.map((db) => {
        const path = posixPath.isAbsolute(db)
            ? posixPath.normalize(db)
            : posixPath.join(dataDir, db);
        const relativePath = posixPath.relative(dataDir, path);
        return { path, relativePath, replicaPath: `${storagePath}/${relativePath}` };
    });
}
