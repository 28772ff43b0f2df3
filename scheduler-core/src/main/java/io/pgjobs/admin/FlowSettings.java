package io.pgjobs.admin;

import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;

/**
 * A queue's flow control as a node configured it on its builder (docs/flow-control.md): at most
 * {@code queueLimit} of its jobs running across the cluster, at most {@code partitionLimit} per partition found
 * by {@code partitionKey}, its ordering keys kept in order with the {@code orderedKeys} policy, and its starts
 * under {@code rateLimit} (per partition when the rate limit has a partition key). Each is null when not set.
 *
 * @param queueLimit the most of its jobs running across the cluster; null for none
 * @param partitionLimit the most running per partition; null for none
 * @param partitionKey what finds a job's partition; null for none
 * @param orderedKeys the ordering keys' policy; null for none
 * @param rateLimit its starts' rate limit; null for none
 */
public record FlowSettings(Integer queueLimit, Integer partitionLimit, PartitionKey partitionKey,
                           OrderedKeys orderedKeys, RateLimit rateLimit) {}
