package io.pgjobs.test;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.JobFilter;
import io.pgjobs.admin.JobPage;
import io.pgjobs.admin.NodeInfo;
import io.pgjobs.admin.PageRequest;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * What a test of code that enqueues or handles jobs needs: the client, {@link #drain()} to run the jobs that are
 * due, {@link #runJob(long)} to run one job in the test's thread, {@link #advanceTime(Duration)} for jobs and
 * schedules that wait for their time, and assertions on the jobs in the database.
 *
 * <p>{@link PgJobsExtension} gives each test one on a database of its own, whose scheduler runs jobs only inside
 * {@code drain()}: between drains its queues are paused (see {@link #holdJobs()}), so what a test enqueues
 * stays where an assertion can see it. {@link #of(Scheduler, DataSource, String)} wraps a scheduler the test built itself (a Spring
 * application's, say); that one runs jobs whenever it was started to, unless the test calls {@link #holdJobs()}.
 *
 * <p>Failed assertions throw {@link AssertionError} describing the jobs that were there.
 */
public final class PgJobsTestKit {
    /** How long {@link #drain()} waits for the due work to finish before failing. */
    public static final Duration DEFAULT_DRAIN_DEADLINE = Duration.ofSeconds(30);
    /** The states of a job that waits to run: what {@link #assertEnqueued} looks at. */
    public static final Set<JobState> WAITING =
            EnumSet.of(JobState.PENDING, JobState.SCHEDULED, JobState.AVAILABLE, JobState.RETRYABLE);
    /** The states of a job whose last attempt failed: what {@link #assertNoFailedJobs()} looks for. */
    public static final Set<JobState> FAILED = EnumSet.of(JobState.RETRYABLE, JobState.DISCARDED);
    /** Who the kit's pauses and resumes of queues are audited as. */
    static final String ACTOR = "pgjobs-test";
    private static final int PAGE = PageRequest.MAX_LIMIT;
    private static final int SHOWN = 10;

    /** How long a started scheduler's node may take to register (its first heartbeat). */
    private static final Duration NODE_REGISTRATION = Duration.ofSeconds(30);

    private final Scheduler scheduler;
    private final DataSource dataSource;
    private final KitSql sql;
    private boolean holding;

    private PgJobsTestKit(Scheduler scheduler, DataSource dataSource, String schema) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.sql = new KitSql(dataSource, Objects.requireNonNull(schema, "schema"));
    }

    /**
     * A kit on a scheduler of the test's own, on {@code dataSource} (the scheduler's) and {@code schema} (the
     * scheduler's; {@code pgjobs} unless configured otherwise). {@link #drain()} needs it started with queues.
     *
     * @param scheduler the test's scheduler
     * @param dataSource its data source
     * @param schema its schema
     * @return the kit
     */
    public static PgJobsTestKit of(Scheduler scheduler, DataSource dataSource, String schema) {
        return new PgJobsTestKit(scheduler, dataSource, schema);
    }

    /** {@return the kit's scheduler} */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** {@return the scheduler's client, for enqueueing as the code under test does} */
    public JobClient client() {
        return scheduler.client();
    }

    /** {@return the scheduler's operator API} */
    public AdminClient admin() {
        return scheduler.admin();
    }

    /** {@return the test's database: where the application's tables go, beside pgjobs' schema} */
    public DataSource dataSource() {
        return dataSource;
    }

    /** {@return the database's clock, which pgjobs' due times are measured against} */
    public Instant now() {
        return call("read the database's clock", sql::now);
    }

    /**
     * From now on, jobs run only inside {@link #drain()}: pauses the scheduler's queues (cluster-wide: in the
     * test's database) until the next drain, and again after each. Needs a started scheduler.
     */
    public void holdJobs() {
        setPaused(startedNode(), true);
        holding = true;
    }

    /** Runs every job that is due now, and every job those enqueue that is due now too, then returns. */
    public void drain() {
        drain(DEFAULT_DRAIN_DEADLINE);
    }

    /**
     * Runs every job of the scheduler's queues that is due now (and those they enqueue, due now too) until
     * none is due or running. A job that fails and waits for its retry, or one enqueued with a delay, is not due:
     * {@link #advanceTime(Duration)} makes it so. Fails if work is left at {@code deadline}, or at once if a due
     * job's kind has no handler on this scheduler (it would wait forever).
     *
     * @param deadline the longest it waits, positive
     */
    public void drain(Duration deadline) {
        if (deadline == null || deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline: must be positive, got " + deadline);
        }
        NodeInfo node = startedNode();
        if (holding) {
            setPaused(node, false);
        }
        try {
            long giveUpAt = System.nanoTime() + deadline.toNanos();
            Set<String> queues = Set.copyOf(node.queues());
            List<KitSql.DueJob> due = dueOrRunning(queues);
            while (!due.isEmpty()) {
                failOnUnhandled(node, due);
                if (System.nanoTime() - giveUpAt > 0) {
                    throw new AssertionError("drain: jobs still due or running after " + deadline + ": "
                            + describe(due));
                }
                pause();
                due = dueOrRunning(queues);
            }
        } finally {
            // a failed drain too: the next one, or the test's next assertion, must find the jobs held again
            if (holding) {
                setPaused(node, true);
            }
        }
    }

    /**
     * Moves time forward by {@code by}, as its passing would for what waits for time: every job enqueued with a
     * delay or waiting for a retry ({@code scheduled} or {@code retryable} and not yet due) becomes due {@code by}
     * earlier, and cron schedules fire each of their fire times within {@code by}, once and on time. pgjobs reads
     * time from the database, so it is the jobs' due times that move, and the schedules' clock (V33's
     * {@code schedule_clock()}, which the kit offsets in the test's database; see {@link #scheduleClock()}). The
     * kit steps the schedules' clock from one pending fire time to the next and waits until the scheduler fired
     * each (only a started scheduler that leads the cluster fires: the extension's does), so a schedule every hour
     * fires three times in three hours, never as a misfire. Jobs do not run meanwhile (with the extension; a
     * {@link #holdJobs() held} scheduler's neither): run what came due with {@link #drain()}. Rate-limit windows,
     * leases and retention do not move. Answers how many waiting jobs moved.
     *
     * @param by how far, positive and at most {@link JobRequest#MAX_DELAY}
     * @return how many waiting jobs moved
     * @throws AssertionError if a schedule's fire time is not fired within {@link #DEFAULT_DRAIN_DEADLINE}
     */
    public int advanceTime(Duration by) {
        if (by == null || by.isNegative() || by.isZero() || by.compareTo(JobRequest.MAX_DELAY) > 0) {
            throw new IllegalArgumentException("by: must be positive and at most JobRequest.MAX_DELAY, got " + by);
        }
        Instant end = scheduleClock().plus(by);
        Set<Long> moved = new HashSet<>();
        List<KitSql.PendingFire> fires;
        while (!(fires = call("read the schedules due", () -> sql.firesUpTo(end))).isEmpty()) {
            Instant fireTime = fires.getFirst().at();
            moveTime(Duration.between(scheduleClock(), fireTime), moved);
            awaitFired(fireTime);
        }
        moveTime(Duration.between(scheduleClock(), end), moved);
        return moved.size();
    }

    /**
     * The time by cron schedules' clock: {@link #now()} plus the time {@link #advanceTime advanced}. A schedule's
     * next fire time ({@code client().schedules().get(name)}) is measured against it.
     *
     * @return the schedules' time
     */
    public Instant scheduleClock() {
        return call("read the schedules' clock", sql::scheduleClock);
    }

    /** Moves time by {@code step}, if it is ahead, adding the ids of the jobs that moved to {@code moved}. */
    private void moveTime(Duration step, Set<Long> moved) {
        if (step.isPositive()) {
            moved.addAll(call("move time", () -> sql.moveTime(step)));
        }
    }

    /** Waits until the scheduler fired every schedule due at {@code fireTime} (their next fire time moved past it). */
    private void awaitFired(Instant fireTime) {
        long giveUpAt = System.nanoTime() + DEFAULT_DRAIN_DEADLINE.toNanos();
        List<KitSql.PendingFire> unfired;
        while (!(unfired = call("read the schedules due", () -> sql.firesUpTo(fireTime))).isEmpty()) {
            if (System.nanoTime() - giveUpAt > 0) {
                throw new AssertionError("advanceTime: schedules " + unfired.stream()
                        .map(fire -> "'" + fire.schedule() + "' at " + fire.at()).toList() + " were not fired within "
                        + DEFAULT_DRAIN_DEADLINE + "; only a started scheduler that leads the cluster fires them"
                        + " (this one " + (scheduler.isLeader() ? "leads" : "does not lead") + ")");
            }
            pause();
        }
    }

    /**
     * Runs job {@code jobId} now, in the test's thread, and answers its attempt: the job is claimed by this
     * kit's scheduler and completed as any job (its attempt counted and written, a failure retried later or
     * discarded by the retry policy), without a drain. It runs though its queue is held, and though it waits for
     * its time. See {@link Scheduler#runJob(long)}.
     *
     * @param jobId the job, e.g. {@code assertEnqueued(...).id()}
     * @return its attempt: how it ended, and its error if it failed
     * @throws IllegalArgumentException if there is no such job
     * @throws IllegalStateException if the job is not waiting to run (it runs elsewhere, waits for its workflow's
     *         parents, or has finished) or the scheduler has no handler for its kind
     */
    public JobAttempt runJob(long jobId) {
        return scheduler.runJob(jobId);
    }

    /** {@return every job in the database, oldest first} */
    public List<Job> jobs() {
        return jobs(JobFilter.ALL);
    }

    /**
     * The jobs {@code filter} matches, oldest first.
     *
     * @param filter which jobs
     * @return the jobs
     */
    public List<Job> jobs(JobFilter filter) {
        List<Job> found = new ArrayList<>();
        Long before = null;
        do {
            JobPage page = admin().jobs(filter, new PageRequest(before, PAGE));
            found.addAll(page.jobs());
            before = page.nextBeforeId();
        } while (before != null);
        return found.reversed();
    }

    /**
     * The jobs of {@code kind}, oldest first.
     *
     * @param kind the kind
     * @return the jobs
     */
    public List<Job> jobs(String kind) {
        return jobs(new JobFilter(Set.of(), null, kind, null, null, null, null, null, null));
    }

    /**
     * How many jobs are in {@code state}.
     *
     * @param state the state
     * @return how many
     */
    public long count(JobState state) {
        return jobs(new JobFilter(Set.of(Objects.requireNonNull(state, "state")), null, null, null, null, null,
                null, null, null)).size();
    }

    /**
     * The one waiting job of {@code argsType}'s kind (named by its {@code @JobKind}) whose args {@code args}
     * accepts; fails if there is none or more than one. The job returned tells its queue, due time and more.
     *
     * @param <A> the args' type
     * @param argsType the args' type, whose {@code @JobKind} names the kind
     * @param args what the args must satisfy
     * @return the job
     */
    public <A> Job assertEnqueued(Class<A> argsType, Predicate<? super A> args) {
        return assertEnqueued(JobRequest.kindOf(argsType), job -> args.test(client().args(job, argsType)));
    }

    /**
     * The one waiting job of {@code kind} that {@code job} accepts; fails if there is none or more than one.
     *
     * @param kind the kind
     * @param job what the job must satisfy
     * @return the job
     */
    public Job assertEnqueued(String kind, Predicate<? super Job> job) {
        List<Job> ofKind = waiting(kind);
        List<Job> matching = ofKind.stream().filter(job).toList();
        if (matching.size() != 1) {
            throw new AssertionError("expected one waiting '" + kind + "' job to match, found " + matching.size()
                    + " among " + describeJobs(ofKind));
        }
        return matching.getFirst();
    }

    /**
     * Fails if a waiting job of {@code argsType}'s kind has args that {@code args} accepts.
     *
     * @param <A> the args' type
     * @param argsType the args' type, whose {@code @JobKind} names the kind
     * @param args what no waiting job's args may satisfy
     */
    public <A> void assertNotEnqueued(Class<A> argsType, Predicate<? super A> args) {
        String kind = JobRequest.kindOf(argsType);
        List<Job> matching = waiting(kind).stream().filter(j -> args.test(client().args(j, argsType))).toList();
        if (!matching.isEmpty()) {
            throw new AssertionError("expected no waiting '" + kind + "' job to match, found "
                    + describeJobs(matching));
        }
    }

    /** Fails if any job's last attempt failed (it waits for a retry, or was discarded), naming their errors. */
    public void assertNoFailedJobs() {
        List<Job> failed = jobs(new JobFilter(FAILED, null, null, null, null, null, null, null, null));
        if (!failed.isEmpty()) {
            throw new AssertionError("expected no failed jobs, found " + describeJobs(failed));
        }
    }

    /**
     * Fails unless exactly {@code expected} jobs are in {@code state}.
     *
     * @param state the state
     * @param expected how many jobs
     */
    public void assertCount(JobState state, long expected) {
        long actual = count(state);
        if (actual != expected) {
            throw new AssertionError("expected " + expected + " " + state.dbName() + " jobs, found " + actual);
        }
    }

    private List<Job> waiting(String kind) {
        return jobs(new JobFilter(WAITING, null, kind, null, null, null, null, null, null));
    }

    /** {@link #holdJobs()} unless the scheduler only enqueues (the extension's kit, once started). */
    void holdJobsIfItWorksQueues() {
        NodeInfo node = registeredNode();
        if (!node.queues().isEmpty()) {
            setPaused(node, true);
            holding = true;
        }
    }

    /** This scheduler's node; fails if it works no queue. */
    private NodeInfo startedNode() {
        NodeInfo node = registeredNode();
        if (node.queues().isEmpty()) {
            throw new IllegalStateException("the scheduler works no queue (configure one with"
                    + " Scheduler.Builder.queue), so no job would run");
        }
        return node;
    }

    /** This scheduler's node as registered once started (its first heartbeat may come after start() returns). */
    private NodeInfo registeredNode() {
        long giveUpAt = System.nanoTime() + NODE_REGISTRATION.toNanos();
        NodeInfo node = aliveNode();
        while (node == null) {
            if (System.nanoTime() - giveUpAt > 0) {
                throw new IllegalStateException("the scheduler's node " + scheduler.nodeId() + " is not registered"
                        + " after " + NODE_REGISTRATION + ": start the scheduler first");
            }
            pause();
            node = aliveNode();
        }
        return node;
    }

    private NodeInfo aliveNode() {
        return admin().nodes().stream().filter(n -> n.id().equals(scheduler.nodeId()) && n.alive()).findFirst()
                .orElse(null);
    }

    private void failOnUnhandled(NodeInfo node, List<KitSql.DueJob> due) {
        Set<String> unhandled = due.stream().filter(j -> !node.kinds().contains(j.kind()))
                .map(KitSql.DueJob::kind).collect(Collectors.toCollection(LinkedHashSet::new));
        if (!unhandled.isEmpty()) {
            throw new AssertionError("drain: no handler for the kinds " + unhandled + " of due jobs "
                    + describe(due) + "; the scheduler handles " + node.kinds());
        }
    }

    private List<KitSql.DueJob> dueOrRunning(Set<String> queues) {
        return call("read the due jobs", () -> sql.dueOrRunning(queues, SHOWN));
    }

    private void setPaused(NodeInfo node, boolean paused) {
        for (String queue : node.queues()) {
            if (paused) {
                admin().pauseQueue(ACTOR, queue);
            } else {
                admin().resumeQueue(ACTOR, queue);
            }
        }
    }

    /** A short wait between looks at the database: the scheduler's threads work meanwhile. */
    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("drain: interrupted", e);
        }
    }

    private static String describe(List<KitSql.DueJob> due) {
        return due.stream().map(j -> "#" + j.id() + " " + j.kind() + " (" + j.queue() + ", " + j.state() + ")")
                .collect(Collectors.joining(", ", "[", due.size() == SHOWN ? ", ...]" : "]"));
    }

    private static String describeJobs(List<Job> jobs) {
        return jobs.stream().limit(SHOWN).map(j -> "#" + j.id() + " " + j.kind() + " " + j.state().dbName()
                        + " args " + j.args() + (j.lastError() == null ? "" : " error: " + firstLine(j.lastError())))
                .collect(Collectors.joining("; ", jobs.size() + " [", jobs.size() > SHOWN ? "; ...]" : "]"));
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    private interface SqlCall<T> {
        T call() throws SQLException;
    }

    private static <T> T call(String what, SqlCall<T> call) {
        try {
            return call.call();
        } catch (SQLException e) {
            throw new IllegalStateException("pgjobs-test could not " + what + ": " + e.getMessage(), e);
        }
    }
}
