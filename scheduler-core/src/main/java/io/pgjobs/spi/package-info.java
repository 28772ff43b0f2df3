/** What users may plug into pgjobs: the args serializer and retry policies. */
package io.pgjobs.spi;
