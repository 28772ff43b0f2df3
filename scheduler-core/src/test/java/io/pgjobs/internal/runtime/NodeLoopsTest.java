package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Health;
import io.pgjobs.Health.Status;
import io.pgjobs.internal.Components;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.testing.PgDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The node check watches the cluster's and the firer's loops too, not only the job loops. */
class NodeLoopsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private Node node;

    @AfterEach
    void stop() {
        node.stop();
    }

    @Test
    void aDeadClusterHeartbeatLoopTakesTheNodeDown() {
        Config config = new Config.Builder(db.dataSource()).build();
        node = Components.of(config).node();
        node.start();
        assertThat(node.loops()).extracting(BackgroundLoop::name)
                .contains("pgjobs-heartbeat", "pgjobs-leader", "pgjobs-cron");
        assertThat(node.heartbeat().check().status()).isEqualTo(Status.UP);

        node.loops().stream().filter(loop -> loop.name().equals("pgjobs-heartbeat")).findFirst().orElseThrow()
                .stop();

        Health.Check check = node.heartbeat().check();
        assertThat(check.status()).isEqualTo(Status.DOWN);
        assertThat(check.detail()).isEqualTo("pgjobs-heartbeat is not running");
    }
}
