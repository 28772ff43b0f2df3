package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Health;
import io.pgjobs.Health.Status;
import io.pgjobs.internal.Config;
import io.pgjobs.internal.DefaultJobClient;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.testing.PgDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The node check watches the cluster's and the firer's loops too, not only the job loops. */
class RuntimeLoopsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private Runtime runtime;

    @AfterEach
    void stop() {
        runtime.stop();
    }

    @Test
    void aDeadClusterHeartbeatLoopTakesTheNodeDown() {
        Config config = new Config.Builder(db.dataSource()).build();
        Telemetry telemetry = new Telemetry(config.observe(), config.nodeId(), config.dataSource(), config.schema());
        runtime = new Runtime(config, new DefaultJobClient(config, telemetry).store(), telemetry);
        runtime.start();
        assertThat(runtime.loops()).extracting(BackgroundLoop::name)
                .contains("pgjobs-heartbeat", "pgjobs-leader", "pgjobs-cron");
        assertThat(runtime.heartbeat().check().status()).isEqualTo(Status.UP);

        runtime.loops().stream().filter(loop -> loop.name().equals("pgjobs-heartbeat")).findFirst().orElseThrow()
                .stop();

        Health.Check node = runtime.heartbeat().check();
        assertThat(node.status()).isEqualTo(Status.DOWN);
        assertThat(node.detail()).isEqualTo("pgjobs-heartbeat is not running");
    }
}
