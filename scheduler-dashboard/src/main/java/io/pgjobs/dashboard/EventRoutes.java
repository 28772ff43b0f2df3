package io.pgjobs.dashboard;

import static io.pgjobs.dashboard.DashboardApi.get;

import io.pgjobs.Job;
import io.pgjobs.JobState;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.JobFilter;
import io.pgjobs.admin.NodeInfo;
import io.pgjobs.admin.PageRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API of the recent events page (docs/dashboard.md#recent-events). pgjobs' listener events
 * ({@code SchedulerEvent}) live only in the process that raised them; this is what the database keeps of the ones
 * an operator looks for, read through the operator API: the jobs discarded in the last day (an args checksum
 * mismatch among them, by its error), the circuits open or half-open now (per kind and per partition, since they
 * opened), and the nodes that started, stopped, fell silent or took the lead in the last day. Operators' own actions
 * are the audit log's.
 */
final class EventRoutes {
    /** How far back the page looks. */
    static final Duration SPAN = Duration.ofDays(1);
    /** The most discarded jobs it lists. */
    static final int DISCARDS = 50;
    /** The error message pgjobs writes for a job discarded unrun because its args did not match their checksum. */
    private static final String CHECKSUM_MISMATCH = "args checksum mismatch";

    private final AdminClient admin;
    private final Redactor redactor;

    EventRoutes(AdminClient admin, Redactor redactor) {
        this.admin = admin;
        this.redactor = redactor;
    }

    List<DashboardApi.Route> routes() {
        return List.of(get("events", c -> events()));
    }

    /** One event: when, what, of which kind, queue, node or partition, in a few words, and its job if it has one. */
    record Event(Instant at, String type, String subject, String detail, Long jobId) {}

    private Map<String, Object> events() {
        Instant now = admin.clocks().now();
        Instant since = now.minus(SPAN);
        List<Event> events = new ArrayList<>();
        JobFilter discarded = new JobFilter(Set.of(JobState.DISCARDED), null, null, null, null, null, since, null,
                null, null);
        for (Job job : admin.jobs(discarded, PageRequest.first(DISCARDS)).jobs()) {
            String error = redactor.redact(job.lastError());
            boolean mismatch = error != null && error.startsWith(CHECKSUM_MISMATCH);
            events.add(new Event(job.finishedAt(), mismatch ? "args checksum mismatch" : "job discarded",
                    job.kind() + " in " + job.queue(), error, job.id()));
        }
        // the circuits that hold jobs now, whenever they opened (an operator may have opened one for longer than a day)
        admin.circuits().stream().filter(circuit -> !circuit.state().equals("closed")).forEach(circuit ->
                events.add(new Event(circuit.openedAt(), "circuit " + circuit.state().replace('_', '-'), circuit.kind(),
                        redactor.redact(circuit.reason()), circuit.probeJobId())));
        admin.partitionCircuits().forEach(circuit -> events.add(new Event(circuit.openedAt(),
                "partition circuit " + circuit.state().replace('_', '-'),
                circuit.kind() + " partition '" + redactor.redact(circuit.partition()) + "'",
                redactor.redact(circuit.reason()), circuit.probeJobId())));
        for (NodeInfo node : admin.nodes()) {
            addIfSince(events, since, node.startedAt(), "node started", node, "on " + node.host() + ", " + node.version());
            addIfSince(events, since, node.stoppedAt(), "node stopped", node, null);
            addIfSince(events, since, node.leaderSince(), "node took the lead", node, null);
            if (!node.alive() && node.stoppedAt() == null) {
                addIfSince(events, since, node.heartbeatAt(), "node silent", node,
                        "no heartbeat since; its jobs are rescued once their leases run out");
            }
        }
        events.sort(Comparator.comparing(Event::at, Comparator.nullsLast(Comparator.<Instant>reverseOrder())));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("now", now);
        view.put("since", since);
        view.put("events", events);
        return view;
    }

    private static void addIfSince(List<Event> events, Instant since, Instant at, String type, NodeInfo node,
                                   String detail) {
        if (at != null && !at.isBefore(since)) {
            events.add(new Event(at, type, node.id(), detail, null));
        }
    }
}
