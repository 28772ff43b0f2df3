package io.pgjobs.soak;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobRequest;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.Schedule;
import io.pgjobs.Scheduler;
import io.pgjobs.spi.RetryPolicy;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One soak node in a JVM of its own, as an application would run pgjobs: its sessions carry the node's id as
 * {@code ApplicationName} (the fault injector ends them by it), SIGTERM closes the scheduler gracefully. Prints
 * {@value #STARTED} once started, then every two seconds {@code R <heap after the last GC, bytes> <threads>}.
 * Exits when the soak's JVM, its parent, has gone.
 *
 * <p>Arguments: JDBC URL (with credentials), node id, lease ms, concurrency; and, for a node that also enqueues
 * (as an application's nodes do, each with its own version of pgjobs during an upgrade: see {@link Upgrade}),
 * jobs a second and for how many milliseconds after its start.
 */
public final class SoakNode {
    static final String STARTED = "STARTED";

    public static void main(String[] args) throws Exception {
        String nodeId = args[1];
        Duration lease = Duration.ofMillis(Long.parseLong(args[2]));
        HikariDataSource dataSource = pool(args[0], nodeId);
        Scheduler scheduler = Scheduler.builder(dataSource)
                .nodeId(nodeId)
                .migrateOnStart(false)
                .queue("default", Integer.parseInt(args[3]))
                .queue(SoakJobs.LIMITED_QUEUE, 4)
                .queueLimit(SoakJobs.LIMITED_QUEUE, SoakJobs.LIMITED_QUEUE_LIMIT)
                .partitionLimit(SoakJobs.LIMITED_QUEUE, PartitionKey.args("key"), SoakJobs.LIMITED_PARTITION_LIMIT)
                .queue(SoakJobs.ORDERED_QUEUE, 4)
                .orderedKeys(SoakJobs.ORDERED_QUEUE, OrderedKeys.MOVE_ON_WHEN_DISCARDED)
                .queue(SoakJobs.RATED_QUEUE, 4)
                .rateLimit(SoakJobs.RATED_QUEUE, SoakJobs.RATE)
                .leaseDuration(lease)
                .nodeDeadAfter(lease)
                .shutdownDeadline(Duration.ofSeconds(10))
                .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(200), Duration.ofSeconds(2)))
                // the checker reads every job's history at the end: nothing may be pruned before
                .completedRetention(Duration.ofDays(7))
                .failedRetention(Duration.ofDays(7))
                .handler(SoakJobs.Work.class, ctx -> SoakJobs.work(dataSource, ctx))
                .handler(SoakJobs.Checkpointed.class, ctx -> SoakJobs.checkpointed(dataSource, ctx))
                .handler(SoakJobs.Tick.class, ctx -> SoakJobs.tick(dataSource, ctx))
                .handler(SoakJobs.Transfer.class, ctx -> SoakJobs.transfer(dataSource, ctx))
                .handler(SoakJobs.Hog.class, ctx -> SoakJobs.hog(dataSource, ctx))
                .handler(SoakJobs.Partner.class, ctx -> SoakJobs.partner(dataSource, ctx))
                .handler(SoakJobs.Timed.class, SoakJobs.timed(dataSource))
                .circuitBreaker("soak.partner", SoakJobs.PARTNER_BREAKER)
                .schedule(Schedule.of(SoakJobs.TICK_SCHEDULE, "every 1s", JobRequest.of(new SoakJobs.Tick()))
                        // a fault may keep the leader from firing for longer than a minute: each missed
                        // second still gets its job, which the checker counts
                        .misfire(Schedule.MisfirePolicy.FIRE_ALL)
                        .misfireLimit(Schedule.MAX_MISFIRE_LIMIT))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            scheduler.close();
            dataSource.close();
        }));
        // a soak that dies (killed, Ctrl-C) must not leave its nodes running against the database
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(3)));
        try {
            scheduler.start();
        } catch (RuntimeException e) {
            // the scheduler's threads that did start would keep this JVM up: end it, as an application would
            e.printStackTrace();
            System.exit(1);
        }
        if (args.length > 4) {
            produce(dataSource, scheduler, Integer.parseInt(args[4]), Long.parseLong(args[5]), nodeId);
        }
        System.out.println(STARTED);
        System.out.flush();
        while (true) {
            System.out.println("R " + heapAfterGc() + " " + ManagementFactory.getThreadMXBean().getThreadCount());
            System.out.flush();
            Thread.sleep(2000);
        }
    }

    /**
     * Enqueues the soak's mix with this node's own client at {@code jobsPerSecond} for {@code forMs} from now, on a
     * thread of its own, then seals the batches it made.
     */
    private static void produce(HikariDataSource dataSource, Scheduler scheduler, int jobsPerSecond, long forMs,
                                String nodeId) {
        long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(forMs);
        Producer producer = new Producer(dataSource, scheduler.client(), jobsPerSecond, nodeId.hashCode(), endNanos);
        Thread.ofPlatform().daemon(true).name("producer").start(() -> {
            producer.run();
            producer.sealBatches();
            System.out.println("producer: " + producer.enqueued() + " jobs enqueued");
        });
    }

    private static HikariDataSource pool(String url, String nodeId) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.addDataSourceProperty("ApplicationName", nodeId);
        config.setMaximumPoolSize(40);
        config.setMinimumIdle(0);
        config.setPoolName("soak-" + nodeId);
        // a node whose database restarted must not wait half a minute for a connection that cannot come yet
        config.setConnectionTimeout(5000);
        return new HikariDataSource(config);
    }

    /** The heap in use just after the last collection of each heap pool: what a leak makes grow. */
    private static long heapAfterGc() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterGc = pool.getCollectionUsage();
            if (pool.getType() == MemoryType.HEAP && afterGc != null) {
                used += afterGc.getUsed();
            }
        }
        return used;
    }

    private SoakNode() {}
}
