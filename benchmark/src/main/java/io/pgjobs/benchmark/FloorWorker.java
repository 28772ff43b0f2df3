package io.pgjobs.benchmark;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGStatement;

/**
 * The cold floor's worker: the smallest honest worker of pgjobs' jobs table, in plain JDBC, in a JVM of its own
 * started with default options. It does the database work a scheduler cannot do without, and nothing else: the same
 * claim as a node ({@code claim_jobs}, {@code FOR UPDATE SKIP LOCKED}, committed without waiting for the WAL's
 * flush, resuming after the previous claim while claims are full), batches of up to the ceiling's 100, each job
 * handed to a no-op on a virtual thread of its own with at most {@code concurrency} running at once, and the same
 * completion writes (the job row made final and its attempt row inserted, one statement per batch of whatever
 * finished while the previous batch was written, a durable commit). It has no pool, no leases kept, no
 * serialization of args (they are read as text), no metrics, no logging: what a JVM scheduler costs on top of this
 * is its own. The cold drain's node is read against it ({@link ColdDrainWorkload}).
 *
 * <p>Prints {@code READY} once connected; ends when its standard input closes. Arguments: JDBC URL, concurrency.
 */
public final class FloorWorker {
    /** The ceiling's batch ({@link CeilingWorkload}). */
    private static final int CLAIM_BATCH = 100;
    private static final String NODE_ID = "cold-floor";
    /**
     * How soon to look again after a claim that found nothing (no notification wakes this worker). Its jobs are all
     * enqueued before it starts, so that is the end of the drain: what it costs after is counted in its CPU too.
     */
    private static final long EMPTY_CLAIM_WAIT_MS = 100;

    /** A claimed job: what the completion's guard needs, and its args as text for the "handler". */
    private record Job(long id, int attempt, String args) {}

    /** A job's place in the claim order: priority, then due time, then id. */
    private record Position(short priority, OffsetDateTime runAt, long id) implements Comparable<Position> {
        @Override
        public int compareTo(Position other) {
            int byPriority = Short.compare(priority, other.priority);
            if (byPriority != 0) {
                return byPriority;
            }
            int byRunAt = runAt.compareTo(other.runAt);
            return byRunAt != 0 ? byRunAt : Long.compare(id, other.id);
        }
    }

    private static final String CLAIM = """
            select c.id, c.attempt, c.args, c.priority, c.run_at
            from pgjobs.claim_jobs('default', array['bench.noop'], ?, ?, 300000, ?, ?, ?) c
            cross join set_config('synchronous_commit', 'off', true) async""";

    private static final String COMPLETE = """
            with done as (
                update pgjobs.jobs j set state = 'completed', finished_at = now(), lease_expires_at = null
                from unnest(?::bigint[], ?::int[]) as d(id, attempt)
                where j.id = d.id and j.state = 'running' and j.attempt = d.attempt and j.node_id = ?
                returning j.id, j.attempt, j.started_at, j.finished_at
            )
            insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
            select id, attempt, ?, started_at, finished_at, 'completed' from done""";

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int concurrency = Integer.parseInt(args[1]);
        // a worker whose claim or completion failed would never finish the drain: it ends, and the benchmark says so
        Thread.setDefaultUncaughtExceptionHandler((thread, failure) -> {
            failure.printStackTrace();
            Runtime.getRuntime().halt(1);
        });
        try (Connection claims = DriverManager.getConnection(url);
             Connection completions = DriverManager.getConnection(url)) {
            LinkedBlockingQueue<Job> finished = new LinkedBlockingQueue<>();
            Thread completer = Thread.ofPlatform().daemon(true).name("floor-completer")
                    .start(() -> complete(completions, finished));
            Thread fetcher = Thread.ofPlatform().daemon(true).name("floor-fetcher")
                    .start(() -> fetch(claims, new Semaphore(concurrency), finished));
            System.out.println("READY");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                // anything on stdin is ignored; end of input means stop
            }
            fetcher.interrupt();
            completer.interrupt();
        }
    }

    /**
     * Claims batches and starts each job on a virtual thread once one of the {@code slots} is free; the next claim
     * is made as soon as the last job of the previous one has a slot, while its jobs still run.
     */
    private static void fetch(Connection connection, Semaphore slots, LinkedBlockingQueue<Job> finished) {
        try (PreparedStatement claim = connection.prepareStatement(CLAIM)) {
            Position resumeAfter = null; // the last job of a full claim
            while (!Thread.currentThread().isInterrupted()) {
                claim.setInt(1, CLAIM_BATCH);
                claim.setString(2, NODE_ID);
                claim.setObject(3, resumeAfter == null ? null : resumeAfter.priority(), Types.SMALLINT);
                claim.setObject(4, resumeAfter == null ? null : resumeAfter.runAt(), Types.TIMESTAMP_WITH_TIMEZONE);
                claim.setObject(5, resumeAfter == null ? null : resumeAfter.id(), Types.BIGINT);
                List<Job> jobs = new ArrayList<>(CLAIM_BATCH);
                Position last = null; // the update returns its rows in the order of their addresses
                try (ResultSet rs = claim.executeQuery()) {
                    while (rs.next()) {
                        jobs.add(new Job(rs.getLong(1), rs.getInt(2), rs.getString(3)));
                        Position position = new Position(rs.getShort(4), rs.getObject(5, OffsetDateTime.class),
                                rs.getLong(1));
                        if (last == null || position.compareTo(last) > 0) {
                            last = position;
                        }
                    }
                }
                resumeAfter = jobs.size() == CLAIM_BATCH ? last : null;
                if (jobs.isEmpty()) {
                    TimeUnit.MILLISECONDS.sleep(EMPTY_CLAIM_WAIT_MS);
                }
                for (Job job : jobs) {
                    slots.acquire();
                    Thread.startVirtualThread(() -> {
                        noop(job.args());
                        slots.release();
                        finished.add(job);
                    });
                }
            }
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            throw new IllegalStateException("the floor worker's claim failed", e);
        }
    }

    /** The job's handler, given its args as read: does nothing, as the node's {@link Noop} handler. */
    private static void noop(String args) {
    }

    /** Writes whatever finished while the previous batch was being written, in one statement (group commit). */
    private static void complete(Connection connection, LinkedBlockingQueue<Job> finished) {
        try (PreparedStatement complete = connection.prepareStatement(COMPLETE)) {
            // planned for each batch's arrays, as the node plans its completion: a generic plan assumes arrays of ten
            // and joins a batch of thousands in a nested loop (seconds a statement)
            complete.unwrap(PGStatement.class).setPrepareThreshold(0);
            List<Job> batch = new ArrayList<>();
            while (!Thread.currentThread().isInterrupted()) {
                batch.add(finished.take());
                finished.drainTo(batch);
                Long[] ids = new Long[batch.size()];
                Integer[] attempts = new Integer[batch.size()];
                for (int i = 0; i < batch.size(); i++) {
                    ids[i] = batch.get(i).id();
                    attempts[i] = batch.get(i).attempt();
                }
                complete.setArray(1, connection.createArrayOf("int8", ids));
                complete.setArray(2, connection.createArrayOf("int4", attempts));
                complete.setString(3, NODE_ID);
                complete.setString(4, NODE_ID);
                complete.executeUpdate();
                batch.clear();
            }
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            throw new IllegalStateException("the floor worker's completion failed", e);
        }
    }

    private FloorWorker() {}
}
