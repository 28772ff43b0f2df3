package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Batch;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The checker finds what it is there to find: each broken invariant written into the database by hand is
 * reported, with the job's history, and a consistent job is not.
 */
class InvariantCheckerTest {
    private static SoakDatabase database;
    private static JobClient client;

    @BeforeAll
    static void createDatabase() throws Exception {
        database = SoakDatabase.embedded();
        client = Scheduler.builder(database.dataSource()).migrateOnStart(false).buildClient();
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        database.close();
    }

    @BeforeEach
    void emptyTables() throws Exception {
        execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.batches, pgjobs.workflows, soak.enqueued, soak.executions, soak.faults, soak.circuit_log, soak.node_runs cascade");
    }

    @Test
    void reportsEachBrokenInvariantWithTheJobsHistory() throws Exception {
        long fine = enqueue(new SoakJobs.Work(0, 0, null));
        long unfinished = enqueue(new SoakJobs.Work(0, 0, null));
        long twice = enqueue(new SoakJobs.Work(0, 0, null));
        long rerun = enqueue(new SoakJobs.Work(0, 0, null));
        long ghost = enqueue(new SoakJobs.Work(0, 0, null));
        long resumedBackwards = enqueue(new SoakJobs.Checkpointed(5, 0));
        long uniqueFirst = enqueue(new SoakJobs.Work(0, 0, 7));
        long uniqueTooEarly = enqueue(new SoakJobs.Work(0, 0, 7));
        execute("""
                update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = now() where id in (%1$d, %2$d, %3$d, %4$d);
                update pgjobs.jobs set state = 'completed', attempt = 2, finished_at = now(), checkpoint = '5' where id = %5$d;
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome) values
                    (%1$d, 1, 'n1', now(), now(), 'completed'),
                    (%2$d, 1, 'n1', now(), now(), 'completed'), (%2$d, 2, 'n2', now(), now(), 'completed'),
                    (%3$d, 1, 'n1', now(), now(), 'completed'),
                    (%5$d, 1, 'n1', now(), now() + interval '1 hour', 'lost'),
                    (%5$d, 2, 'n2', now(), now() + interval '1 hour', 'completed');
                insert into soak.executions (job_id, attempt, node, checkpoint) values
                    (%1$d, 1, 'n1', null), (%2$d, 1, 'n1', null), (%2$d, 2, 'n2', null),
                    (%3$d, 1, 'n1', null), (%3$d, 1, 'n2', null), (%4$d, 1, 'n1', null),
                    (%5$d, 1, 'n1', 3), (%5$d, 2, 'n2', 1);
                update pgjobs.jobs set state = 'completed', attempt = 1, unique_key = 'soak.work/default/7',
                    unique_states = '{available,running}', finished_at = now() + interval '1 hour' where id = %6$d;
                update pgjobs.jobs set state = 'completed', attempt = 1, unique_key = 'soak.work/default/7',
                    unique_states = '{available,running}', finished_at = now() where id = %7$d;
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome) values
                    (%6$d, 1, 'n1', now(), now() + interval '1 hour', 'completed'), (%7$d, 1, 'n2', now(), now(), 'completed');
                insert into soak.executions (job_id, attempt, node) values (%6$d, 1, 'n1'), (%7$d, 1, 'n2');
                insert into pgjobs.jobs (kind, state, idempotency_key) values
                    ('soak.tick', 'completed', 'cron:soak-tick:2026-01-01T00:00:00Z'),
                    ('soak.tick', 'completed', 'cron:soak-tick:2026-01-01T00:00:03Z');
                """.formatted(fine, twice, rerun, ghost, resumedBackwards, uniqueFirst, uniqueTooEarly));

        InvariantChecker checker = new InvariantChecker(database.dataSource(), 16);
        List<InvariantChecker.Violation> violations = checker.check();

        assertThat(violations).extracting(InvariantChecker.Violation::jobId).doesNotContain(fine);
        // the database's times in a message are shown as <time>
        assertThat(violations).extracting(v -> v.what().replaceAll("\\d{4}-\\d\\d-\\d\\d [0-9:.+]+", "<time>")).containsExactlyInAnyOrder(
                "every job reaches a final state: still available after the drain",
                "none completed twice: completed 2 times",
                "an attempt runs its handler once: attempt 1 ran its handler 2 times",
                "every run of a handler is an attempt: attempt 1 ran on n1 but has no attempt row",
                "a checkpointed job resumes from its last checkpoint: attempt 2 started from checkpoint 1, after an attempt that had started from 3",
                "a unique job runs only after the previous job of its key finished: ran at <time>, before job "
                        + uniqueFirst + " of its unique key finished at <time>",
                "each fire time produced one job: the fires from 2026-01-01T00:00:01Z to 2026-01-01T00:00:02Z produced none (2 s)");
        assertThat(violations).filteredOn(v -> v.what().startsWith("every job")).extracting(InvariantChecker.Violation::jobId)
                .containsExactly(unfinished);

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        checker.print(violations, new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("VIOLATION job " + twice + ": none completed twice")
                .contains("attempt:  attempt=2 | node_id=n2")
                .contains("run:      attempt=1 | node=n2");
    }

    @Test
    void reportsBrokenLimitsOrderDependenciesAndBatchCallbacks() throws Exception {
        long l1 = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, 0)).queue(SoakJobs.LIMITED_QUEUE));
        long l2 = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, 1)).queue(SoakJobs.LIMITED_QUEUE));
        long l3 = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, 2)).queue(SoakJobs.LIMITED_QUEUE));
        long l4 = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, 2)).queue(SoakJobs.LIMITED_QUEUE));
        long o1 = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, null)).queue(SoakJobs.ORDERED_QUEUE).orderingKey("k"));
        long o2 = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, null)).queue(SoakJobs.ORDERED_QUEUE).orderingKey("k"));
        var steps = client.workflows().enqueue(Workflow.builder("w")
                .step("parent", JobRequest.of(new SoakJobs.Work(0, 0, null)))
                .step("child", JobRequest.of(new SoakJobs.Work(0, 0, null)), "parent").build()).jobIds();
        long batch = client.batches().create(Batch.builder("soak-batch-1")
                .onComplete(JobRequest.of(new SoakJobs.Work(0, 0, null))).build());
        long member = client.batches().add(batch, List.of(JobRequest.of(new SoakJobs.Work(0, 0, null)))).getFirst().id();
        execute("""
                update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = now() + interval '1 hour'
                    where id in (%1$d, %2$d, %3$d, %4$d, %5$d, %6$d, %7$d, %8$d);
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
                    select id, 1, 'n1', now(), now() + interval '1 hour', 'completed' from pgjobs.jobs
                    where id in (%1$d, %2$d, %3$d, %4$d, %5$d, %6$d, %7$d, %8$d);
                insert into soak.executions (job_id, attempt, node, at) values
                    (%1$d, 1, 'n1', now()), (%2$d, 1, 'n1', now()), (%3$d, 1, 'n1', now()),
                    (%4$d, 1, 'n2', now() + interval '1 second'),
                    (%5$d, 1, 'n1', now()), (%6$d, 1, 'n2', now() + interval '1 second'),
                    (%7$d, 1, 'n1', now()), (%8$d, 1, 'n2', now() + interval '1 second');
                -- finished before the seal, and sealed by hand: its callback never fired
                update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = now() where id = %9$d;
                update pgjobs.batches set sealed = true where id = %10$d;
                """.formatted(l1, l2, l3, l4, o1, o2, steps.get("parent"), steps.get("child"), member, batch));

        List<InvariantChecker.Violation> violations = new InvariantChecker(database.dataSource(), 16).check();

        assertThat(violations).extracting(v -> v.what().replaceAll("\\d{4}-\\d\\d-\\d\\d [0-9:.+]+", "<time>"))
                .containsExactlyInAnyOrder(
                        "never over a queue's limit: attempt 1 started at <time> while 3 other jobs of queue "
                                + "soak-limited were running (its limit: 3)",
                        "never over a partition's limit: attempt 1 started at <time> while 1 other jobs of partition 2 "
                                + "were running (its limit: 1)",
                        "the jobs of an ordering key run one at a time: attempt 1 started at <time> while attempt 1 of "
                                + "job " + o1 + " of its ordering key k was running (from <time> to <time>)",
                        "the jobs of an ordering key run in enqueue order: ran at <time> (claimed at <time>), before "
                                + "job " + o1 + " of ordering key k (enqueued before it, its enqueue committed at <time>, "
                                + "first claimed at <time>) finished at <time>",
                        "a workflow step runs only after every step it depends on completed: ran at <time> though step "
                                + steps.get("parent") + " it depends on is completed since <time>",
                        "a sealed batch fires its callback once, after its jobs finished: batch soak-batch-1 has 0 "
                                + "callback jobs");
        assertThat(violations).extracting(InvariantChecker.Violation::jobId)
                .containsExactlyInAnyOrder(l4, l4, o2, o2, steps.get("child"), member);
    }

    /**
     * With producers in concurrent transactions, a job of a key can take its id before a later job of its key and
     * commit after that one was claimed: it waits for that one to end and runs next (docs/flow-control.md), which
     * is no breach of order. A job committed before the later one was claimed is (the test above).
     */
    @Test
    void aJobCommittedAfterALaterJobOfItsKeyWasClaimedMayRunAfterIt() throws Exception {
        long late;
        long claimedFirst;
        try (Connection slow = database.dataSource().getConnection()) {
            slow.setAutoCommit(false);
            late = client.enqueue(slow, JobRequest.of(new SoakJobs.Work(0, 0, null)).queue(SoakJobs.ORDERED_QUEUE)
                    .orderingKey("k")).id();
            try (Statement s = slow.createStatement()) {
                s.execute("insert into soak.enqueued (job_id) values (" + late + ")");
            }
            claimedFirst = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, null)).queue(SoakJobs.ORDERED_QUEUE)
                    .orderingKey("k"));
            execute("""
                    update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = clock_timestamp() where id = %1$d;
                    insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
                        values (%1$d, 1, 'n1', clock_timestamp(), clock_timestamp() + interval '1 ms', 'completed');
                    insert into soak.executions (job_id, attempt, node, at) values (%1$d, 1, 'n1', clock_timestamp());
                    """.formatted(claimedFirst));
            slow.commit();
        }
        execute("""
                update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = clock_timestamp() + interval '2 s'
                    where id = %1$d;
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
                    values (%1$d, 1, 'n2', clock_timestamp(), clock_timestamp() + interval '2 s', 'completed');
                insert into soak.executions (job_id, attempt, node, at) values (%1$d, 1, 'n2', clock_timestamp() + interval '1 s');
                """.formatted(late));

        assertThat(late).isLessThan(claimedFirst);
        assertThat(new InvariantChecker(database.dataSource(), 16).check()).isEmpty();
    }

    @Test
    void reportsStartsOverTheRateLimitAttemptsBehindAnOpenCircuitAndTimeoutsNotRecordedAsSuch() throws Exception {
        long[] rated = new long[6];
        for (int i = 0; i < rated.length; i++) {
            rated[i] = enqueue(JobRequest.of(new SoakJobs.Work(0, 0, null)).queue(SoakJobs.RATED_QUEUE));
        }
        long probe = enqueue(new SoakJobs.Partner(1));
        long behindOpenCircuit = enqueue(new SoakJobs.Partner(2));
        long justAfterOpening = enqueue(new SoakJobs.Partner(3));
        long afterClosing = enqueue(new SoakJobs.Partner(4));
        long overranAndCompleted = enqueue(new SoakJobs.Timed(1000));
        long timedOut = enqueue(new SoakJobs.Timed(1000));
        long timedOutTooSoon = enqueue(new SoakJobs.Timed(1000));
        long timedOutWithoutATimeout = enqueue(new SoakJobs.Work(0, 0, null));
        execute("""
                update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = now() where kind like 'soak.%%';
                -- the burst (3) at once, two more at the same time (one and two too many), one ten seconds later
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
                    select id, 1, 'n1', timestamptz '2026-01-01 00:00:00+00'
                                        + case when id = %6$d then interval '10 s' else interval '0 s' end,
                           timestamptz '2026-01-01 00:00:11+00', 'completed'
                    from pgjobs.jobs where queue = '%7$s';
                -- open at :00, the probe taken at :05, closed at :06
                insert into soak.circuit_log (kind, state, probe_job_id, at) values
                    ('soak.partner', 'open', null, '2026-01-01 00:00:00+00'),
                    ('soak.partner', 'half_open', null, '2026-01-01 00:00:05+00'),
                    ('soak.partner', 'half_open', %1$d, '2026-01-01 00:00:05.1+00'),
                    ('soak.partner', 'closed', null, '2026-01-01 00:00:06+00');
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome) values
                    (%1$d, 1, 'n1', '2026-01-01 00:00:05.05+00', '2026-01-01 00:00:05.5+00', 'completed'),
                    (%2$d, 1, 'n1', '2026-01-01 00:00:03+00', '2026-01-01 00:00:03.5+00', 'completed'),
                    (%3$d, 1, 'n1', '2026-01-01 00:00:00.5+00', '2026-01-01 00:00:00.6+00', 'completed'),
                    (%4$d, 1, 'n1', '2026-01-01 00:00:07+00', '2026-01-01 00:00:07.5+00', 'completed'),
                    (%5$d, 1, 'n1', now(), now() + interval '1 s', 'completed'),
                    (%8$d, 1, 'n1', now(), now() + interval '0.6 s', 'timeout'),
                    (%9$d, 1, 'n1', now(), now() + interval '0.1 s', 'timeout'),
                    (%10$d, 1, 'n1', now(), now() + interval '1 s', 'timeout');
                update pgjobs.attempts set message = 'timed out after PT0.5S (java.lang.InterruptedException)'
                    where outcome = 'timeout';
                insert into soak.executions (job_id, attempt, node) select job_id, attempt, node_id from pgjobs.attempts;
                """.formatted(probe, behindOpenCircuit, justAfterOpening, afterClosing, overranAndCompleted,
                rated[5], SoakJobs.RATED_QUEUE, timedOut, timedOutTooSoon, timedOutWithoutATimeout));

        List<InvariantChecker.Violation> violations = new InvariantChecker(database.dataSource(), 16).check();

        String start = "from an earlier start to attempt 1 started at <time>, ";
        String timeout = "an attempt that runs past its handler's timeout ends timeout: attempt 1 ";
        assertThat(violations).extracting(v -> v.what()
                        .replaceAll("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:[0-9:.+-]+", "<time>")
                        .replaceAll("\\d\\d:\\d\\d:[0-9.]+", "<span>"))
                .containsExactlyInAnyOrder(
                        "never over a rate limit: " + start + "1.000 more starts than the burst (3) plus the span "
                                + "times the rate (3 a second)",
                        "never over a rate limit: " + start + "2.000 more starts than the burst (3) plus the span "
                                + "times the rate (3 a second)",
                        "no attempt starts while its kind's circuit is open: attempt 1 of soak.partner "
                                + "started at <time> while its circuit was open (from <time> until <time>)",
                        timeout + "slept 1000 ms under a timeout of 500 ms and ended completed",
                        timeout + "of soak.timed ended timeout after <span>: timed out after PT0.5S (java.lang.InterruptedException)",
                        timeout + "of soak.work ended timeout after <span>: timed out after PT0.5S (java.lang.InterruptedException)");
        assertThat(violations).extracting(InvariantChecker.Violation::jobId).containsExactlyInAnyOrder(rated[3], rated[4],
                behindOpenCircuit, overranAndCompleted, timedOutTooSoon, timedOutWithoutATimeout);
    }

    /**
     * A node frozen just after its handler passed its start check wakes after its attempt was rescued and the next
     * attempt ran: its handler, running on, reads that attempt's checkpoint and logs its run late. A run logged
     * after its attempt had ended is no resume (its checkpoint writes are refused); invariant 8 leaves it out.
     */
    @Test
    void aRunLoggedAfterItsAttemptHadEndedIsNoResume() throws Exception {
        long job = enqueue(new SoakJobs.Checkpointed(5, 0));
        long resumedBackwards = enqueue(new SoakJobs.Checkpointed(5, 0));
        execute("""
                update pgjobs.jobs set state = 'completed', attempt = 2, finished_at = now() + interval '9 s',
                    checkpoint = '5' where id in (%1$d, %2$d);
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome) values
                    (%1$d, 1, 'n3', now(), now() + interval '7 s', 'lost'),
                    (%1$d, 2, 'n2', now() + interval '7.1 s', now() + interval '9 s', 'completed'),
                    (%2$d, 1, 'n3', now(), now() + interval '7 s', 'lost'),
                    (%2$d, 2, 'n2', now() + interval '7.1 s', now() + interval '9 s', 'completed');
                insert into soak.executions (job_id, attempt, node, checkpoint, at) values
                    -- attempt 2 from the start, then attempt 1's stale handler, woken, read attempt 2's checkpoint
                    (%1$d, 2, 'n2', 0, now() + interval '7.2 s'), (%1$d, 1, 'n3', 3, now() + interval '8.5 s'),
                    -- attempt 1 ran from 3 while it held its job, and attempt 2 went back to 0
                    (%2$d, 1, 'n3', 3, now() + interval '1 s'), (%2$d, 2, 'n2', 0, now() + interval '7.2 s');
                """.formatted(job, resumedBackwards));

        assertThat(new InvariantChecker(database.dataSource(), 16).check())
                .extracting(InvariantChecker.Violation::jobId, InvariantChecker.Violation::what)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(resumedBackwards, "a checkpointed job resumes "
                        + "from its last checkpoint: attempt 2 started from checkpoint 0, after an attempt that had "
                        + "started from 3"));
    }

    /**
     * A node's slots are capacity from its first completed job (docs/reliability.md, "A node that has just
     * started"): a job claimed in time by a node still cold waits on that node's start-up, and a job that waited
     * while only a cold node had a free slot waited for no free capacity. Once that node has completed a job, its
     * free slot counts, and the same wait is reported.
     */
    @Test
    void aJustStartedNodesSlotsCountFromItsFirstCompletedJob() throws Exception {
        long warmUp = enqueue(new SoakJobs.Work(0, 0, null));
        long fillingOne = enqueue(new SoakJobs.Work(0, 0, null));
        long fillingTwo = enqueue(new SoakJobs.Work(0, 0, null));
        long claimedByColdNode = enqueue(new SoakJobs.Work(0, 0, null));
        long claimedLate = enqueue(new SoakJobs.Work(0, 0, null));
        long coldNodesOtherJob = enqueue(new SoakJobs.Work(0, 0, null));
        // T is this statement's now(), just after each enqueue committed: a job waits from its commit, so each
        // has waited 5 s just before T + 5 s. Two slots a node: warm's are both busy from T - 1 s to T + 20 s; cold
        // was launched at T - 1 s, claims a job at T + 0.5 s whose handler runs from T + 6.5 s, completes it at
        // T + 7 s (its first completed job), and runs another from T + 6 s to T + 10 s; the late job is claimed
        // at T + 20 s. So at T + 5 s only cold, not yet warm, had a free slot.
        execute("""
                insert into soak.node_runs (node, launched_at, ready_at) values
                    ('warm', now() - interval '60 s', now() - interval '55 s'),
                    ('cold', now() - interval '1 s', now() - interval '0.5 s');
                update pgjobs.jobs set state = 'completed', attempt = 1, finished_at = now() + interval '30 s'
                    where kind = 'soak.work';
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome) values
                    (%1$d, 1, 'warm', now() - interval '50 s', now() - interval '49 s', 'completed'),
                    (%2$d, 1, 'warm', now() - interval '1 s', now() + interval '20 s', 'completed'),
                    (%3$d, 1, 'warm', now() - interval '1 s', now() + interval '20 s', 'completed'),
                    (%4$d, 1, 'cold', now() + interval '0.5 s', now() + interval '7 s', 'completed'),
                    (%5$d, 1, 'warm', now() + interval '20 s', now() + interval '21 s', 'completed'),
                    (%6$d, 1, 'cold', now() + interval '6 s', now() + interval '10 s', 'completed');
                insert into soak.executions (job_id, attempt, node, at)
                    select job_id, attempt, node_id, started_at from pgjobs.attempts;
                update soak.executions set at = at + interval '6 s' where job_id = %4$d;
                """.formatted(warmUp, fillingOne, fillingTwo, claimedByColdNode, claimedLate, coldNodesOtherJob));
        InvariantChecker checker = new InvariantChecker(database.dataSource(), 2);

        assertThat(checker.check()).as("waits while only a cold node had a free slot").isEmpty();

        // cold's second job ran from T + 1.5 s to T + 2 s instead: its first completed job, so from then on cold's
        // free slot counts
        execute("""
                update pgjobs.attempts set started_at = started_at - interval '4.5 s',
                    finished_at = started_at - interval '4 s' where job_id = %1$d;
                update soak.executions set at = at - interval '4.5 s' where job_id = %1$d;
                """.formatted(coldNodesOtherJob));
        List<InvariantChecker.Violation> violations = checker.check();

        assertThat(violations).extracting(InvariantChecker.Violation::jobId).containsExactly(claimedLate);
        assertThat(violations.getFirst().what().replaceAll("\\d{4}-\\d\\d-\\d\\d [0-9:.+]+", "<time>")
                .replaceAll("00:00:20\\.\\d+", "<about 20 s>"))
                .isEqualTo("no job waits while capacity is free: waited <about 20 s> for its first start after its "
                        + "enqueue, outside faults, while cold (running jobs since <time>) held only 1 of its 2 slots "
                        + "after 5 s");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        checker.print(violations, new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("node:     node=cold | launched_at=")
                .contains("node:     node=warm | launched_at=")
                .contains("| busy_at_bound=1")
                .contains("| busy_at_bound=2");
    }

    /**
     * A workflow step can run only once the steps it depends on completed, so it waits from then, not from its
     * enqueue: the soak's diamonds, whose fan-in waits for two steps that fail now and then, were reported as waits.
     * The report's latency of enqueue to first start counts it the same way.
     */
    @Test
    void aWorkflowStepWaitsFromTheEndOfTheStepsItDependsOn() throws Exception {
        long warmUp = enqueue(new SoakJobs.Work(0, 0, null));
        var steps = client.workflows().enqueue(Workflow.builder("w")
                .step("parent", JobRequest.of(new SoakJobs.Work(0, 0, null)))
                .step("child", JobRequest.of(new SoakJobs.Work(0, 0, null)), "parent").build()).jobIds();
        // T is this statement's now(): a node warm since T - 49 s with one of its two slots free throughout; the
        // parent runs from T + 1 s to T + 10 s, the child from T + 11 s
        execute("""
                insert into soak.node_runs (node, launched_at, ready_at) values
                    ('warm', now() - interval '60 s', now() - interval '55 s');
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome) values
                    (%1$d, 1, 'warm', now() - interval '50 s', now() - interval '49 s', 'completed'),
                    (%2$d, 1, 'warm', now() + interval '1 s', now() + interval '10 s', 'completed'),
                    (%3$d, 1, 'warm', now() + interval '11 s', now() + interval '11.1 s', 'completed');
                update pgjobs.jobs j set state = 'completed', attempt = 1, finished_at = a.finished_at
                    from pgjobs.attempts a where a.job_id = j.id;
                insert into soak.executions (job_id, attempt, node, at)
                    select job_id, attempt, node_id, started_at from pgjobs.attempts;
                """.formatted(warmUp, steps.get("parent"), steps.get("child")));

        assertThat(new InvariantChecker(database.dataSource(), 2).check()).isEmpty();
        // the report's latency counts the same way: the child waited 1 s from its parent's end, not 11 s
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        new SoakReport(database.dataSource()).print(new PrintStream(printed, true, StandardCharsets.UTF_8), List.of(),
                new ConnectionSampler(database.dataSource()));
        String report = printed.toString(StandardCharsets.UTF_8);
        String latency = report.lines().dropWhile(line -> !line.startsWith("== enqueue to first start"))
                .filter(line -> line.startsWith("outside faults | ")).findFirst().orElseThrow(() -> new AssertionError(report));
        assertThat(Long.parseLong(latency.substring(latency.lastIndexOf(' ') + 1)))
                .as("the longest wait in the report's latency, ms: " + latency).isBetween(1000L, 2000L);
    }

    private static long enqueue(Object args) throws Exception {
        return enqueue(JobRequest.of(args));
    }

    private static long enqueue(JobRequest request) throws Exception {
        try (Connection c = database.dataSource().getConnection()) {
            c.setAutoCommit(false);
            long id = client.enqueue(c, request).id();
            try (Statement s = c.createStatement()) {
                s.execute("insert into soak.enqueued (job_id) values (" + id + ")");
            }
            c.commit();
            return id;
        }
    }

    private static void execute(String sql) throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
