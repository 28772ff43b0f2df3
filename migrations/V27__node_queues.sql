-- pgjobs schema, version 27: what each node configured for each queue it works, so that operators see it
-- (docs/dashboard.md, docs/flow-control.md "Where an operator looks"): its own concurrency, and the queue's flow
-- control (limits, partition key, ordered keys, rate limit), which are arguments of the node's claims and were
-- written nowhere before. Additive only: nodes of earlier versions register without rows here.
--
-- A node writes its rows when it registers (at start, and again if its nodes row was removed as dead while it
-- was frozen), replacing what an earlier run with the same id wrote. The leader's dead-node cleanup deletes them
-- with the node's row, and any whose node row is gone. No foreign key: that would make every truncate of nodes
-- (operators' scripts, tests) fail; readers join nodes, so a row without its node is never shown.
create table node_queues (
    node_id              text    not null,
    queue                text    not null,
    concurrency          int     not null check (concurrency > 0),
    queue_limit          int,
    partition_limit      int,
    -- the partition key: 'args', 'metadata', or null with partitioned: only the request's key
    partitioned          boolean not null default false,
    partition_source     text,
    partition_path       text[],
    -- 'block_when_discarded' or 'move_on_when_discarded'; null: ordering keys are not kept in order
    ordered_keys         text,
    rate_count           int,
    rate_period_ms       bigint,
    rate_burst           int,
    rate_per_partition   boolean not null default false,
    primary key (node_id, queue)
);

-- The queues page sums each queue's concurrency over the live nodes working it.
create index node_queues_queue on node_queues (queue);
