package io.pgjobs.test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The test kit's own SQL, for what pgjobs' public API does not offer because no application should do it: read
 * the database's clock and the schedules', list the work that is due now and the schedules due soon, and move
 * time. Like the benchmark's, it reads pgjobs' tables directly. It writes only two things: {@code run_at} of jobs
 * that wait for their time ({@code scheduled}, {@code retryable}), a move the state machine allows at any time,
 * and the schedules' clock, V33's {@code schedule_clock()}, which it replaces (same signature) with one that
 * answers {@code now()} plus the time advanced: that function is there for this (migrations/V33).
 */
final class KitSql {
    private final DataSource dataSource;
    private final String schema;
    private final String jobs;
    private final String schedules;
    private final String scheduleClock;

    KitSql(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.schema = schema;
        String quoted = '"' + schema.replace("\"", "\"\"") + '"';
        this.jobs = quoted + ".jobs";
        this.schedules = quoted + ".schedules";
        this.scheduleClock = quoted + ".schedule_clock";
    }

    /** A schedule's pending fire time, by the schedules' clock. */
    record PendingFire(String schedule, Instant at) {}

    /** One job the database would hand to a worker now, or one running. */
    record DueJob(long id, String kind, String queue, String state) {}

    Instant now() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select now()");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    /**
     * The jobs of {@code queues} (all queues if empty) that are running or due now, by id, at most
     * {@code limit}: what a drain waits for.
     */
    List<DueJob> dueOrRunning(Set<String> queues, int limit) throws SQLException {
        String sql = """
                select id, kind, queue, state from %s
                where (state in ('available', 'running')
                       or (state in ('scheduled', 'retryable') and run_at <= now()))
                  and (cardinality(?::text[]) = 0 or queue = any(?::text[]))
                order by id limit ?""".formatted(jobs);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            var queueArray = c.createArrayOf("text", queues.toArray());
            s.setArray(1, queueArray);
            s.setArray(2, queueArray);
            s.setInt(3, limit);
            List<DueJob> due = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    due.add(new DueJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
            return due;
        }
    }

    /** The time by the schedules' clock: the database's, plus the time advanced. */
    Instant scheduleClock() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select " + scheduleClock + "()");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    /** The pending fire times of enabled schedules up to {@code until} (schedules' clock), earliest first. */
    List<PendingFire> firesUpTo(Instant until) throws SQLException {
        String sql = """
                select name, next_fire_at from %s
                where enabled and next_fire_at <= ? order by next_fire_at, name""".formatted(schedules);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setObject(1, until.atOffset(ZoneOffset.UTC));
            List<PendingFire> fires = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    fires.add(new PendingFire(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant()));
                }
            }
            return fires;
        }
    }

    /**
     * Moves time {@code by} forward, in one transaction: the due time of every job still waiting for it becomes
     * {@code by} earlier, and the schedules' clock {@code by} later (then the firer is woken, on the channel
     * pgjobs' own changes to schedules use). Answers the ids of the jobs that moved.
     */
    Set<Long> moveTime(Duration by) throws SQLException {
        long micros = by.toSeconds() * 1_000_000 + by.toNanosPart() / 1000;
        String moveJobs = """
                update %s set run_at = run_at - ? * interval '1 microsecond'
                where state in ('scheduled', 'retryable') and run_at > now() returning id""".formatted(jobs);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long ahead;
                try (PreparedStatement s = c.prepareStatement("select (extract(epoch from " + scheduleClock
                        + "() - now()) * 1000000)::bigint");
                     ResultSet rs = s.executeQuery()) {
                    rs.next();
                    ahead = rs.getLong(1);
                }
                try (Statement s = c.createStatement()) {
                    // a literal: DDL takes no parameters, and this one is a number the kit computed
                    s.execute("""
                            create or replace function %s() returns timestamptz language sql stable parallel safe
                            as $$ select now() + interval '%d microseconds' $$""".formatted(scheduleClock,
                            Math.addExact(ahead, micros)));
                }
                Set<Long> moved = new HashSet<>();
                try (PreparedStatement s = c.prepareStatement(moveJobs)) {
                    s.setLong(1, micros);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            moved.add(rs.getLong(1));
                        }
                    }
                }
                try (PreparedStatement s = c.prepareStatement("select pg_notify(?, 's:')")) {
                    s.setString(1, "pgjobs_" + schema);
                    s.execute();
                }
                c.commit();
                return moved;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
