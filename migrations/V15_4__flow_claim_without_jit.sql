-- pgjobs schema, version 15.4: the flow-controlled claim runs without JIT compilation.
--
-- claim_flow_jobs (V15.3) switches sorts off to keep its walk of the runnable index in order, but its window
-- over the partitions needs a sort anyway; on PostgreSQL before 18 that sort carries the "disabled" cost, the
-- statement's estimate crosses jit_above_cost, and every claim was JIT-compiled (PostgreSQL 15 with jit on: 1.4
-- to 1.9 s a claim of 3 jobs out of 300, 0.8 ms with jit off). A claim never runs long enough for compiling to pay.
alter function claim_flow_jobs(text, text[], int, text, bigint, int, int, text, text[], boolean, boolean,
                               double precision, int, boolean)
    set jit = off;
