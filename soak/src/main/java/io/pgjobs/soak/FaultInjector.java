package io.pgjobs.soak;

import static io.pgjobs.soak.FaultLog.log;
import static io.pgjobs.soak.FaultLog.retrying;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Injects one fault at a time at random (seeded) intervals, cycling through every kind in a shuffled order, and
 * goes on past the run's end until it has injected each kind once, so that even a short run meets them all. Each
 * fault is a row of {@code soak.faults} ({@link FaultLog}).
 */
final class FaultInjector implements Runnable {
    enum Kind {
        /** SIGKILL of a node, restarted a few seconds later. */
        KILL,
        /** SIGSTOP of a node for longer than the lease, then SIGCONT. */
        FREEZE,
        /** The same, the node caught with a transaction open (a transfer's, holding a row lock, or pgjobs' own). */
        FREEZE_IN_TRANSACTION,
        /** Jobs that hold more connections than the nodes' pools have, for seconds: every loop waits for one. */
        FULL_POOL,
        /** {@code pg_terminate_backend} of every session of a node. */
        TERMINATE_SESSIONS,
        /** The nodes' rows, the queue's and the schedule's locked for seconds: heartbeats and fires wait. */
        HOT_ROW_LOCK,
        /** Every node stopped gracefully (SIGTERM) and started again, one after another. */
        ROLLING_RESTART,
        /** The embedded server stopped (fast shutdown) and started again; only when the soak owns it. */
        POSTGRES_RESTART
    }

    private static final Duration HOGS_DEADLINE = Duration.ofMinutes(3);

    private final SoakDatabase database;
    private final DataSource dataSource;
    private final JobClient client;
    private final FaultLog faults;
    private final List<NodeJvm> nodes;
    private final Random random;
    private final long leaseMs;
    private final int concurrency;
    private final Duration minGap;
    private final Duration maxGap;
    private final Set<Kind> kinds;
    private final long endNanos;
    private final List<Kind> rotation = new ArrayList<>();
    private final Set<Kind> injected = EnumSet.noneOf(Kind.class);

    FaultInjector(SoakDatabase database, JobClient client, List<NodeJvm> nodes, SoakOptions options, long endNanos) {
        this.database = database;
        this.dataSource = database.dataSource();
        this.client = client;
        this.faults = new FaultLog(dataSource, client);
        this.nodes = nodes;
        this.random = new Random(options.seed() ^ 0x5DEECE66DL);
        this.leaseMs = options.leaseMs();
        this.concurrency = options.concurrency();
        this.minGap = options.minFaultGap();
        this.maxGap = options.maxFaultGap();
        this.kinds = options.faults();
        this.endNanos = endNanos;
    }

    @Override
    public void run() {
        if (kinds().isEmpty()) {
            log("no fault to inject: --faults names only the server's restart, and the soak does not own the server");
            return;
        }
        try {
            while (true) {
                long gapMs = minGap.toMillis() + (long) (random.nextDouble() * (maxGap.toMillis() - minGap.toMillis()));
                boolean timeLeft = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(gapMs) < endNanos;
                if (!timeLeft && injected.containsAll(kinds())) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(gapMs); // the random interval between faults
                Kind kind = nextKind();
                inject(kind);
                injected.add(kind);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("the fault injector failed: " + e, e);
        }
    }

    /** The kinds this run injects: those of {@code --faults}, but the server's restart only on a server the soak owns. */
    private Set<Kind> kinds() {
        Set<Kind> chosen = EnumSet.copyOf(kinds);
        if (!database.ownsServer()) {
            chosen.remove(Kind.POSTGRES_RESTART);
        }
        return chosen;
    }

    private Kind nextKind() {
        if (rotation.isEmpty()) {
            rotation.addAll(kinds());
            Collections.shuffle(rotation, random);
        }
        return rotation.removeFirst();
    }

    private void inject(Kind kind) throws Exception {
        NodeJvm node = nodes.get(random.nextInt(nodes.size()));
        OpenTransaction open = kind == Kind.FREEZE_IN_TRANSACTION ? awaitOpenTransaction() : null;
        if (open != null) {
            node = open.node();
        }
        String target = switch (kind) {
            case KILL, FREEZE, TERMINATE_SESSIONS -> node.nodeId();
            case FREEZE_IN_TRANSACTION -> node.nodeId() + (open == null ? " (no open transaction found)"
                    : " (session " + open.backendPid() + " in a transaction)");
            case HOT_ROW_LOCK, POSTGRES_RESTART -> "database";
            case ROLLING_RESTART, FULL_POOL -> "every node";
        };
        long id = faults.started(kind.name(), target);
        switch (kind) {
            case KILL -> {
                node.kill();
                TimeUnit.MILLISECONDS.sleep(1000 + random.nextInt(4000)); // down for a while
                node.start();
            }
            case FREEZE, FREEZE_IN_TRANSACTION -> freezePastTheLease(node, open);
            case FULL_POOL -> fillThePools();
            case TERMINATE_SESSIONS -> log("ended " + queryLong(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = ?",
                    node.nodeId()) + " sessions of " + node.nodeId());
            case HOT_ROW_LOCK -> holdHotRows(2 + random.nextInt(5));
            case ROLLING_RESTART -> {
                for (NodeJvm each : nodes) {
                    each.stop();
                    each.start();
                }
            }
            case POSTGRES_RESTART -> database.restartServer();
        }
        faults.ended(id);
    }

    /** SIGSTOP, longer than the lease, then SIGCONT; says whether {@code open} (if any) was still open then. */
    private void freezePastTheLease(NodeJvm node, OpenTransaction open) throws Exception {
        node.freeze();
        if (open != null) {
            log("froze " + node.nodeId() + " with session " + open.backendPid() + " " + (stillInTransaction(open)
                    ? "inside its open transaction: " + open.query() : "whose transaction had ended just before"));
        }
        TimeUnit.MILLISECONDS.sleep(leaseMs + 2000 + random.nextInt(3000)); // frozen past its lease
        node.resume();
    }

    /** A node's session caught inside a transaction: its backend, when the transaction began, what it ran. */
    private record OpenTransaction(NodeJvm node, int backendPid, java.sql.Timestamp since, String query) {}

    /** Watches the nodes' sessions for up to 30 s until one is inside a transaction; null if none was. */
    private OpenTransaction awaitOpenTransaction() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                    select application_name, pid, xact_start, query from pg_stat_activity
                    where application_name like 'soak-node-%' and xact_start is not null
                      -- between two statements of a transaction (a transfer's, sleeping with its row lock)
                      and state = 'idle in transaction'
                    -- the youngest transaction: the most likely to be still open once the node is stopped
                    order by xact_start desc limit 1""");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String nodeId = rs.getString(1);
                    for (NodeJvm node : nodes) {
                        if (node.nodeId().equals(nodeId)) {
                            return new OpenTransaction(node, rs.getInt(2), rs.getTimestamp(3), rs.getString(4));
                        }
                    }
                }
            }
            TimeUnit.MILLISECONDS.sleep(10); // polling the sessions, up to the deadline
        }
        return null;
    }

    private boolean stillInTransaction(OpenTransaction open) throws SQLException, InterruptedException {
        return retrying(() -> {
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "select count(*) from pg_stat_activity where pid = ? and xact_start = ?")) {
                ps.setInt(1, open.backendPid());
                ps.setTimestamp(2, open.since());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }) == 1;
    }

    /**
     * Enqueues as many jobs as the default queue has slots in the cluster, each holding three connections of its
     * node's pool for 4 s: more than a pool has, so the nodes' loops (claims, completions, lease renewals,
     * heartbeats) wait for connections, and some of these jobs fail to get theirs and are retried.
     */
    private void fillThePools() throws SQLException, InterruptedException {
        int hogs = nodes.size() * concurrency;
        retrying(() -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement record = c.prepareStatement("insert into soak.enqueued (job_id) values (?)")) {
                c.setAutoCommit(false);
                List<JobRequest> requests = new ArrayList<>();
                for (int i = 0; i < hogs; i++) {
                    requests.add(JobRequest.of(new SoakJobs.Hog(3, 4000)));
                }
                for (EnqueueResult result : client.enqueueAll(c, requests)) {
                    record.setLong(1, result.id());
                    record.addBatch();
                }
                record.executeBatch();
                c.commit();
                return hogs;
            }
        });
        log("enqueued " + hogs + " jobs holding 3 connections each for 4 s");
        long deadline = System.nanoTime() + HOGS_DEADLINE.toNanos();
        while (System.nanoTime() < deadline && retrying(() -> queryLong(
                "select count(*) from pgjobs.jobs where kind = 'soak.hog' and state not in ('completed', 'discarded')")) > 0) {
            TimeUnit.MILLISECONDS.sleep(200); // polling the condition, up to the deadline
        }
    }

    private void holdHotRows(int seconds) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("select 1 from pgjobs.nodes for update");
            s.execute("select 1 from pgjobs.queues where name = 'default' for update");
            s.execute("select 1 from pgjobs.schedules where name = '" + SoakJobs.TICK_SCHEDULE + "' for update");
            s.execute("select pg_sleep(" + seconds + ")");
            c.commit();
        }
    }

    private long queryLong(String sql, Object... params) throws SQLException {
        return FaultLog.queryLong(dataSource, sql, params);
    }
}
