/**
 * A server the deployment's containers talk to that is not one of them: the `local` storage
 * provider's S3 server. The Docker deployment creates it as part of the storage (before the
 * plan's first container); a target that describes the whole stack in one file (Compose) runs
 * it as one more service, which the plan's first containers wait for until it is healthy.
 */
import { HealthcheckPlan } from "./healthcheck";

/** One server container, as plain data. */
export interface ServerPlan {
    /** Service key, unique beside the plan's container keys. */
    key: string;
    /** Container name. */
    name: string;
    /** Pinned image. */
    image: string;
    /** Overrides the image's entrypoint when set. */
    entrypoint?: string[];
    /** Overrides the image's command when set. */
    command?: string[];
    /** Environment that holds no secret. */
    env: Record<string, string>;
    /**
     * The variables this server reads the bucket credential from: access key id, then secret
     * access key. The credential is named, never held, as in the plan.
     */
    credentialEnv: [string, string];
    /** Its own named volume and where it is mounted. */
    volume: { name: string; path: string };
    healthcheck: HealthcheckPlan;
    /** Labels beyond the component's own. */
    labels: Record<string, string>;
}
