/**
 * Observability: how the client and the runtime report what happens to jobs, and how {@code Scheduler.health()}
 * is answered.
 *
 * <p>{@link io.pgjobs.internal.observe.Telemetry} is the one facade the rest of pgjobs calls. Behind it, each
 * concern is off and free unless configured: {@code JobMetrics.NONE} and {@code JobTracing.NONE} are no-ops,
 * and the only classes that name Micrometer or OpenTelemetry ({@code MicrometerJobMetrics},
 * {@code OpenTelemetryTracing}) are loaded only when the application passed a registry or an OpenTelemetry
 * instance, which it cannot do without those libraries: both stay optional dependencies. Nothing here adds a
 * database round trip per job; what needs the database (queue depth and lag, health) runs on a timer or on
 * request, with small bounded queries in {@code io.pgjobs.internal.store.ObservationStore}.
 *
 * <p>Listener events go through {@code EventDispatcher}, a bounded queue and one thread, so a listener can
 * never stall the threads that publish.
 */
package io.pgjobs.internal.observe;
