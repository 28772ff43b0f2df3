package io.pgjobs.internal.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.PgJobsException;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.AuditEntry;
import io.pgjobs.admin.AuditFilter;
import io.pgjobs.admin.BatchFilter;
import io.pgjobs.admin.BatchPage;
import io.pgjobs.admin.BatchResult;
import io.pgjobs.admin.CircuitInfo;
import io.pgjobs.admin.Clocks;
import io.pgjobs.admin.Count;
import io.pgjobs.admin.DeadLetterGroup;
import io.pgjobs.admin.JobAction;
import io.pgjobs.admin.JobCounts;
import io.pgjobs.admin.JobFilter;
import io.pgjobs.admin.JobGroups;
import io.pgjobs.admin.JobPage;
import io.pgjobs.admin.NodeInfo;
import io.pgjobs.admin.NotFoundException;
import io.pgjobs.admin.Overview;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.PartitionCircuitInfo;
import io.pgjobs.admin.QueueActivity;
import io.pgjobs.admin.QueueFlowState;
import io.pgjobs.admin.QueueInfo;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.admin.WorkflowDetail;
import io.pgjobs.admin.WorkflowFilter;
import io.pgjobs.admin.WorkflowPage;
import io.pgjobs.internal.client.DefaultJobClient;
import io.pgjobs.internal.cron.DefaultScheduleClient;
import io.pgjobs.internal.store.AdminStore;
import io.pgjobs.internal.store.AdminStore.Audit;
import io.pgjobs.internal.store.CircuitStore;
import io.pgjobs.internal.store.FlowAdminStore;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.Sql;
import io.pgjobs.internal.store.WorkflowStore;
import io.pgjobs.internal.values.Excerpt;
import io.pgjobs.internal.values.PgValues;
import io.pgjobs.internal.values.PlainJson;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The {@link AdminClient}: validates input, reads through {@link AdminStore}, and acts with the {@link JobClient}'s
 * own actions (so a bulk retry means exactly what a single retry means, and a trigger from here is the schedule
 * client's), each action in one transaction with its audit entry: both commit or neither. What an action reports
 * (metrics, events) is reported after that commit.
 */
public final class DefaultAdminClient implements AdminClient {
    /** The largest batch of one bulk call, so no single transaction or request runs long. */
    public static final int MAX_BATCH = 1000;

    /** How many jobs one transaction of a bulk action acts on, with one audit entry. */
    static final int CHUNK = 100;

    private final DefaultJobClient client;
    private final AdminStore store;
    private final int maxArgsBytes;
    private final CircuitStore circuits;
    private final WorkflowStore workflows;
    private final FlowAdminStore flow;
    private final WorkflowAdmin workflowAdmin;
    /** The kinds whose breaker this scheduler configures per partition ({@link io.pgjobs.CircuitBreaker#perPartition}). */
    private final Set<String> partitionCircuitKinds;

    public DefaultAdminClient(AdminStore store, CircuitStore circuits, WorkflowStore workflows, FlowAdminStore flow,
                              DefaultJobClient client, WorkflowAdmin workflowAdmin, int maxArgsBytes,
                              Set<String> partitionCircuitKinds) {
        this.partitionCircuitKinds = partitionCircuitKinds;
        this.workflows = workflows;
        this.client = client;
        this.workflowAdmin = workflowAdmin;
        this.store = store;
        this.circuits = circuits;
        this.flow = flow;
        this.maxArgsBytes = maxArgsBytes;
    }

    @Override
    public JobPage jobs(JobFilter filter, PageRequest page) {
        AdminStore.Scan scan = call("list jobs", () -> store.jobs(filter, page));
        List<Job> jobs = scan.jobs();
        if (jobs.size() == page.limit()) {
            return new JobPage(jobs, jobs.getLast().id(), false);
        }
        return new JobPage(jobs, scan.searchedTo(), scan.searchedTo() != null);
    }

    @Override
    public Optional<Job> job(long id) {
        return client.get(id);
    }

    @Override
    public List<JobAttempt> attempts(long id) {
        return client.attempts(id);
    }

    @Override
    public Overview overview(Overview.Span span) {
        return call("read the overview", () -> new Overview(store.now(), store.stateCounts(), store.queues(), span,
                store.stats(span.length(), span.bucket()), store.queueLag(span.length(), span.bucket())));
    }

    @Override
    public JobCounts jobCounts() {
        return call("count jobs per state, queue and kind", () -> {
            AdminStore.Facets recent = store.recentFacets(JobCounts.WINDOW);
            return new JobCounts(store.stateCounts(), recent.queues(), recent.kinds(), JobCounts.WINDOW);
        });
    }

    @Override
    public Count count(JobFilter filter, int cap) {
        if (cap < 1 || cap > 1_000_000) {
            throw new IllegalArgumentException("cap: must be between 1 and 1000000, got " + cap);
        }
        return call("count jobs", () -> store.count(filter, cap));
    }

    @Override
    public boolean act(String actor, JobAction action, long jobId) {
        requireActor(actor);
        requireJob(jobId);
        List<Long> changed = actInOneTransaction(action, List.of(jobId), ids -> new Audit(actor, name(action),
                "job:" + jobId, json(Map.of("changed", !ids.isEmpty()))));
        return !changed.isEmpty();
    }

    @Override
    public BatchResult actOnMatching(String actor, JobAction action, JobFilter filter, Long cursor, int batchSize) {
        requireActor(actor);
        requireBatch(batchSize);
        List<Long> ids = call("select jobs", () -> store.matchingIds(filter, cursor, batchSize));
        int changed = actInChunks(actor, "bulk_" + name(action), action, ids, "filter",
                Map.of("filter", describe(filter)));
        boolean done = ids.size() < batchSize;
        return new BatchResult(ids.size(), changed, done ? null : ids.getLast(), done);
    }

    @Override
    public BatchResult actOnIds(String actor, JobAction action, List<Long> jobIds) {
        requireActor(actor);
        if (jobIds.isEmpty() || jobIds.size() > MAX_BATCH) {
            throw new IllegalArgumentException("jobIds: must list 1 to " + MAX_BATCH + " job ids, got " + jobIds.size());
        }
        requireDistinctIds("jobIds", jobIds);
        int changed = actInChunks(actor, "bulk_" + name(action), action, jobIds, "jobs", Map.of());
        return new BatchResult(jobIds.size(), changed, null, true);
    }

    /**
     * Each id a job id (1 or more) and listed once: an id listed twice would be acted on, audited and counted as changed
     * twice, and an id below 1 names no job by mistake.
     */
    private static void requireDistinctIds(String field, List<Long> ids) {
        Set<Long> seen = new HashSet<>();
        for (Long id : ids) {
            if (id == null || id < 1) {
                throw new IllegalArgumentException(field + ": " + id
                        + " is no job id (ids are whole numbers, 1 or more)");
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException(field + ": job " + id + " is listed more than once");
            }
        }
    }

    /**
     * An action on one job that does not exist is refused before anything is written, its audit entry included (a
     * job deleted in between is acted on as one whose state allows nothing: false, audited).
     */
    private void requireJob(long jobId) {
        if (client.get(jobId).isEmpty()) {
            throw noJob(jobId);
        }
    }

    private static NotFoundException noJob(long jobId) {
        return new NotFoundException("id: no job " + jobId);
    }

    /**
     * Every action is audited under {@code actor}: one PostgreSQL cannot store as text would fail the audit insert
     * (U+0000) or be stored altered (a lone surrogate goes as '?'), so it is refused before anything is applied.
     */
    static void requireActor(String actor) {
        if (actor == null) {
            throw new IllegalArgumentException("actor: must not be null");
        }
        PgValues.text("actor", actor);
    }

    private static void requireBatch(int size) {
        if (size < 1 || size > MAX_BATCH) {
            throw new IllegalArgumentException("batchSize: must be between 1 and " + MAX_BATCH + ", got " + size);
        }
    }

    /**
     * Applies {@code action} to {@code ids} in chunks of {@link #CHUNK}, each chunk in one transaction with its
     * own audit entry naming the ids it was given and those it changed: should the process die or the database
     * fail half-way, the audit log says which jobs were acted on, and the rest are left as they were (calling
     * again acts on them). Returns how many jobs changed.
     */
    private int actInChunks(String actor, String auditAction, JobAction action, List<Long> ids, String target,
                            Map<String, ?> context) {
        int changed = 0;
        int chunks = (ids.size() + CHUNK - 1) / CHUNK;
        for (int chunk = 0; chunk < chunks; chunk++) {
            List<Long> given = ids.subList(chunk * CHUNK, Math.min(ids.size(), (chunk + 1) * CHUNK));
            int number = chunk + 1;
            try {
                changed += actInOneTransaction(action, given, changedIds -> {
                    Map<String, Object> detail = new LinkedHashMap<>(context);
                    detail.put("chunk", number);
                    detail.put("chunks", chunks);
                    detail.put("ids", given);
                    detail.put("changed", changedIds);
                    return new Audit(actor, auditAction, target, json(detail));
                }).size();
            } catch (PgJobsException e) {
                throw new PgJobsException(e.getMessage() + " (" + chunk + " of " + chunks + " chunks of at most "
                        + CHUNK + " jobs were applied and audited, " + changed + " jobs changed; the rest, from id "
                        + given.getFirst() + " on, were not)", e);
            }
        }
        return changed;
    }

    /** Applies {@code action} to {@code ids} and audits it, in one transaction; returns the ids it changed. */
    private List<Long> actInOneTransaction(JobAction action, List<Long> ids, Function<List<Long>, Audit> audit) {
        AdminStore.Acted acted = call(name(action) + " jobs", () -> store.act(action, ids, audit));
        acted.cancelledBeforeStart().forEach(client::cancelledBeforeStart);
        return acted.changed();
    }

    /** The filter's set fields by name, as the audit log shows them (states by their database names). */
    private static Map<String, Object> describe(JobFilter filter) {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (!filter.states().isEmpty()) {
            fields.put("states", filter.states().stream().map(JobState::dbName).sorted().toList());
        }
        putIfSet(fields, "queue", filter.queue());
        putIfSet(fields, "kind", filter.kind());
        putIfSet(fields, "tag", filter.tag());
        putIfSet(fields, "createdFrom", filter.createdFrom());
        putIfSet(fields, "createdTo", filter.createdTo());
        putIfSet(fields, "finishedFrom", filter.finishedFrom());
        putIfSet(fields, "finishedTo", filter.finishedTo());
        putIfSet(fields, "args", filter.args());
        putIfSet(fields, "deadLetterGroup", filter.deadLetterGroup());
        return fields;
    }

    private static void putIfSet(Map<String, Object> fields, String name, Object value) {
        if (value != null && !(value instanceof String text && text.isBlank())) {
            fields.put(name, value instanceof Instant instant ? instant.toString() : value);
        }
    }

    private static String name(JobAction action) {
        return action.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public long cloneJob(String actor, long jobId, String argsJson) {
        requireActor(actor);
        Job job = client.get(jobId).orElseThrow(() -> noJob(jobId));
        if (argsJson != null && argsJson.length() > maxArgsBytes) {
            throw new IllegalArgumentException("args: over the limit of " + maxArgsBytes + " bytes (maxArgsBytes)");
        }
        JsonNode args = PgValues.jsonNumbers("args", parseObject("args", argsJson == null ? job.args() : argsJson));
        JobRequest request = JobRequest.of(job.kind(), args).queue(job.queue()).priority(job.priority())
                .maxAttempts(job.maxAttempts()).tags(job.tags().toArray(String[]::new));
        // pgjobs' own keys said where the original came from (its schedule, its caller's MDC): not the clone's
        ((ObjectNode) parseObject("metadata", job.metadata())).properties().stream()
                .filter(e -> !e.getKey().startsWith(JobRequest.RESERVED_METADATA_PREFIX))
                .forEach(e -> request.metadata(e.getKey(), e.getValue()));
        List<NewJob> clone = List.of(client.prepare(request));
        DefaultJobClient.Inserted inserted = call("clone job " + jobId, () -> store.audited(
                connection -> client.insertUncommitted(connection, clone),
                done -> Optional.of(new Audit(actor, "clone", "job:" + jobId, json(Map.of(
                        "newJob", done.results().getFirst().id(), "argsEdited", argsJson != null))))));
        client.committed(inserted);
        return inserted.results().getFirst().id();
    }

    private static JsonNode parseObject(String field, String json) {
        try {
            JsonNode node = PlainJson.MAPPER.readTree(json);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(field + ": must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(field + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public WorkflowPage workflows(WorkflowFilter filter, PageRequest page) {
        return workflowAdmin.workflows(filter, page, WORKFLOW_SCAN);
    }

    @Override
    public Map<WorkflowStatus.State, Integer> workflowCounts() {
        return workflowAdmin.workflowCounts(WORKFLOW_SCAN);
    }

    @Override
    public Optional<WorkflowDetail> workflow(long id) {
        return workflowAdmin.workflow(id);
    }

    @Override
    public int cancelWorkflow(String actor, long id) {
        return workflowAdmin.cancel(actor, id);
    }

    @Override
    public int retryWorkflow(String actor, long id) {
        return workflowAdmin.retry(actor, id);
    }

    @Override
    public BatchPage batches(BatchFilter filter, PageRequest page) {
        return workflowAdmin.batches(filter, page);
    }

    @Override
    public Optional<JobGroups> jobGroups(long jobId) {
        return workflowAdmin.groups(jobId);
    }

    @Override
    public List<QueueInfo> queues() {
        return call("list queues", store::queues);
    }

    @Override
    public List<QueueActivity> queueActivity(Overview.Span span) {
        return call("read the queues' activity", () -> {
            Map<String, List<Overview.StatsPoint>> stats = store.queueStats(span.length(), span.bucket());
            Map<String, List<Overview.LagPoint>> lag = new TreeMap<>();
            store.queueLag(span.length(), span.bucket()).forEach(q -> lag.put(q.queue(), q.points()));
            Set<String> queues = new TreeSet<>(stats.keySet());
            queues.addAll(lag.keySet());
            return queues.stream().map(queue -> new QueueActivity(queue, stats.getOrDefault(queue, List.of()),
                    lag.getOrDefault(queue, List.of()))).toList();
        });
    }

    @Override
    public void pauseQueue(String actor, String queue) {
        setPaused(actor, queue, true);
    }

    @Override
    public void resumeQueue(String actor, String queue) {
        setPaused(actor, queue, false);
    }

    @Override
    public List<CircuitInfo> circuits() {
        return call("read the circuits", circuits::circuits);
    }

    @Override
    public void openCircuit(String actor, String kind, Duration coolDown) {
        requireActor(actor);
        requireKind(kind);
        requireCoolDown(coolDown);
        // the claims of such a kind ask its partitions' circuits, never the kind's: opening that would stop nothing
        if (partitionCircuitKinds.contains(kind)
                || call("read the circuits of " + kind, () -> circuits.recordsPerPartition(kind))) {
            throw new IllegalArgumentException("kind: '" + kind + "' has a circuit per partition"
                    + " (CircuitBreaker.perPartition) and none of its own, so opening the kind's circuit would stop"
                    + " none of its jobs; open the circuits of its partitions (openPartitionCircuit), or pause its"
                    + " queue to stop all of them");
        }
        call("open the circuit of " + kind, () -> {
            circuits.open(kind, coolDown, "opened by " + actor, new Audit(actor, "open_circuit", "kind:" + kind,
                    json(Map.of("coolDownMs", coolDown.toMillis()))));
            return null;
        });
    }

    @Override
    public void closeCircuit(String actor, String kind) {
        setCircuitClosed(actor, kind, false);
    }

    @Override
    public void resetCircuit(String actor, String kind) {
        setCircuitClosed(actor, kind, true);
    }

    private void setCircuitClosed(String actor, String kind, boolean forget) {
        requireActor(actor);
        requireKind(kind);
        String action = forget ? "reset_circuit" : "close_circuit";
        boolean found = call(action.replace('_', ' ') + " of " + kind,
                () -> circuits.close(kind, "closed by " + actor, forget, new Audit(actor, action, "kind:" + kind, "{}")));
        // a typo, or a kind whose circuit was reset before: nothing to close, so nothing is audited
        if (!found) {
            throw new NotFoundException("kind: no circuit for the kind '" + kind + "' (it never recorded an outcome,"
                    + " or was reset)");
        }
    }

    @Override
    public List<PartitionCircuitInfo> partitionCircuits() {
        return call("read the circuits per partition", () -> circuits.partitionCircuits(null));
    }

    @Override
    public void openPartitionCircuit(String actor, String kind, String value, Duration coolDown) {
        requireActor(actor);
        requireKind(kind);
        requireCoolDown(coolDown);
        String partition = partitionNamed(value);
        call("open the circuit of " + kind + " partition '" + partition + "'", () -> {
            circuits.openPartition(kind, partition, coolDown, "opened by " + actor, new Audit(actor,
                    "open_partition_circuit", "kind:" + kind,
                    json(Map.of("partition", partition, "coolDownMs", coolDown.toMillis()))));
            return null;
        });
    }

    @Override
    public void closePartitionCircuit(String actor, String kind, String partition) {
        setPartitionCircuitClosed(actor, kind, partition, false);
    }

    @Override
    public void resetPartitionCircuit(String actor, String kind, String partition) {
        setPartitionCircuitClosed(actor, kind, partition, true);
    }

    private void setPartitionCircuitClosed(String actor, String kind, String value, boolean forget) {
        requireActor(actor);
        requireKind(kind);
        String partition = partitionNamed(value);
        String action = forget ? "reset_partition_circuit" : "close_partition_circuit";
        boolean found = call(action.replace('_', ' ') + " of " + kind + " partition '" + partition + "'",
                () -> circuits.closePartition(kind, partition, "closed by " + actor, forget,
                        new Audit(actor, action, "kind:" + kind, json(Map.of("partition", partition)))));
        if (!found) {
            throw new NotFoundException("partition: no circuit for the partition '" + partition + "' of the kind '"
                    + kind + "' (it never recorded an outcome, or was reset)");
        }
    }

    private static void requireCoolDown(Duration coolDown) {
        if (coolDown == null || coolDown.compareTo(Duration.ofMillis(100)) < 0 || coolDown.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("coolDown: " + coolDown + " is out of range PT0.1S..PT24H");
        }
    }

    /**
     * The partition an operator's {@code value} names, as the claim computes it from a job: any text PostgreSQL
     * can store ("" for jobs without a key), a value too long for an index entry by its digest, so the value
     * itself and the digest the flow page shows name the same circuit.
     */
    private String partitionNamed(String value) {
        if (value == null) {
            throw new IllegalArgumentException("partition: must be given (\"\" for the jobs without a key), was null");
        }
        PgValues.text("partition", value);
        return call("name the partition", () -> circuits.partitionNamed(value));
    }

    @Override
    public List<QueueFlowState> flowControl() {
        return call("read the flow control of the queues", flow::flowControl);
    }

    @Override
    public boolean skipBlockingJob(String actor, long jobId) {
        requireActor(actor);
        requireJob(jobId);
        return call("skip job " + jobId + " on its ordering key", () -> flow.skipBlockingJob(jobId,
                skipped -> new Audit(actor, "skip_blocking_job", "job:" + jobId, json(Map.of(
                        "queue", skipped.queue(), "orderingKey", skipped.orderingKey()))))).isPresent();
    }

    private static void requireKind(String kind) {
        if (kind == null || kind.isBlank() || kind.length() > 200) {
            throw new IllegalArgumentException("kind: must be a name of 1 to 200 characters, was '"
                    + Excerpt.of(kind) + "'");
        }
    }

    private void setPaused(String actor, String queue, boolean paused) {
        requireActor(actor);
        requireQueueName(queue);
        boolean known = call("pause or resume queue " + queue, () -> store.setQueuePaused(queue, paused,
                new Audit(actor, paused ? "pause_queue" : "resume_queue", "queue:" + queue, "{}")));
        // a typo would otherwise create a queue that no node works and that stays in every list
        if (!known) {
            throw noQueue(queue);
        }
    }

    @Override
    public boolean removeQueue(String actor, String queue) {
        requireActor(actor);
        requireQueueName(queue);
        AdminStore.QueueRemoval removal = call("remove queue " + queue,
                () -> store.removeQueue(queue, new Audit(actor, "remove_queue", "queue:" + queue, "{}")));
        if (!removal.workingNodes().isEmpty()) {
            throw new IllegalArgumentException("queue: '" + queue + "' is worked by the live node(s) "
                    + String.join(", ", removal.workingNodes()) + "; remove it from their configuration first");
        }
        if (!removal.known()) {
            throw noQueue(queue);
        }
        return removal.removed();
    }

    private static NotFoundException noQueue(String queue) {
        return new NotFoundException("queue: no queue named '" + queue + "' (none has jobs, settings or a node working it)");
    }

    private static void requireQueueName(String queue) {
        if (queue == null || queue.isBlank() || queue.length() > 100) {
            throw new IllegalArgumentException("queue: must be a name of 1 to 100 characters");
        }
    }

    @Override
    public Clocks clocks() {
        return call("read the database's clocks", store::clocks);
    }

    @Override
    public List<DeadLetterGroup> deadLetters() {
        return call("group dead letters", store::deadLetters);
    }

    @Override
    public BatchResult actOnDeadLetters(String actor, JobAction action, String fingerprint, int batchSize) {
        requireActor(actor);
        if (action == JobAction.CANCEL) {
            throw new IllegalArgumentException("action: dead letters can be retried or deleted, not cancelled");
        }
        if (fingerprint == null || !fingerprint.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("fingerprint: must be 32 hex digits, got " + fingerprint);
        }
        requireBatch(batchSize);
        // Each batch moves its jobs out of the dead letters, so the next batch simply takes the next newest.
        List<Long> ids = call("select dead letters", () -> store.deadLetterIds(fingerprint, batchSize));
        int changed = actInChunks(actor, "dead_letters_" + name(action), action, ids, "fingerprint:" + fingerprint,
                Map.of());
        boolean done = ids.size() < batchSize || changed == 0;
        return new BatchResult(ids.size(), changed, null, done);
    }

    @Override
    public List<ScheduleInfo> schedules() {
        // the schedule client's listing: the same reading of each expression as the firer's
        return client.schedules().list();
    }

    @Override
    public boolean setScheduleEnabled(String actor, String name, boolean enabled) {
        requireActor(actor);
        // through the schedule client, so that a pause and a resume from here move the next fire time as theirs
        // do (a resume continues from the next future time) and wake the firer; an unknown schedule is not audited
        DefaultScheduleClient schedules = client.schedules();
        String action = enabled ? "resume_schedule" : "pause_schedule";
        return call(action.replace('_', ' ') + " '" + name + "'", () -> store.audited(
                connection -> enabled ? schedules.resume(connection, name) : schedules.pause(connection, name),
                found -> found ? Optional.of(new Audit(actor, action, "schedule:" + name, "{}")) : Optional.empty()));
    }

    @Override
    public long triggerSchedule(String actor, String name) {
        requireActor(actor);
        // through the schedule client, so that a trigger from here is the same job, and recorded as the same run
        DefaultScheduleClient schedules = client.schedules();
        Optional<DefaultScheduleClient.Triggered> triggered = call("trigger schedule '" + name + "'",
                () -> store.audited(connection -> schedules.triggerNow(connection, name),
                        job -> job.map(t -> new Audit(actor, "trigger_schedule", "schedule:" + name,
                                json(Map.of("newJob", t.id()))))));
        DefaultScheduleClient.Triggered job = triggered
                .orElseThrow(() -> new NotFoundException("name: no schedule named '" + name + "'"));
        schedules.committed(job);
        return job.id();
    }

    @Override
    public boolean retryCompensation(String actor, long workflowId) {
        requireActor(actor);
        List<Long> retried = call("retry the compensation of saga " + workflowId, () -> store.audited(
                connection -> workflows.retryCompensation(connection, workflowId),
                jobs -> jobs.isEmpty() ? Optional.empty()
                        : Optional.of(new Audit(actor, "retry_compensation", "workflow:" + workflowId,
                                json(Map.of("jobIds", jobs))))));
        return !retried.isEmpty();
    }

    @Override
    public List<NodeInfo> nodes() {
        return call("list nodes", store::nodes);
    }

    @Override
    public List<UnhandledKind> unhandledKinds() {
        return call("count jobs no live node handles", store::unhandledKinds);
    }

    @Override
    public List<AuditEntry> audit(AuditFilter filter, PageRequest page) {
        return call("read the audit log", () -> store.audit(filter, page));
    }

    static String json(Map<String, ?> value) {
        try {
            return PlainJson.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("audit details of plain values always serialize", e);
        }
    }

    private static <T> T call(String what, Sql.Call<T> call) {
        return Sql.call(what, call);
    }
}
