/**
 * The operator's API, used by pgjobs' dashboard and open to scripts: list and filter jobs with keyset paging,
 * act on one job or on everything a filter matches in capped batches, pause queues, group dead letters, and
 * read schedules, nodes, statistics and the audit log. Get it from {@link io.pgjobs.Scheduler#admin()}.
 *
 * <p>Every read is bounded so that it stays fast on millions of jobs: pages by id, counts capped at a limit
 * (reported as "at least"), and a statement timeout. Every action names the person who took it and is written
 * to the audit log in the same transaction.
 */
package io.pgjobs.admin;
