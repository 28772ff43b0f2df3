/**
 * {@link io.pgjobs.internal.loop.BackgroundLoop}, the one lifecycle of every background thread (fetchers,
 * completer, lease keeper, listener, cluster chores, cron firer, samplers), and its never-lost wake-up signal.
 * It depends on nothing else of pgjobs, so every package with a loop can extend it.
 */
package io.pgjobs.internal.loop;
