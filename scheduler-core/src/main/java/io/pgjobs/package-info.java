/**
 * pgjobs' public API: {@link io.pgjobs.Scheduler} (the one builder and the node's lifecycle),
 * {@link io.pgjobs.JobClient} (enqueue and inspect), {@link io.pgjobs.JobHandler} (your code), and the value
 * types they exchange. Everything under {@code io.pgjobs.internal} may change without notice.
 */
package io.pgjobs;
