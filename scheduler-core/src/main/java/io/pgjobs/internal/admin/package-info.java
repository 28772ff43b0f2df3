/**
 * The operator's API behind {@link io.pgjobs.admin.AdminClient}: {@code DefaultAdminClient} validates and
 * audits, acting on jobs through the {@link io.pgjobs.JobClient} so that a bulk retry means what a single
 * retry means; {@code AdminStore} holds all of its SQL, each read bounded and under a statement timeout;
 * {@code ArgsPredicate} turns the args filter into bound jsonb containment tests.
 */
package io.pgjobs.internal.admin;
