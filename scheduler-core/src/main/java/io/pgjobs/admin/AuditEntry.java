package io.pgjobs.admin;

import java.time.Instant;

/**
 * One operator action: who took it, when (database time), what, on what, and its details as JSON.
 *
 * @param id the entry's id
 * @param at when it was taken (database time)
 * @param actor who took it
 * @param action what it was, such as {@code retry}
 * @param target what it was taken on
 * @param detail its details, JSON
 */
public record AuditEntry(long id, Instant at, String actor, String action, String target, String detail) {}
