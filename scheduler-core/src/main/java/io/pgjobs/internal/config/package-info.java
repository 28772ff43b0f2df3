/**
 * A scheduler's configuration: {@link io.pgjobs.internal.config.Config} and its observability part {@link
 * io.pgjobs.internal.config.ObserveConfig}, each built by a builder that validates every setting when it is set,
 * sealed once built; and the default args serializer.
 */
package io.pgjobs.internal.config;
