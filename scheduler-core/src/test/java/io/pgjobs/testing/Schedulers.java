package io.pgjobs.testing;

import io.pgjobs.Scheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Per test: empties the jobs tables of the class's database before, and closes every scheduler built through
 * it after. Register it as {@code @RegisterExtension final Schedulers schedulers = new Schedulers(db);}.
 */
public final class Schedulers implements BeforeEachCallback, AfterEachCallback {
    private final PgDatabase db;
    private final List<Scheduler> built = new ArrayList<>();

    public Schedulers(PgDatabase db) {
        this.db = db;
    }

    public Scheduler build(Scheduler.Builder builder) {
        Scheduler scheduler = builder.build();
        built.add(scheduler);
        return scheduler;
    }

    public Scheduler start(Scheduler.Builder builder) {
        Scheduler scheduler = build(builder);
        scheduler.start();
        return scheduler;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.workflows, pgjobs.job_dependencies, pgjobs.batches, "
                + "pgjobs.saga_compensations");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        built.forEach(Scheduler::close);
        built.clear();
    }
}
