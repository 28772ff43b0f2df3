/**
 * The operator's API behind {@link io.pgjobs.admin.AdminClient}: {@code DefaultAdminClient} validates and
 * audits, acting on jobs through the {@link io.pgjobs.JobClient} so that a bulk retry means what a single
 * retry means. Its SQL is in {@code io.pgjobs.internal.store.AdminStore}, each read bounded and under a
 * statement timeout, where {@code internal.values.ArgsPredicate} turns the args filter into bound jsonb
 * containment tests.
 */
package io.pgjobs.internal.admin;
