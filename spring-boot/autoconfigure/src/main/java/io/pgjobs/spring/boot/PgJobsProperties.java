package io.pgjobs.spring.boot;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * pgjobs' settings under {@code pgjobs.*}. Each is handed to {@link io.pgjobs.Scheduler.Builder}, which rejects a
 * bad value with an error naming the setting; unset durations keep pgjobs' defaults.
 */
@ConfigurationProperties("pgjobs")
public class PgJobsProperties {
    /** Settings with pgjobs' defaults, which Spring Boot binds {@code pgjobs.*} onto. */
    public PgJobsProperties() {
    }

    /** The PostgreSQL schema holding pgjobs' tables. */
    private String schema = "pgjobs";

    /**
     * Queues this application works, each with how many of its jobs may run at once here. None makes the
     * application a client only: it enqueues and stores schedules, and other nodes run the jobs.
     */
    private Map<String, Integer> queues = new LinkedHashMap<>();

    /** Whether pgjobs applies its own migrations (with its own history table) when the application starts. */
    private boolean migrateOnStart = true;

    /** This node's id; by default host name, process id and a random suffix. */
    private String nodeId;

    /** How often idle queues look for work when no notification arrives (pgjobs' default: 1s). */
    private Duration pollInterval;

    /**
     * How long stopping lets running jobs finish before they are interrupted and put back to run again (pgjobs'
     * default: 30s). The application's shutdown waits for it.
     */
    private Duration shutdownDeadline;

    /** How long a running job's lease lasts between renewals (pgjobs' default: 30s). */
    private Duration leaseDuration;

    /** How long a node may miss heartbeats before it counts as dead (pgjobs' default: 30s). */
    private Duration nodeDeadAfter;

    /** How long completed jobs are kept (pgjobs' default: 24h). */
    private Duration completedRetention;

    /** How long cancelled and discarded jobs are kept (pgjobs' default: 7d). */
    private Duration failedRetention;

    /** Cron schedules by name, created or updated when the application starts. */
    private Map<String, ScheduleProperties> schedules = new LinkedHashMap<>();

    /** One cron schedule: what it enqueues and when. */
    public static class ScheduleProperties {
        /** A schedule with nothing set, which Spring Boot binds {@code pgjobs.schedules.<name>.*} onto. */
        public ScheduleProperties() {
        }

        /** The cron expression (five fields, or six with seconds; see docs/guide.md). */
        private String cron;

        /** The kind of job it enqueues (a handler's kind, e.g. the {@code @JobKind} of its args type). */
        private String kind;

        /** The job's args, as a JSON object. */
        private Map<String, Object> args = new LinkedHashMap<>();

        /** The queue its jobs go to; pgjobs' default queue when unset. */
        private String queue;

        /** The time zone the expression is read in; UTC when unset. */
        private String timeZone;

        /** {@return the cron expression (five fields, or six with seconds; see docs/guide.md)} */
        public String getCron() { return cron; }
        /**
         * Sets {@link #getCron()}.
         *
         * @param cron the new value
         */
        public void setCron(String cron) { this.cron = cron; }
        /** {@return the kind of job it enqueues (a handler's kind)} */
        public String getKind() { return kind; }
        /**
         * Sets {@link #getKind()}.
         *
         * @param kind the new value
         */
        public void setKind(String kind) { this.kind = kind; }
        /** {@return the job's args, as a JSON object} */
        public Map<String, Object> getArgs() { return args; }
        /**
         * Sets {@link #getArgs()}.
         *
         * @param args the new value
         */
        public void setArgs(Map<String, Object> args) { this.args = args; }
        /** {@return the queue its jobs go to; pgjobs' default queue when unset} */
        public String getQueue() { return queue; }
        /**
         * Sets {@link #getQueue()}.
         *
         * @param queue the new value
         */
        public void setQueue(String queue) { this.queue = queue; }
        /** {@return the time zone the expression is read in; UTC when unset} */
        public String getTimeZone() { return timeZone; }
        /**
         * Sets {@link #getTimeZone()}.
         *
         * @param timeZone the new value
         */
        public void setTimeZone(String timeZone) { this.timeZone = timeZone; }
    }

    /** {@return the PostgreSQL schema holding pgjobs' tables} */
    public String getSchema() { return schema; }
    /**
     * Sets {@link #getSchema()}.
     *
     * @param schema the new value
     */
    public void setSchema(String schema) { this.schema = schema; }
    /** {@return the queues this application works, each with how many of its jobs may run at once here} */
    public Map<String, Integer> getQueues() { return queues; }
    /**
     * Sets {@link #getQueues()}.
     *
     * @param queues the new value
     */
    public void setQueues(Map<String, Integer> queues) { this.queues = queues; }
    /** {@return whether pgjobs applies its own migrations when the application starts} */
    public boolean isMigrateOnStart() { return migrateOnStart; }
    /**
     * Sets {@link #isMigrateOnStart()}.
     *
     * @param migrateOnStart the new value
     */
    public void setMigrateOnStart(boolean migrateOnStart) { this.migrateOnStart = migrateOnStart; }
    /** {@return this node's id; by default host name, process id and a random suffix} */
    public String getNodeId() { return nodeId; }
    /**
     * Sets {@link #getNodeId()}.
     *
     * @param nodeId the new value
     */
    public void setNodeId(String nodeId) { this.nodeId = nodeId; }
    /** {@return how often idle queues look for work when no notification arrives (pgjobs' default: 1s)} */
    public Duration getPollInterval() { return pollInterval; }
    /**
     * Sets {@link #getPollInterval()}.
     *
     * @param pollInterval the new value
     */
    public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    /** {@return how long stopping lets running jobs finish before they are interrupted and put back} */
    public Duration getShutdownDeadline() { return shutdownDeadline; }
    /**
     * Sets {@link #getShutdownDeadline()}.
     *
     * @param shutdownDeadline the new value
     */
    public void setShutdownDeadline(Duration shutdownDeadline) { this.shutdownDeadline = shutdownDeadline; }
    /** {@return how long a running job's lease lasts between renewals (pgjobs' default: 30s)} */
    public Duration getLeaseDuration() { return leaseDuration; }
    /**
     * Sets {@link #getLeaseDuration()}.
     *
     * @param leaseDuration the new value
     */
    public void setLeaseDuration(Duration leaseDuration) { this.leaseDuration = leaseDuration; }
    /** {@return how long a node may miss heartbeats before it counts as dead (pgjobs' default: 30s)} */
    public Duration getNodeDeadAfter() { return nodeDeadAfter; }
    /**
     * Sets {@link #getNodeDeadAfter()}.
     *
     * @param nodeDeadAfter the new value
     */
    public void setNodeDeadAfter(Duration nodeDeadAfter) { this.nodeDeadAfter = nodeDeadAfter; }
    /** {@return how long completed jobs are kept (pgjobs' default: 24h)} */
    public Duration getCompletedRetention() { return completedRetention; }
    /**
     * Sets {@link #getCompletedRetention()}.
     *
     * @param completedRetention the new value
     */
    public void setCompletedRetention(Duration completedRetention) { this.completedRetention = completedRetention; }
    /** {@return how long cancelled and discarded jobs are kept (pgjobs' default: 7d)} */
    public Duration getFailedRetention() { return failedRetention; }
    /**
     * Sets {@link #getFailedRetention()}.
     *
     * @param failedRetention the new value
     */
    public void setFailedRetention(Duration failedRetention) { this.failedRetention = failedRetention; }
    /** {@return cron schedules by name, created or updated when the application starts} */
    public Map<String, ScheduleProperties> getSchedules() { return schedules; }
    /**
     * Sets {@link #getSchedules()}.
     *
     * @param schedules the new value
     */
    public void setSchedules(Map<String, ScheduleProperties> schedules) { this.schedules = schedules; }
}
