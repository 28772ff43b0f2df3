package io.pgjobs;

import io.pgjobs.admin.AdminClient;
import io.pgjobs.internal.Config;
import io.pgjobs.internal.DefaultJobClient;
import io.pgjobs.internal.Migrations;
import io.pgjobs.internal.admin.DefaultAdminClient;
import io.pgjobs.internal.runtime.Runtime;
import io.pgjobs.spi.JobSerializer;
import io.pgjobs.spi.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import javax.sql.DataSource;

/**
 * A pgjobs node: it runs the jobs of its queues whose kinds it has handlers for, and hands out the
 * {@link JobClient}. Build one per application with {@link #builder(DataSource)}, {@link #start()} it, and
 * {@link #close()} it on shutdown.
 *
 * <pre>{@code
 * Scheduler scheduler = Scheduler.builder(dataSource)
 *         .queue("default", 20)
 *         .handler(SendEmail.class, ctx -> mailer.send(ctx.args().to()))
 *         .build();
 * scheduler.start();                       // migrates the schema, then fetches and runs jobs
 * scheduler.client().enqueue(new SendEmail("ada@example.com"));
 * }</pre>
 *
 * <p>A node that only enqueues builds a scheduler without queues and never starts it (call {@link #migrate()}
 * or let the migrations run elsewhere).
 */
public final class Scheduler implements AutoCloseable {
    private final Config config;
    private final DefaultJobClient client;
    private final Runtime runtime;
    private final AdminClient admin;

    private Scheduler(Config config) {
        this.config = config;
        this.client = new DefaultJobClient(config);
        this.runtime = new Runtime(config, client.store());
        this.admin = new DefaultAdminClient(config, client);
    }

    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The client for enqueueing and inspecting jobs; usable whether or not this scheduler was started. */
    public JobClient client() {
        return client;
    }

    /** The operator's API (what the dashboard uses); usable whether or not this scheduler was started. */
    public AdminClient admin() {
        return admin;
    }

    /** Applies pgjobs' migrations to its schema (creating it if needed). Idempotent. */
    public void migrate() {
        Migrations.migrate(config.dataSource(), config.schema());
    }

    /**
     * Starts fetching and running jobs (migrating first unless disabled). Calling it again while running is
     * harmless. A scheduler that was closed cannot be started again.
     */
    public void start() {
        if (config.migrateOnStart()) {
            migrate();
        }
        runtime.start();
    }

    /**
     * Stops in two phases: fetching stops at once and running jobs get until the shutdown deadline to finish;
     * the rest are interrupted and put back to run again (without spending an attempt). Pending completions
     * are written before it returns. Harmless to call twice or before {@link #start()}.
     */
    @Override
    public void close() {
        runtime.stop();
    }

    /** This node's id, as stored with the jobs it runs. */
    public String nodeId() {
        return config.nodeId();
    }

    /**
     * Configures a {@link Scheduler}. Each setter validates its value at once and throws
     * {@link IllegalArgumentException} naming the setting.
     */
    public static final class Builder {
        private final Config.Builder config;

        private Builder(DataSource dataSource) {
            this.config = new Config.Builder(dataSource);
        }

        /** The Postgres schema holding pgjobs' tables; default {@code pgjobs}. */
        public Builder schema(String schema) {
            config.schema(schema);
            return this;
        }

        /** A queue this node works, with how many of its jobs may run at once on this node. */
        public Builder queue(String name, int concurrency) {
            config.queue(name, concurrency);
            return this;
        }

        /** Registers the handler for the kind named by {@link JobKind} on {@code argsType}. */
        public <A> Builder handler(Class<A> argsType, JobHandler<A> handler) {
            return handler(JobRequest.kindOf(argsType), argsType, handler);
        }

        /** Registers the handler for {@code kind}, whose args deserialize as {@code argsType}. */
        public <A> Builder handler(String kind, Class<A> argsType, JobHandler<A> handler) {
            config.handler(kind, argsType, handler);
            return this;
        }

        /** This node's id; default host name, process id and a random suffix. */
        public Builder nodeId(String nodeId) {
            config.nodeId(nodeId);
            return this;
        }

        /** How often idle queues look for work when no notification arrives; default 1 s. */
        public Builder pollInterval(Duration interval) {
            config.pollInterval(interval);
            return this;
        }

        /** How long {@link #close()} lets running jobs finish before interrupting them; default 30 s. */
        public Builder shutdownDeadline(Duration deadline) {
            config.shutdownDeadline(deadline);
            return this;
        }

        /** How long a running job's lease lasts between renewals before the job counts as lost; default 30 s. */
        public Builder leaseDuration(Duration lease) {
            config.leaseDuration(lease);
            return this;
        }

        /** The retry policy of handlers that do not bring their own; default exponential with full jitter. */
        public Builder retryPolicy(RetryPolicy policy) {
            config.retryPolicy(policy);
            return this;
        }

        public Builder serializer(JobSerializer serializer) {
            config.serializer(serializer);
            return this;
        }

        /** The largest args a job may have, in bytes of JSON; default 1 MiB. */
        public Builder maxArgsBytes(int bytes) {
            config.maxArgsBytes(bytes);
            return this;
        }

        /** Whether {@link #start()} applies the migrations first; default true. */
        public Builder migrateOnStart(boolean migrate) {
            config.migrateOnStart(migrate);
            return this;
        }

        /**
         * Runs handlers on this executor instead of pgjobs' own threads. pgjobs never shuts it down; the queues'
         * concurrency still bounds how many jobs it is given.
         */
        public Builder executor(ExecutorService executor) {
            config.executor(executor);
            return this;
        }

        public Scheduler build() {
            return new Scheduler(config.build());
        }
    }
}
