package io.pgjobs.admin;

import java.time.Instant;

/** One operator action: who took it, when (database time), what, on what, and its details as JSON. */
public record AuditEntry(long id, Instant at, String actor, String action, String target, String detail) {}
