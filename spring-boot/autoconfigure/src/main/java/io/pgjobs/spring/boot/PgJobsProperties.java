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

        public String getCron() { return cron; }
        public void setCron(String cron) { this.cron = cron; }
        public String getKind() { return kind; }
        public void setKind(String kind) { this.kind = kind; }
        public Map<String, Object> getArgs() { return args; }
        public void setArgs(Map<String, Object> args) { this.args = args; }
        public String getQueue() { return queue; }
        public void setQueue(String queue) { this.queue = queue; }
        public String getTimeZone() { return timeZone; }
        public void setTimeZone(String timeZone) { this.timeZone = timeZone; }
    }

    public String getSchema() { return schema; }
    public void setSchema(String schema) { this.schema = schema; }
    public Map<String, Integer> getQueues() { return queues; }
    public void setQueues(Map<String, Integer> queues) { this.queues = queues; }
    public boolean isMigrateOnStart() { return migrateOnStart; }
    public void setMigrateOnStart(boolean migrateOnStart) { this.migrateOnStart = migrateOnStart; }
    public String getNodeId() { return nodeId; }
    public void setNodeId(String nodeId) { this.nodeId = nodeId; }
    public Duration getPollInterval() { return pollInterval; }
    public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    public Duration getShutdownDeadline() { return shutdownDeadline; }
    public void setShutdownDeadline(Duration shutdownDeadline) { this.shutdownDeadline = shutdownDeadline; }
    public Duration getLeaseDuration() { return leaseDuration; }
    public void setLeaseDuration(Duration leaseDuration) { this.leaseDuration = leaseDuration; }
    public Duration getNodeDeadAfter() { return nodeDeadAfter; }
    public void setNodeDeadAfter(Duration nodeDeadAfter) { this.nodeDeadAfter = nodeDeadAfter; }
    public Duration getCompletedRetention() { return completedRetention; }
    public void setCompletedRetention(Duration completedRetention) { this.completedRetention = completedRetention; }
    public Duration getFailedRetention() { return failedRetention; }
    public void setFailedRetention(Duration failedRetention) { this.failedRetention = failedRetention; }
    public Map<String, ScheduleProperties> getSchedules() { return schedules; }
    public void setSchedules(Map<String, ScheduleProperties> schedules) { this.schedules = schedules; }
}
