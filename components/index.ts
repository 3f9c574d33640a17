/**
 * The public API of litestream-backup: the component, its Args and the enums.
 */
export { LitestreamBackup, LITESTREAM_BACKUP_TYPE } from "./litestream-backup";
export {
    AppArgs,
    DockerArgs,
    KubernetesArgs,
    LitestreamArgs,
    LitestreamBackupArgs,
    PortArgs,
    ReplicationArgs,
    ReplicationPreset,
    StorageArgs,
    StorageProvider,
    VerifyArgs,
} from "./args";
