package io.pgjobs.soak;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.Uniqueness;
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

    private final DataSource dataSource;
    private final JobClient client;
    private final int jobsPerSecond;
    private final Random random;
    private final long endNanos;
    private final AtomicLong enqueued = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong refusedBatches = new AtomicLong();

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

    private void enqueueBatch(int size) throws SQLException {
        List<JobRequest> batch = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            batch.add(nextRequest());
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement record = c.prepareStatement("insert into soak.enqueued (job_id) values (?)")) {
                int inserted = 0;
                for (EnqueueResult result : client.enqueueAll(c, batch)) {
                    if (!result.duplicate()) {
                        record.setLong(1, result.id());
                        record.addBatch();
                        inserted++;
                    }
                }
                record.executeBatch();
                c.commit();
                enqueued.addAndGet(inserted);
                duplicates.addAndGet(size - inserted);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Mostly short jobs, some slow ones, a tenth of them failing now and then; unique and checkpointed ones. */
    private JobRequest nextRequest() {
        int dice = random.nextInt(100);
        if (dice < 5) {
            return JobRequest.of(new SoakJobs.Checkpointed(5, 300));
        }
        if (dice < 15) {
            return JobRequest.of(new SoakJobs.Work(random.nextInt(200), 10, random.nextInt(UNIQUE_KEYS)))
                    .unique(Uniqueness.byArgs("key").whileUnfinished());
        }
        long millis = dice < 25 ? 500 + random.nextInt(1500) : random.nextInt(50);
        return JobRequest.of(new SoakJobs.Work(millis, 10, null));
    }
}
