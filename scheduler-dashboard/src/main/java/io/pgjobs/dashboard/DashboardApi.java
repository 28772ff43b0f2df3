package io.pgjobs.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgjobs.Job;
import io.pgjobs.JobState;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.AuditFilter;
import io.pgjobs.admin.JobAction;
import io.pgjobs.admin.JobFilter;
import io.pgjobs.admin.NotFoundException;
import io.pgjobs.admin.Overview;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.QueueFlowState;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The JSON API under {@code <mount>/api/}, documented endpoint by endpoint in docs/dashboard.md. Each route
 * says whether it acts (operators only, CSRF-checked by the servlet) and turns its input into an
 * {@link AdminClient} call; bad input throws {@link IllegalArgumentException} naming the field (a 400).
 * Input is checked here before any SQL runs, whatever the admin API checks itself: no NUL characters (which
 * PostgreSQL's text and jsonb cannot hold), bounded lengths, instants within PostgreSQL's years, and no args
 * filter on what the {@link Redactor} hides. Everything that leaves goes through the redactor.
 */
final class DashboardApi {
    /** One request as a route sees it: the path's groups, the query (or a JSON body's fields) and the user. */
    record Call(Matcher path, Function<String, String> param, JsonNode body, DashboardUser user) {}

    /**
     * A route; {@code fields} are the body fields an action takes, or the query parameters a read takes: any other
     * is refused, since a misspelt one would be dropped unread (a list filtered by {@code stat=failed} would show
     * every job).
     */
    record Route(String method, Pattern path, boolean acts, Set<String> fields, Function<Call, Object> handler) {}

    private static final int DEFAULT_PAGE = 50;
    private static final int DEFAULT_BATCH = 200;
    /** The most job ids one bulk action by ids takes (the admin API's own limit). */
    private static final int MAX_IDS = 1000;
    /** The filter's fields, as query parameters of the reads and body fields of a bulk action. */
    private static final Set<String> FILTER_FIELDS = Set.of("state", "queue", "kind", "tag", "createdFrom", "createdTo",
            "finishedFrom", "finishedTo", "args", "deadLetterGroup");
    private static final Set<String> BULK_FIELDS = union(FILTER_FIELDS, Set.of("action", "ids", "cursor", "batchSize"));
    /** A page of a list ({@link #page}). */
    static final Set<String> PAGE_PARAMS = Set.of("before", "limit");
    private static final Set<String> SPAN_PARAMS = Set.of("span");
    private static final Set<String> JOBS_PARAMS = union(FILTER_FIELDS, PAGE_PARAMS);
    private static final Set<String> COUNT_PARAMS = union(FILTER_FIELDS, Set.of("cap"));
    private static final Set<String> AUDIT_PARAMS = union(Set.of("actor", "action", "from", "to"), PAGE_PARAMS);
    private static final int MAX_COOL_DOWN_SECONDS = 86_400;
    /** How long a circuit an operator opens stays open when the request does not say. */
    private static final int DEFAULT_COOL_DOWN_SECONDS = 300;
    private static final int MAX_PARAM_LENGTH = 1000;
    /** The args filter's parser recurses per dotted segment and quoted character: a bound keeps its stack small. */
    private static final int MAX_ARGS_FILTER_LENGTH = 500;
    private static final int MAX_NAME_LENGTH = 200;
    private static final Instant FIRST_INSTANT = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST_INSTANT = Instant.parse("9999-12-31T23:59:59Z");
    /** The path segment of a route that names a job or a workflow by its id (see {@link #pathId}). */
    static final String PATH_ID = "([^/]+)";
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern NUL_ESCAPE = Pattern.compile("\\\\u0000", Pattern.CASE_INSENSITIVE);

    private final AdminClient admin;
    private final Redactor redactor;
    private final ObjectMapper json;
    private final List<Route> routes;

    DashboardApi(AdminClient admin, Redactor redactor, ObjectMapper json) {
        this.admin = admin;
        this.redactor = redactor;
        this.json = json;
        List<Route> core = List.of(
                get("overview", SPAN_PARAMS, c -> admin.overview(span(c.param().apply("span")))),
                // the database's time, which the UI counts "now" from (its date presets, "3 s ago"), and the
                // schedules' clock
                get("clock", c -> admin.clocks()),
                get("unhandled-kinds", c -> admin.unhandledKinds()),
                get("queues", c -> admin.queues()),
                get("queues/activity", SPAN_PARAMS, c -> admin.queueActivity(span(c.param().apply("span")))),
                act("queues/(.+)/(pause|resume)", c -> {
                    String queue = name("queue", c.path().group(1));
                    boolean pause = c.path().group(2).equals("pause");
                    orNotFound("queue", "queue", queue, () -> {
                        if (pause) {
                            admin.pauseQueue(c.user().name(), queue);
                        } else {
                            admin.resumeQueue(c.user().name(), queue);
                        }
                        return true;
                    });
                    return Map.of("queue", queue, "paused", pause);
                }),
                act("queues/(.+)/remove", c -> {
                    String queue = name("queue", c.path().group(1));
                    return Map.of("queue", queue, "removed",
                            orNotFound("queue", "queue", queue, () -> admin.removeQueue(c.user().name(), queue)));
                }),
                get("jobs", JOBS_PARAMS, c -> {
                    var page = admin.jobs(filter(c.param()), page(c.param()));
                    return Map.of("jobs", page.jobs().stream().map(this::jobView).toList(),
                            "nextBefore", page.nextBeforeId() == null ? "" : page.nextBeforeId(),
                            "partial", page.partial());
                }),
                get("jobs/counts", c -> admin.jobCounts()),
                get("jobs/count", COUNT_PARAMS,
                        c -> admin.count(filter(c.param()), intParam(c.param(), "cap", 100_000))),
                get("jobs/" + PATH_ID, c -> {
                    long id = pathId(c, "job");
                    Job job = admin.job(id).orElseThrow(() -> notFound("id", "job", id));
                    return Map.of("job", jobView(job), "attempts", admin.attempts(id).stream()
                            .map(a -> redactedFields(a, List.of(), List.of("message", "stackTrace"))).toList());
                }),
                act("jobs/" + PATH_ID + "/(retry|cancel|delete)", c -> {
                    long id = pathId(c, "job");
                    JobAction action = action(c.path().group(2));
                    return Map.of("changed", orNotFound("id", "job", id, () -> admin.act(c.user().name(), action, id)));
                }),
                act("jobs/" + PATH_ID + "/clone", Set.of("args"), c -> {
                    JsonNode args = c.body().get("args");
                    if (args != null && !args.isObject()) {
                        throw new IllegalArgumentException("args: must be a JSON object");
                    }
                    if (args != null && holdsNul(args)) {
                        throw new IllegalArgumentException("args: must not contain the NUL character (\\u0000),"
                                + " which PostgreSQL's jsonb cannot store");
                    }
                    long id = pathId(c, "job");
                    return Map.of("id", orNotFound("id", "job", id, () -> admin.cloneJob(c.user().name(), id,
                            args == null ? null : args.toString())));
                }),
                act("bulk", BULK_FIELDS, c -> {
                    JobAction action = action(required(c.param(), "action"));
                    JsonNode ids = c.body().get("ids");
                    if (ids != null) {
                        return admin.actOnIds(c.user().name(), action, ids(ids, c.body()));
                    }
                    String cursor = c.param().apply("cursor");
                    return admin.actOnMatching(c.user().name(), action, filter(c.param()),
                            cursor == null ? null : longParam("cursor", cursor),
                            intParam(c.param(), "batchSize", DEFAULT_BATCH));
                }),
                get("dead-letters", c -> admin.deadLetters().stream()
                        .map(g -> redactedFields(g, List.of(), List.of("pattern"))).toList()),
                act("dead-letters/([^/]+)/(retry|delete)", Set.of("batchSize"), c -> admin.actOnDeadLetters(
                        c.user().name(), action(c.path().group(2)), name("fingerprint", c.path().group(1)),
                        intParam(c.param(), "batchSize", DEFAULT_BATCH))),
                get("schedules", c -> admin.schedules().stream().map(s -> {
                    ObjectNode view = redactedFields(s, List.of("args"), List.of());
                    // the sentence for the common shapes, else the scheduler's own reading of the expression
                    view.put("summary", ScheduleWording.describe(s.expression()).orElse(s.description()));
                    return view;
                }).toList()),
                act("schedules/(.+)/(pause|resume)", c -> {
                    String name = name("schedule", c.path().group(1));
                    if (!admin.setScheduleEnabled(c.user().name(), name, c.path().group(2).equals("resume"))) {
                        throw notFound("schedule", "schedule", name);
                    }
                    return Map.of("schedule", name, "enabled", c.path().group(2).equals("resume"));
                }),
                act("schedules/(.+)/trigger", c -> {
                    String name = name("schedule", c.path().group(1));
                    return Map.of("id", orNotFound("schedule", "schedule", name, () -> admin.triggerSchedule(c.user().name(), name)));
                }),
                get("nodes", c -> admin.nodes()),
                // flow control (docs/flow-control.md, "Where an operator looks"): the queues' limits, rates and
                // held-back keys, the circuits, and what an operator does about them
                get("flow", c -> Map.of("queues", admin.flowControl().stream().map(this::flowView).toList(),
                        "circuits", admin.circuits().stream()
                                .map(circuit -> redactedFields(circuit, List.of(), List.of("reason"))).toList(),
                        "partitionCircuits", admin.partitionCircuits().stream()
                                .map(circuit -> redactedFields(circuit, List.of(), List.of("partition", "reason")))
                                .toList())),
                act("circuits/(.+)/(open|close|reset)", Set.of("coolDownSeconds"), c -> {
                    String kind = name("kind", c.path().group(1));
                    coolDownOnlyToOpen(c);
                    String action = c.path().group(2);
                    if (action.equals("open")) {
                        admin.openCircuit(c.user().name(), kind, coolDown(c.param()));
                    } else {
                        orNotFound("kind", "circuit for a kind", kind, () -> {
                            if (action.equals("close")) {
                                admin.closeCircuit(c.user().name(), kind);
                            } else {
                                admin.resetCircuit(c.user().name(), kind);
                            }
                            return true;
                        });
                    }
                    return Map.of("kind", kind, "done", action);
                }),
                // a partition is any text (even "", or one with a slash), so it comes in the body, not the path
                act("partition-circuits/(.+)/(open|close|reset)", Set.of("partition", "coolDownSeconds"), c -> {
                    String kind = name("kind", c.path().group(1));
                    JsonNode partition = c.body().get("partition");
                    if (partition == null || !partition.isTextual()) {
                        throw new IllegalArgumentException("partition: required, a string (\"\" for the jobs without a key)");
                    }
                    coolDownOnlyToOpen(c);
                    String part = checked("partition", partition.textValue());
                    String action = c.path().group(2);
                    if (action.equals("open")) {
                        admin.openPartitionCircuit(c.user().name(), kind, part, coolDown(c.param()));
                    } else {
                        orNotFound("partition", "circuit of the kind " + Excerpt.of(kind) + " for a partition", part, () -> {
                            if (action.equals("close")) {
                                admin.closePartitionCircuit(c.user().name(), kind, part);
                            } else {
                                admin.resetPartitionCircuit(c.user().name(), kind, part);
                            }
                            return true;
                        });
                    }
                    return Map.of("kind", kind, "partition", part, "done", action);
                }),
                act("jobs/" + PATH_ID + "/skip", c -> {
                    long id = pathId(c, "job");
                    return Map.of("changed", orNotFound("id", "job", id, () -> admin.skipBlockingJob(c.user().name(), id)));
                }),
                get("audit", AUDIT_PARAMS, c -> admin.audit(auditFilter(c.param()), page(c.param())).stream()
                        .map(e -> redactedFields(e, List.of("detail"), List.of())).toList()));
        // the workflow and batch pages' routes, and the recent events', are classes of their own
        this.routes = Stream.of(core, new WorkflowRoutes(admin, redactor).routes(),
                new EventRoutes(admin, redactor).routes()).flatMap(List::stream).toList();
    }

    /** A circuit's close and reset take no cool-down: one sent with them is refused, not ignored. */
    private static void coolDownOnlyToOpen(Call c) {
        if (!c.path().group(2).equals("open") && c.body().has("coolDownSeconds")) {
            throw new IllegalArgumentException("coolDownSeconds: only opening a circuit takes a cool-down");
        }
    }

    List<Route> routes() {
        return routes;
    }

    /** A read that takes no query parameters. */
    static Route get(String path, Function<Call, Object> handler) {
        return get(path, Set.of(), handler);
    }

    static Route get(String path, Set<String> params, Function<Call, Object> handler) {
        return new Route("GET", Pattern.compile(path), false, params, handler);
    }

    static Set<String> union(Set<String> some, Set<String> others) {
        return Stream.concat(some.stream(), others.stream()).collect(Collectors.toUnmodifiableSet());
    }

    /** An action whose body holds no fields. */
    static Route act(String path, Function<Call, Object> handler) {
        return act(path, Set.of(), handler);
    }

    static Route act(String path, Set<String> fields, Function<Call, Object> handler) {
        return new Route("POST", Pattern.compile(path), true, fields, handler);
    }

    /**
     * The 404 of a {@code what} (a job, workflow, queue or schedule) that the request's {@code field} named and
     * that does not exist: {@code id: no job 42}, {@code queue: no queue named 'mail'}.
     */
    static NotFoundException notFound(String field, String what, Object name) {
        return new NotFoundException(field + ": no " + what + " "
                + (name instanceof String text ? "named " + Excerpt.of(text) : name));
    }

    /**
     * Runs an admin call on the {@code field} {@code name} the request named; the admin API's refusal of one that
     * does not exist becomes the dashboard's own, naming the request's field with an excerpt of the name (the
     * admin API names its own parameter and quotes the name whole).
     */
    static <T> T orNotFound(String field, String what, Object name, Supplier<T> call) {
        try {
            return call.get();
        } catch (NotFoundException e) {
            NotFoundException refusal = notFound(field, what, name);
            refusal.initCause(e);
            throw refusal;
        }
    }

    /** A job as the UI sees it: args, metadata and result as JSON, secret fields redacted. */
    private Map<String, Object> jobView(Job job) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", job.id());
        view.put("kind", job.kind());
        view.put("queue", job.queue());
        view.put("state", job.state().dbName());
        view.put("priority", job.priority());
        view.put("attempt", job.attempt());
        view.put("maxAttempts", job.maxAttempts());
        view.put("args", redacted(job.args()));
        view.put("metadata", redacted(job.metadata()));
        view.put("result", job.result() == null ? null : redacted(job.result()));
        view.put("tags", job.tags());
        view.put("idempotencyKey", job.idempotencyKey());
        view.put("runAt", job.runAt());
        view.put("createdAt", job.createdAt());
        view.put("startedAt", job.startedAt());
        view.put("finishedAt", job.finishedAt());
        view.put("nodeId", job.nodeId());
        view.put("leaseExpiresAt", job.leaseExpiresAt());
        view.put("cancelRequestedAt", job.cancelRequestedAt());
        view.put("lastError", redactor.redact(job.lastError()));
        view.put("progress", job.progress());
        view.put("progressMessage", redactor.redact(job.progressMessage()));
        view.put("checkpoint", job.checkpoint() == null ? null : redacted(job.checkpoint()));
        view.put("partitionKey", redactor.redact(job.partitionKey()));
        view.put("orderingKey", redactor.redact(job.orderingKey()));
        return view;
    }

    /**
     * A queue's flow control as the UI sees it: keys and partitions are values taken from jobs (their args or
     * metadata, or their requests), so they are redacted as text like errors.
     */
    private ObjectNode flowView(QueueFlowState state) {
        ObjectNode view = json.valueToTree(state);
        for (String list : List.of("busiestPartitions", "rates")) {
            view.withArray(list).forEach(row -> ((ObjectNode) row).put("partition",
                    redactor.redact(row.get("partition").asText())));
        }
        view.withArray("blockedKeys").forEach(row -> ((ObjectNode) row).put("orderingKey",
                redactor.redact(row.get("orderingKey").asText())));
        return view;
    }

    /**
     * {@code value} (a record of the admin API) as JSON with its {@code jsonFields} (JSON text) parsed and
     * redacted and its {@code textFields} redacted as text.
     */
    private ObjectNode redactedFields(Object value, List<String> jsonFields, List<String> textFields) {
        ObjectNode tree = json.valueToTree(value);
        for (String field : jsonFields) {
            if (tree.hasNonNull(field)) {
                tree.set(field, redacted(tree.get(field).asText()));
            }
        }
        for (String field : textFields) {
            if (tree.hasNonNull(field)) {
                tree.put(field, redactor.redact(tree.get(field).asText()));
            }
        }
        return tree;
    }

    private JsonNode redacted(String text) {
        try {
            return redactor.redact(json.readTree(text));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the database holds jsonb, which always parses", e);
        }
    }

    private JobFilter filter(Function<String, String> param) {
        return new JobFilter(states(param.apply("state")), param.apply("queue"), param.apply("kind"), param.apply("tag"),
                instant(param, "createdFrom"), instant(param, "createdTo"), instant(param, "finishedFrom"),
                instant(param, "finishedTo"), argsFilter(param.apply("args")), param.apply("deadLetterGroup"));
    }

    private static AuditFilter auditFilter(Function<String, String> param) {
        return new AuditFilter(param.apply("actor"), param.apply("action"), instant(param, "from"),
                instant(param, "to"));
    }

    private String argsFilter(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        if (text.length() > MAX_ARGS_FILTER_LENGTH) {
            throw new IllegalArgumentException("args: at most " + MAX_ARGS_FILTER_LENGTH + " characters, got " + text.length());
        }
        if (NUL_ESCAPE.matcher(text).find()) {
            throw new IllegalArgumentException("args: \\u0000 cannot be matched: PostgreSQL's jsonb cannot hold it");
        }
        String hidden = redactor.hiddenIn(text);
        if (hidden != null) {
            throw new IllegalArgumentException("args: cannot filter on " + hidden
                    + ": it is hidden from every dashboard user, and a filter's answer would reveal it");
        }
        return text;
    }

    private static Set<JobState> states(String value) {
        if (value == null || value.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(value.split(",")).map(String::strip).map(name -> {
            try {
                return JobState.fromDb(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("state: unknown state " + Excerpt.of(name) + " (one of "
                        + Arrays.stream(JobState.values()).map(JobState::dbName).collect(Collectors.joining(", ")) + ")", e);
            }
        }).collect(Collectors.toSet());
    }

    static Instant instant(Function<String, String> param, String name) {
        String value = param.apply(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        Instant instant;
        try {
            instant = Instant.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + ": expected an ISO-8601 instant like 2026-01-31T12:00:00Z, got "
                    + Excerpt.of(value), e);
        }
        if (instant.isBefore(FIRST_INSTANT) || instant.isAfter(LAST_INSTANT)) {
            throw new IllegalArgumentException(name + ": must be between the years 1 and 9999, got " + Excerpt.of(value));
        }
        return instant;
    }

    static PageRequest page(Function<String, String> param) {
        String before = param.apply("before");
        return new PageRequest(before == null || before.isBlank() ? null : longParam("before", before),
                intParam(param, "limit", DEFAULT_PAGE));
    }

    private static Overview.Span span(String name) {
        if (name == null || name.isBlank()) {
            return Overview.Span.HOUR;
        }
        try {
            return Overview.Span.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("span: must be hour or day, got " + Excerpt.of(name), e);
        }
    }

    private static JobAction action(String name) {
        try {
            return JobAction.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("action: must be retry, cancel or delete, got " + Excerpt.of(name), e);
        }
    }

    private static String required(Function<String, String> param, String name) {
        String value = param.apply(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + ": required");
        }
        return value;
    }

    private static int intParam(Function<String, String> param, String name, int fallback) {
        String value = param.apply(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": expected a whole number, got " + Excerpt.of(value), e);
        }
    }

    /**
     * The id a route's path names in its first group, which takes any segment ({@link #PATH_ID}): a malformed id is
     * refused by name rather than left unrouted.
     */
    static long pathId(Call call, String of) {
        String segment = call.path().group(1);
        if (DIGITS.matcher(segment).matches()) {
            BigInteger id = new BigInteger(segment);
            if (id.signum() > 0 && id.bitLength() < Long.SIZE) {
                return id.longValue();
            }
        }
        throw new IllegalArgumentException("id: expected a " + of + " id (a whole number between 1 and "
                + Long.MAX_VALUE + "), got " + Excerpt.of(segment));
    }

    static long longParam(String name, String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": expected a job id, got " + Excerpt.of(value), e);
        }
    }

    /** A queue or schedule name from the path. */
    private static String name(String field, String value) {
        if (value.length() > MAX_NAME_LENGTH || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + ": must be a name of at most " + MAX_NAME_LENGTH
                    + " characters without NUL");
        }
        return value;
    }

    private static boolean holdsNul(JsonNode node) {
        if (node.isTextual()) {
            return node.textValue().indexOf('\0') >= 0;
        }
        for (var field : node.properties()) {
            if (field.getKey().indexOf('\0') >= 0) {
                return true;
            }
        }
        for (JsonNode child : node) {
            if (holdsNul(child)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The job ids of a bulk action by ids: 1 to {@value #MAX_IDS} whole numbers, alone (a filter, cursor or batch
     * size beside them would be ignored, and the sender may have meant the filter).
     */
    private static List<Long> ids(JsonNode ids, JsonNode body) {
        if (!ids.isArray()) {
            throw new IllegalArgumentException("ids: must be an array of job ids, got " + Excerpt.of(ids.toString()));
        }
        if (ids.isEmpty() || ids.size() > MAX_IDS) {
            throw new IllegalArgumentException("ids: must list 1 to " + MAX_IDS + " job ids, got " + ids.size());
        }
        List<String> beside = body.properties().stream().map(Map.Entry::getKey)
                .filter(name -> !name.equals("ids") && !name.equals("action")).sorted().toList();
        if (!beside.isEmpty()) {
            throw new IllegalArgumentException("ids: act on listed jobs or on a filter, not both; drop "
                    + String.join(", ", beside));
        }
        Set<Long> listed = new LinkedHashSet<>();
        for (JsonNode id : ids) {
            if (!id.canConvertToLong() || !id.isIntegralNumber() || id.asLong() < 1) {
                throw new IllegalArgumentException("ids: must be an array of job ids (whole numbers, 1 or more), got "
                        + Excerpt.of(id.toString()));
            }
            if (!listed.add(id.asLong())) {
                // acted on, audited and counted as changed twice otherwise
                throw new IllegalArgumentException("ids: job " + id.asLong() + " is listed more than once");
            }
        }
        return List.copyOf(listed);
    }

    /** How long a circuit an operator opens stays open: {@code coolDownSeconds}, 1 s to a day. */
    private static Duration coolDown(Function<String, String> param) {
        int seconds = intParam(param, "coolDownSeconds", DEFAULT_COOL_DOWN_SECONDS);
        if (seconds < 1 || seconds > MAX_COOL_DOWN_SECONDS) {
            throw new IllegalArgumentException("coolDownSeconds: must be between 1 and " + MAX_COOL_DOWN_SECONDS
                    + ", got " + seconds);
        }
        return Duration.ofSeconds(seconds);
    }

    /**
     * A read's parameters, from its query string, whose parameters are {@code names}: only those the route takes;
     * a value with a NUL character or longer than {@value #MAX_PARAM_LENGTH} characters is refused before anything
     * reads it.
     */
    static Function<String, String> queryParams(Route route, Collection<String> names, Function<String, String> query) {
        refuseUntaken(route, names, "query: unknown parameter ", "this endpoint");
        return name -> checked(name, query.apply(name));
    }

    /**
     * An action's fields, from its JSON body (null a field left out), checked as {@link #queryParams} checks.
     * The body holds only the fields the action takes: a misspelt or misplaced field would otherwise be dropped
     * unread, and a bulk action would act on every job instead of those its sender filtered.
     */
    static Function<String, String> bodyParams(Route route, JsonNode body) {
        refuseUntaken(route, body.properties().stream().map(Map.Entry::getKey).toList(), "body: unknown field ",
                "this action");
        return name -> {
            JsonNode field = body.get(name);
            return checked(name, field == null || field.isNull() ? null
                    : field.isValueNode() ? field.asText() : field.toString());
        };
    }

    /** Refuses the first of {@code names} that {@code route} does not take, naming those it takes. */
    private static void refuseUntaken(Route route, Collection<String> names, String refusal, String taker) {
        for (String name : names) {
            if (!route.fields().contains(name)) {
                String taken = route.fields().isEmpty() ? "none"
                        : String.join(", ", route.fields().stream().sorted().toList());
                throw new IllegalArgumentException(refusal + Excerpt.of(name) + " (" + taker + " takes " + taken + ")");
            }
        }
    }

    private static String checked(String name, String value) {
        if (value != null && (value.length() > MAX_PARAM_LENGTH || value.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException(name + ": must be at most " + MAX_PARAM_LENGTH
                    + " characters without NUL");
        }
        return value;
    }
}
