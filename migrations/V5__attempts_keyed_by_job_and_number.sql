-- An attempt is identified by its job and its number: the completion guard (state 'running', same node, same
-- attempt) lets exactly one end of each attempt be written, whether by the node that ran it or by the rescuer.
-- With that as the primary key, the identity column and the second index go: one index write less per job.
alter table attempts drop constraint attempts_pkey;
drop index attempts_job;
alter table attempts drop column id;
alter table attempts add primary key (job_id, attempt);
