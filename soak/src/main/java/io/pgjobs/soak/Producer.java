package io.pgjobs.soak;

import io.pgjobs.Batch;
import io.pgjobs.EnqueueResult;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.Uniqueness;
import io.pgjobs.Workflow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Enqueues the soak's mix of jobs at a steady rate, ten batches a second, each batch in one transaction with
 * its ids in {@code soak.enqueued}: a batch the database refuses (it is restarting, the session was ended)
 * leaves neither, and a committed one leaves both, as the transactional enqueue promises.
 */
final class Producer implements Runnable {
    private static final int BATCHES_PER_SECOND = 10;
    /** Unique jobs share this many keys, so that duplicates happen while a job of a key is unfinished. */
    private static final int UNIQUE_KEYS = 20;
    /** Partitions of the limited queue (its partition limit is per tenant). */
    private static final int TENANTS = 5;
    private static final int ORDERING_KEYS = 8;
    /** Every this many rounds (a round is a tenth of a second) a workflow, and a batch of jobs. */
    private static final int WORKFLOW_EVERY = 20;
    private static final int BATCH_EVERY = 50;
    private static final int BATCH_SIZE = 5;

    private final DataSource dataSource;
    private final JobClient client;
    private final int jobsPerSecond;
    private final Random random;
    private final long endNanos;
    private final AtomicLong enqueued = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong refusedBatches = new AtomicLong();
    private final List<Long> unsealed = new ArrayList<>();
    private long rounds;

    Producer(DataSource dataSource, JobClient client, int jobsPerSecond, long seed, long endNanos) {
        this.dataSource = dataSource;
        this.client = client;
        this.jobsPerSecond = jobsPerSecond;
        this.random = new Random(seed);
        this.endNanos = endNanos;
    }

    long enqueued() {
        return enqueued.get();
    }

    long duplicates() {
        return duplicates.get();
    }

    long refusedBatches() {
        return refusedBatches.get();
    }

    @Override
    public void run() {
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / BATCHES_PER_SECOND;
        long next = System.nanoTime();
        int carry = 0;
        while (next < endNanos) {
            carry += jobsPerSecond;
            int size = carry / BATCHES_PER_SECOND;
            carry %= BATCHES_PER_SECOND;
            try {
                enqueueBatch(size);
            } catch (SQLException | RuntimeException e) {
                // a fault the injector caused: the batch rolled back whole, which the checker relies on
                refusedBatches.incrementAndGet();
                System.err.println("producer: a batch of " + size + " was refused: " + e);
            }
            try {
                sealBatches();
            } catch (RuntimeException e) {
                System.err.println("producer: sealing " + unsealed + " was refused, again next round: " + e);
            }
            next += periodNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing the load, not waiting for a condition
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * One transaction: {@code size} jobs of the mix, and every {@value #WORKFLOW_EVERY}th time a workflow and
     * every {@value #BATCH_EVERY}th time a batch of jobs, each with its ids in {@code soak.enqueued}. A batch is
     * sealed after its transaction committed (sealing takes a transaction of its own); one the database refused
     * to seal is sealed at the next round.
     */
    private void enqueueBatch(int size) throws SQLException {
        List<JobRequest> batch = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            batch.add(nextRequest());
        }
        long round = rounds++;
        Long jobBatch = null;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement record = c.prepareStatement("insert into soak.enqueued (job_id) values (?)")) {
                List<Long> ids = new ArrayList<>();
                for (EnqueueResult result : client.enqueueAll(c, batch)) {
                    if (!result.duplicate()) {
                        ids.add(result.id());
                    }
                }
                int fromMix = ids.size();
                if (round % WORKFLOW_EVERY == 0) {
                    ids.addAll(client.workflows().enqueue(c, diamond(round)).jobIds().values());
                }
                if (round % BATCH_EVERY == 0) {
                    jobBatch = client.batches().create(c, Batch.builder("soak-batch-" + round)
                            .onComplete(JobRequest.of(new SoakJobs.Work(0, 0, null))).build());
                    List<JobRequest> members = new ArrayList<>();
                    for (int i = 0; i < BATCH_SIZE; i++) {
                        members.add(JobRequest.of(new SoakJobs.Work(random.nextInt(100), 10, null)));
                    }
                    client.batches().add(c, jobBatch, members).forEach(result -> ids.add(result.id()));
                }
                for (long id : ids) {
                    record.setLong(1, id);
                    record.addBatch();
                }
                record.executeBatch();
                c.commit();
                enqueued.addAndGet(ids.size());
                duplicates.addAndGet(size - fromMix);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        if (jobBatch != null) {
            unsealed.add(jobBatch);
        }
    }

    /**
     * Seals the batches enqueued and not sealed yet (a fault may have refused the last seal). Called by the
     * producer's thread, and after it ended by the soak's.
     */
    void sealBatches() {
        for (var it = unsealed.iterator(); it.hasNext(); ) {
            client.batches().seal(it.next());
            it.remove();
        }
    }

    /** A diamond: a first step, two steps after it (which fail now and then), a fan-in after both. */
    private Workflow diamond(long round) {
        return Workflow.builder("soak-workflow-" + round)
                .step("first", JobRequest.of(new SoakJobs.Work(random.nextInt(50), 0, null)))
                .step("left", JobRequest.of(new SoakJobs.Work(random.nextInt(200), 10, null)), "first")
                .step("right", JobRequest.of(new SoakJobs.Work(random.nextInt(200), 10, null)), "first")
                .step("fan-in", JobRequest.of(new SoakJobs.Work(random.nextInt(50), 0, null)), "left", "right")
                .build();
    }

    /**
     * Mostly short jobs, some slow ones, a tenth of them failing now and then; unique and checkpointed ones,
     * transfers (a transaction held open), jobs of the limited queue (keyed by tenant), of the ordered one and of
     * the rate-limited one, calls to the partner that is down now and then (its kind has a circuit breaker), and
     * jobs under a handler timeout, a fifth of which run past it (their two attempts time out).
     */
    private JobRequest nextRequest() {
        int dice = random.nextInt(100);
        if (dice < 5) {
            return JobRequest.of(new SoakJobs.Checkpointed(5, 300));
        }
        if (dice < 13) {
            return JobRequest.of(new SoakJobs.Work(random.nextInt(200), 10, random.nextInt(UNIQUE_KEYS)))
                    .unique(Uniqueness.byArgs("key").whileUnfinished());
        }
        if (dice < 18) {
            return JobRequest.of(new SoakJobs.Transfer(random.nextInt(SoakJobs.ACCOUNTS), 300 + random.nextInt(700)));
        }
        if (dice < 26) {
            return JobRequest.of(new SoakJobs.Work(20 + random.nextInt(180), 10, random.nextInt(TENANTS)))
                    .queue(SoakJobs.LIMITED_QUEUE);
        }
        if (dice < 34) {
            return JobRequest.of(new SoakJobs.Work(random.nextInt(50), 10, null))
                    .queue(SoakJobs.ORDERED_QUEUE).orderingKey("key-" + random.nextInt(ORDERING_KEYS));
        }
        if (dice < 38) {
            return JobRequest.of(new SoakJobs.Work(random.nextInt(100), 10, null)).queue(SoakJobs.RATED_QUEUE);
        }
        if (dice < 42) {
            return JobRequest.of(new SoakJobs.Partner(random.nextInt(1000)));
        }
        if (dice < 45) {
            long overrun = SoakJobs.HANDLER_TIMEOUT.toMillis() * 2;
            return JobRequest.of(new SoakJobs.Timed(random.nextInt(5) == 0 ? overrun : random.nextInt(100)))
                    .maxAttempts(2);
        }
        long millis = dice < 53 ? 500 + random.nextInt(1500) : random.nextInt(50);
        return JobRequest.of(new SoakJobs.Work(millis, 10, null));
    }
}
