import { StorageProvider } from "../args";
import { localStorage } from "./local";
import { r2Storage } from "./r2";
import { s3Storage } from "./s3";
import { s3CompatibleStorage } from "./s3-compatible";
import { ReplicaTarget, StorageContext } from "./target";

/** Creates (or, for `s3-compatible`, refers to) the bucket and its scoped credential. */
export function createStorage(ctx: StorageContext): ReplicaTarget {
    switch (ctx.args.provider) {
        case StorageProvider.Local:
            return localStorage(ctx);
        case StorageProvider.R2:
            return r2Storage(ctx);
        case StorageProvider.S3:
            return s3Storage(ctx);
        case StorageProvider.S3Compatible:
            return s3CompatibleStorage(ctx);
    }
}
