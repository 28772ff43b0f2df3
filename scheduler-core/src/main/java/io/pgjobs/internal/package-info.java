/**
 * pgjobs' engine, not part of its API. This package holds only {@link io.pgjobs.internal.Components}, the
 * composition root that builds every store and component of a scheduler once; the subpackages hold the parts
 * (see docs/architecture.md for what each may use).
 */
package io.pgjobs.internal;
