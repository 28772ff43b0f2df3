package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a fresh node loads in its first seconds (docs/performance.md, "jOOQ off a fresh node's path"): a node
 * without schedules, circuit breakers or operator calls starts and works off its first jobs without building a
 * single jOOQ query. Its loops' statements (the claim, the completion, the heartbeat, the leader, the chores, the
 * cron loop's read of due schedules) are plain SQL, and jOOQ's query building, a thousand classes to load and
 * compile on the two cores the first jobs run on, stays unloaded until something needs it.
 */
class ColdNodeClassesTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @Test
    void aNodeWithoutSchedulesRunsItsFirstJobsWithoutJooqsQueryBuilding() throws Exception {
        int jobs = 200;
        schedulers.build(Scheduler.builder(db.dataSource()).migrateOnStart(false)).client().enqueueAll(
                IntStream.range(0, jobs).mapToObj(n -> JobRequest.of(new ColdNodeProcess.Noop(n))).toList());
        Path classLog = Files.createDirectories(Path.of("target", "worker-logs"))
                .resolve("cold-node-classes-" + System.nanoTime() + ".log");
        Process node = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Xlog:class+load=info:file=" + classLog, "-cp", System.getProperty("java.class.path"),
                ColdNodeProcess.class.getName(), db.jdbcUrl(), Integer.toString(jobs)))
                .redirectErrorStream(true)
                .redirectOutput(classLog.resolveSibling(classLog.getFileName() + ".out").toFile())
                .start();
        try {
            assertThat(node.waitFor(6, TimeUnit.MINUTES)).as("the cold node ended").isTrue();
        } finally {
            node.destroyForcibly();
        }
        assertThat(node.exitValue()).as("the cold node's exit status (2: its jobs did not complete)").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where node_id = 'cold-node'")).isEqualTo(jobs);
        List<String> loaded = Files.readAllLines(classLog);
        assertThat(loaded).as("the classes the node loaded").anyMatch(line -> line.contains(" io.pgjobs.internal.runtime.JobExecution "));
        assertThat(loaded.stream().filter(line -> line.contains(" org.jooq.impl.")).toList())
                .as("jOOQ's query-building classes the node loaded").isEmpty();
    }
}
